import { afterEach, describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { MeshwatchConfigSchema } from '../../../server/config-file.ts'
import { badDayCopy, captureLog, CONFIG, testDispatcher } from '../alerts/helpers.ts'
import { startReceiver } from '../alerts/receiver.ts'
import { evaluateAs, HOUR } from './helpers.ts'
import { startReceivers, startSmtp } from './receivers.ts'
import { dbOf } from '../../store-deps.ts'

const SECRET = 'whsec-0123456789abcdef'
const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF'
const SMTP = { user: 'meshwatch', pass: 'smtp-s3cr3t-pass' }

type Json = Record<string, any>
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of stops.splice(0)) await s()
})

async function setup(timeoutMs = 10_000) {
  const r = await startReceivers({ webhookSecret: SECRET })
  const smtp = await startSmtp(SMTP)
  const hooks = await startReceiver()
  stops.push(r.close, smtp.close, hooks.close)
  const env = {
    TEAMS_WEBHOOK_SALES: `${r.url}/teams/sig-TeamsS3cret`,
    PD_ROUTING_KEY_SALES: ROUTING_KEY,
    HOOK_URL: `${r.url}/hook`,
    HOOK_SECRET: SECRET,
    SMTP_URL: `smtp://${SMTP.user}:${SMTP.pass}@127.0.0.1:${smtp.port}`,
  }
  const config = MeshwatchConfigSchema.parse({
    ...CONFIG,
    domains: {
      ...CONFIG.domains,
      sales: {
        ...CONFIG.domains?.sales,
        incidents: {
          routes: [
            { type: 'teams', url_env: 'TEAMS_WEBHOOK_SALES', products: ['sales.orders'] },
            {
              type: 'pagerduty',
              routing_key_env: 'PD_ROUTING_KEY_SALES',
              products: ['sales.orders'],
            },
            {
              type: 'email',
              smtp_url_env: 'SMTP_URL',
              from: 'meshwatch@example.com',
              to: ['sales-data@example.com'],
              products: ['sales.orders'],
            },
          ],
        },
      },
      marketing: {
        ...CONFIG.domains?.marketing,
        incidents: {
          routes: [{ type: 'webhook', url_env: 'HOOK_URL', secret_env: 'HOOK_SECRET' }],
        },
      },
    },
  })
  const { deps, clock } = await badDayCopy({ onDisk: true })
  const logged = captureLog()
  // a dispatcher on a connection to the store: a restarted server is a new one on a new connection
  const dispatcherOn = (db: Db) =>
    testDispatcher(db, clock, hooks, {
      config,
      env,
      pagerDutyUrl: `${r.url}/v2/enqueue`,
      log: logged.log,
      timeoutMs,
    })
  const dispatcher = dispatcherOn(dbOf(deps))
  const app = createApp({ ...deps, meshwatch: config })
  const res = await app.request('/api/incidents?product=sales.orders')
  const id = ((await res.json()) as Json).incidents[0].id as number
  const ack = () =>
    app.request(`/api/incidents/${id}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"by":"ana"}',
    })
  return { r, smtp, deps, clock, dispatcher, dispatcherOn, app, id, ack, logged }
}

const mailHeader = (raw: string, name: string) =>
  new RegExp(`^${name}: (.*)$`, 'mi').exec(raw)?.[1]?.trim()

describe('Teams, PagerDuty, webhook and e-mail routes', () => {
  it('deliver every transition of an incident in order, each as its channel expects it', async () => {
    const s = await setup()
    await s.dispatcher.runOnce()
    await s.ack()
    s.clock.advance(HOUR)
    evaluateAs(dbOf(s.deps), 'sales.orders', 'ok', s.clock.now())
    await s.dispatcher.runOnce()
    expect(s.r.refused).toEqual([])
    // PagerDuty: trigger, acknowledge, resolve on one dedup_key
    expect(s.r.got.pagerduty.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', `meshwatch-${s.id}`],
      ['acknowledge', `meshwatch-${s.id}`],
      ['resolve', `meshwatch-${s.id}`],
    ])
    expect(s.r.got.pagerduty[0].payload).toMatchObject({
      severity: 'error',
      source: 'meshwatch',
      component: 'sales.orders',
    })
    // Teams: one valid Adaptive Card per transition, the last one resolved
    const cards = s.r.got.teams.map((m) => m.attachments[0].content.body[0].text)
    expect(cards).toHaveLength(3)
    expect(cards.at(-1)).toMatch(/^Resolved: SLA breach of orders/)
    // e-mail: three messages threaded under the first, with text and HTML parts
    expect(s.smtp.mails).toHaveLength(3)
    const first = mailHeader(s.smtp.mails[0]!.raw, 'Message-ID')
    expect(mailHeader(s.smtp.mails[2]!.raw, 'In-Reply-To')).toBe(first)
    expect(s.smtp.mails[0]!.raw).toMatch(/Content-Type: text\/plain/)
    expect(s.smtp.mails[0]!.raw).toMatch(/Content-Type: text\/html/)
    expect(s.smtp.mails[0]!.to).toEqual(['sales-data@example.com'])
    // marketing's webhook: every sales incident it reads, signed (the receiver recomputed each signature)
    const forOrders = s.r.got.hook.filter((h) => h.body.incident.id === s.id)
    expect(forOrders.map((h) => h.body.event)).toEqual(['opened', 'acknowledged', 'resolved'])
    expect(forOrders[0]!.body.audience).toBe('marketing')
    const ids = s.r.got.hook.map((h) => h.headers['x-meshwatch-delivery'])
    expect(new Set(ids).size).toBe(ids.length)
  }, 120_000)

  it('keep each living message through a restart in an outage: the rest of its transitions once, threaded under the first', async () => {
    const s = await setup()
    await s.dispatcher.runOnce()
    expect(s.r.got.pagerduty.map((e) => e.event_action)).toEqual(['trigger'])
    expect(s.smtp.mails).toHaveLength(1)
    // every receiver goes down; the incident is acknowledged, then the server restarts (a new
    // connection to the store, a new dispatcher with nothing in memory) and it recovers meanwhile
    s.r.setMode('500')
    s.smtp.setFailing(true)
    await s.ack()
    await s.dispatcher.runOnce()
    s.clock.advance(5 * 60_000)
    const restarted = openDb(dbOf(s.deps).$client.name)
    evaluateAs(restarted, 'sales.orders', 'ok', s.clock.now())
    const after = s.dispatcherOn(restarted)
    await after.runOnce()
    s.r.setMode('ok')
    s.smtp.setFailing(false)
    for (let i = 0; i < 20; i++) {
      s.clock.advance(5 * 60_000)
      await after.runOnce()
    }
    expect(s.r.got.pagerduty.map((e) => [e.event_action, e.dedup_key])).toEqual([
      ['trigger', `meshwatch-${s.id}`],
      ['acknowledge', `meshwatch-${s.id}`],
      ['resolve', `meshwatch-${s.id}`],
    ])
    expect(s.r.got.teams).toHaveLength(3)
    expect(
      s.r.got.hook.filter((h) => h.body.incident.id === s.id).map((h) => h.body.event),
    ).toEqual(['opened', 'acknowledged', 'resolved'])
    // the first mail's Message-ID was kept in the store: the later ones still reply to it
    expect(s.smtp.mails).toHaveLength(3)
    const first = mailHeader(s.smtp.mails[0]!.raw, 'Message-ID')
    for (const m of s.smtp.mails.slice(1)) expect(mailHeader(m.raw, 'In-Reply-To')).toBe(first)
  }, 120_000)

  it('lose nothing through a 10-minute outage of every receiver and send each transition once after it', async () => {
    const s = await setup(1_000)
    const modes = ['500', '429', 'hang'] as const
    const end = s.clock.ms + 10 * 60_000
    s.smtp.setFailing(true)
    for (let i = 0; s.clock.ms < end; i++) {
      s.r.setMode(modes[i % 3]!)
      await s.dispatcher.runOnce()
      for (const h of s.r.hanging.splice(0)) h.destroy()
      if (i === 2) await s.ack()
      if (i === 5) evaluateAs(dbOf(s.deps), 'sales.orders', 'ok', s.clock.now())
      s.clock.advance(30_000)
    }
    expect(s.r.got.pagerduty).toEqual([])
    expect(s.smtp.mails).toEqual([])
    s.r.setMode('ok')
    s.smtp.setFailing(false)
    for (let i = 0; i < 20; i++) {
      s.clock.advance(5 * 60_000)
      await s.dispatcher.runOnce()
    }
    expect(s.r.got.pagerduty.map((e) => e.event_action)).toEqual([
      'trigger',
      'acknowledge',
      'resolve',
    ])
    expect(s.r.got.teams).toHaveLength(3)
    expect(s.smtp.mails).toHaveLength(3)
    expect(
      s.r.got.hook.filter((h) => h.body.incident.id === s.id).map((h) => h.body.event),
    ).toEqual(['opened', 'acknowledged', 'resolved'])
    const v = (await (await s.app.request(`/api/incidents/${s.id}`)).json()) as Json
    for (const channel of ['teams', 'pagerduty', 'email', 'webhook'])
      expect(
        v.deliveries[channel].every((d: Json) => d.pending === 0 && d.status === 'active'),
      ).toBe(true)
    // no secret in the log of the outage, nor in the API's answer
    const out = [...s.logged.lines, JSON.stringify(v)].join('\n')
    expect(s.logged.lines.length).toBeGreaterThan(0)
    for (const secret of [SECRET, ROUTING_KEY, SMTP.pass, 'sig-TeamsS3cret'])
      expect(out).not.toContain(secret)
  }, 120_000)
})
