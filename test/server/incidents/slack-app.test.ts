import { createHmac } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { MeshwatchConfigSchema, type MeshwatchConfig } from '../../../server/config-file.ts'
import { openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import type { Deps } from '../../../server/deps.ts'
import { badDayCopy, captureLog, CONFIG, testDispatcher, webhookEnv } from '../alerts/helpers.ts'
import { startReceiver, type Receiver } from '../alerts/receiver.ts'
import { evaluateAs, HOUR } from './helpers.ts'
import { startSlackApi, type SlackApi } from './slack-api.ts'
import { dbOf } from '../../store-deps.ts'

const TOKEN = 'xoxb-1111-2222-s3cr3tBotToken'
const SIGNING = 'f00dfeedSigningSecret0123456789'
const CHANNELS = ['#sales-data', '#growth-data', '#product-data', '#data-platform']

const slack = (channel: string, extra: Record<string, unknown> = {}) => ({
  routes: [{ type: 'slack', token_env: 'SLACK_BOT_TOKEN', channel, ...extra }],
})

/** The demo's meshwatch.yml with incident routes: sales and marketing have their own, product opted out of consumer notifications, finance falls back to the platform's. */
const ROUTED: MeshwatchConfig = MeshwatchConfigSchema.parse({
  ...CONFIG,
  incidents: { slack_signing_secret_env: 'SLACK_SIGNING_SECRET', ...slack('#data-platform') },
  domains: {
    ...CONFIG.domains,
    sales: { ...CONFIG.domains?.sales, incidents: slack('#sales-data') },
    marketing: { ...CONFIG.domains?.marketing, incidents: slack('#growth-data') },
    product: {
      ...CONFIG.domains?.product,
      incidents: slack('#product-data', { consumer_notifications: false }),
    },
  },
})

let api: SlackApi | undefined
let hooks: Receiver | undefined
afterEach(async () => {
  await api?.close()
  await hooks?.close()
  api = hooks = undefined
})

type Json = Record<string, any>
const headerOf = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks[0])
const buttonsOf = (m: { blocks: unknown[] }) =>
  (m.blocks as Json[])
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements.map((e: Json) => e.text.text))

async function setup(opts: { timeoutMs?: number } = {}) {
  api = await startSlackApi({ token: TOKEN, channels: CHANNELS })
  hooks = await startReceiver()
  const { deps, clock } = await badDayCopy({ onDisk: true })
  const logged = captureLog()
  const env = { ...webhookEnv(hooks), SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING }
  const dispatcher = testDispatcher(dbOf(deps), clock, hooks, {
    config: ROUTED,
    env,
    slackApiUrl: api.url,
    log: logged.log,
    timeoutMs: opts.timeoutMs ?? 2_000,
  })
  const wall = new Date('2026-12-01T12:00:00Z')
  const app = createApp({ ...deps, meshwatch: ROUTED, env, wallNow: () => wall } satisfies Deps)
  const idOf = async (product: string) => {
    const r = await app.request(`/api/incidents?product=${product}`)
    return ((await r.json()) as Json).incidents[0].id as number
  }
  return { api, hooks, deps, clock, dispatcher, app, idOf, logged, wall, env }
}

describe('Slack app mode', () => {
  it('posts each incident once to its owners, and tells each consumer domain that did not opt out', async () => {
    const s = await setup()
    await s.dispatcher.runOnce()
    const sales = s.api.parents('#sales-data')
    expect(sales.map((m) => m.text).sort()).toEqual([
      'Open: SLA breach of Sales KPI dashboard (sales)',
      'Open: SLA breach of orders (sales)',
    ])
    // marketing: its own incident, and one message per sales incident it reads
    const growth = s.api.parents('#growth-data').map((m) => m.text)
    expect(growth).toContain('Open: SLA breach of customer_attribution (marketing)')
    expect(growth).toContainEqual(
      expect.stringMatching(
        /^sales\.orders, which your customer_attribution, Campaign ROI dashboard read, is in breach since .* UTC, owner sales/,
      ),
    )
    expect(growth).toHaveLength(3)
    // product reads sales too, but its route opted out of consumer notifications
    expect(s.api.parents('#product-data')).toEqual([])
    // finance has no route of its own: the platform's default gets its incidents
    expect(s.api.parents('#data-platform')).toHaveLength(2)
    const orders = sales.find((m) => m.text.includes('orders'))
    expect(buttonsOf(orders!)).toEqual(['Acknowledge', 'Mute 24 h', 'Open in meshwatch'])
    const notice = s.api.parents('#growth-data').find((m) => m.text.startsWith('sales.orders'))
    expect(buttonsOf(notice!)).toEqual(['Acknowledge', 'Open in meshwatch'])
    // nothing more to send: the next pass calls Slack no more
    const again = await s.dispatcher.runOnce()
    expect(again.incidents?.calls).toEqual([])
  }, 120_000)

  it('a dispatcher that outlived its lease leaves to another what that one claimed since', async () => {
    const s = await setup()
    // dispatcher A's first post to #sales-data hangs (a slow Slack, a paused process) past its lease
    let release!: () => void
    const hung = new Promise<void>((r) => (release = r))
    let posting!: () => void
    const isPosting = new Promise<void>((r) => (posting = r))
    let first = true
    const slow: typeof fetch = async (u, init) => {
      if (
        first &&
        String(u).endsWith('/chat.postMessage') &&
        String(init?.body).includes('"#sales-data"')
      ) {
        first = false
        posting()
        await hung
      }
      return fetch(u, init)
    }
    const a = testDispatcher(dbOf(s.deps), s.clock, s.hooks, {
      config: ROUTED,
      env: s.env,
      slackApiUrl: s.api.url,
      timeoutMs: 60_000,
      fetch: slow,
      log: s.logged.log,
    }).runOnce()
    await isPosting
    // A's lease (60 s) ran out: B claims the sales deliveries and posts both incidents
    s.clock.advance(61_000)
    await s.dispatcher.runOnce()
    expect(s.api.parents('#sales-data')).toHaveLength(2)
    release()
    await a
    // the post A had begun went out twice (a call slower than the lease: at least once), the
    // other sales incident once, by B: A found its lease taken and left it
    const texts = s.api.parents('#sales-data').map((m) => m.text)
    const times = [...new Set(texts)].map((t) => texts.filter((x) => x === t).length).sort()
    expect(times).toEqual([1, 2])
    expect(s.logged.lines.join('\n')).toContain(
      'incident delivery taken over by another dispatcher',
    )
  }, 120_000)

  it('edits the message in place and replies in its thread on every transition, up to resolved', async () => {
    const s = await setup()
    await s.dispatcher.runOnce()
    const id = await s.idOf('sales.orders')
    await s.app.request(`/api/incidents/${id}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ by: 'ana', note: 'looking' }),
    })
    await s.dispatcher.runOnce()
    const orders = () => s.api.parents('#sales-data').find((m) => m.text.includes('orders'))!
    expect(orders().versions).toHaveLength(2)
    expect(headerOf(orders())).toContain('Acknowledged: SLA breach of orders')
    expect(s.api.replies(orders().ts).map((r) => r.text)).toEqual([
      expect.stringMatching(/^acknowledged by ana at .* UTC: looking$/),
    ])
    s.clock.advance(HOUR)
    evaluateAs(dbOf(s.deps), 'sales.orders', 'ok', s.clock.now())
    await s.dispatcher.runOnce()
    expect(headerOf(orders())).toContain('Resolved: SLA breach of orders')
    expect(buttonsOf(orders())).toEqual(['Open in meshwatch'])
    expect(
      s.api
        .replies(orders().ts)
        .map((r) => r.text)
        .at(-1),
    ).toMatch(/^resolved: the product recovered/)
    // marketing's notice about it is resolved in place too
    const notice = s.api.parents('#growth-data').find((m) => m.text.startsWith('sales.orders'))!
    expect(headerOf(notice)).toContain('Resolved')
    // GET /api/incidents/:id shows the deliveries per channel, all delivered
    const v = (await (await s.app.request(`/api/incidents/${id}`)).json()) as Json
    expect(v.deliveries.slack.map((d: Json) => [d.audience, d.pending, d.status])).toEqual([
      ['owner', 0, 'active'],
      ['marketing', 0, 'active'],
    ])
  }, 120_000)

  it('loses nothing through a 10-minute outage (500, 429, timeouts) and sends each transition once after it', async () => {
    const s = await setup({ timeoutMs: 300 })
    const id = await s.idOf('sales.orders')
    s.api.setMode('500')
    await s.dispatcher.runOnce()
    expect(s.api.messages).toEqual([])
    // transitions while Slack is down
    await s.app.request(`/api/incidents/${id}/mute`, { method: 'POST' })
    const end = s.clock.ms + 10 * 60_000
    const modes = ['500', '429', 'hang'] as const
    for (let i = 0; s.clock.ms < end; i++) {
      s.api.setMode(modes[i % 3]!, { retryAfter: '20' })
      await s.dispatcher.runOnce()
      if (i === 3) evaluateAs(dbOf(s.deps), 'sales.orders', 'warn', s.clock.now())
      s.clock.advance(30_000)
    }
    for (const r of s.api.hanging) r.destroy()
    expect(s.api.messages).toEqual([])
    s.api.setMode('ok')
    for (let i = 0; i < 20; i++) {
      s.clock.advance(5 * 60_000)
      await s.dispatcher.runOnce()
    }
    const orders = s.api.parents('#sales-data').filter((m) => m.text.includes('orders'))
    // one living message, showing everything that happened while Slack was down
    expect(orders).toHaveLength(1)
    expect(headerOf(orders[0]!)).toContain('Muted')
    // the transitions made meanwhile follow in its thread, each once, in order
    expect(s.api.replies(orders[0]!.ts).map((r) => r.text.split(' ')[0])).toEqual([
      'muted',
      'updated',
    ])
    const v = (await (await s.app.request(`/api/incidents/${id}`)).json()) as Json
    expect(v.timeline.map((t: Json) => t.kind)).toEqual(['opened', 'muted', 'updated'])
    expect(v.deliveries.slack.every((d: Json) => d.pending === 0 && d.status === 'active')).toBe(
      true,
    )
    // every parent posted once: no channel got the same incident twice
    const texts = s.api.messages.filter((m) => !m.thread_ts).map((m) => `${m.channel} ${m.text}`)
    expect(new Set(texts).size).toBe(texts.length)
    // no token in what was logged through the outage, nor in the API's answers
    const out = [
      ...s.logged.lines,
      JSON.stringify(v),
      await (await s.app.request('/api/alerts')).text(),
      await (await s.app.request('/api/incidents')).text(),
    ].join('\n')
    expect(s.logged.lines.some((l) => l.includes('incident delivery will be retried'))).toBe(true)
    expect(out).not.toContain(TOKEN)
    expect(out).not.toContain(SIGNING)
  }, 120_000)

  it('keeps a 429 Retry-After across a restart: the new dispatcher does not call Slack before it ends', async () => {
    const s = await setup()
    await s.dispatcher.runOnce()
    const ack = (id: number) => s.app.request(`/api/incidents/${id}/ack`, { method: 'POST' })
    s.api.setMode('429', { retryAfter: '600' })
    await ack(await s.idOf('sales.orders'))
    await s.dispatcher.runOnce()
    expect(s.api.requests.at(-1)).toBe('chat.update')
    s.api.setMode('ok')
    // a restart: another process opens the same store; transitions on the same route and on
    // another channel of the same bot token wait for the Retry-After too
    const db = openDb(dbOf(s.deps).$client.name)
    const restarted = testDispatcher(db, s.clock, s.hooks, {
      config: ROUTED,
      env: { SLACK_BOT_TOKEN: TOKEN },
      slackApiUrl: s.api.url,
    })
    await ack(await s.idOf('sales.exposure.sales_kpi_dashboard'))
    await ack(await s.idOf('marketing.customer_attribution'))
    const before = s.api.requests.length
    for (let i = 0; i < 9; i++) {
      s.clock.advance(60_000)
      const r = await restarted.runOnce()
      expect(r.incidents?.failed).toEqual([])
    }
    expect(s.api.requests.length).toBe(before)
    s.clock.advance(61_000)
    await restarted.runOnce()
    const updated = s.api.messages.filter((m) => m.versions.at(-1)?.text.startsWith('Acknowledged'))
    expect(updated.map((m) => m.text).sort()).toEqual([
      'Acknowledged: SLA breach of Sales KPI dashboard (sales)',
      'Acknowledged: SLA breach of customer_attribution (marketing)',
      'Acknowledged: SLA breach of orders (sales)',
    ])
  }, 120_000)

  it('stops at a refusal that will not change (channel_not_found) and says which route', async () => {
    const s = await setup()
    const cfg = MeshwatchConfigSchema.parse({
      ...ROUTED,
      domains: {
        ...ROUTED.domains,
        sales: { ...ROUTED.domains?.sales, incidents: slack('#gone') },
      },
    })
    const d = testDispatcher(dbOf(s.deps), s.clock, s.hooks, {
      config: cfg,
      env: { SLACK_BOT_TOKEN: TOKEN },
      slackApiUrl: s.api.url,
    })
    const r = await d.runOnce()
    expect(r.incidents?.failed.length).toBe(2)
    const id = await s.idOf('sales.orders')
    const v = (await (await s.app.request(`/api/incidents/${id}`)).json()) as Json
    expect(v.deliveries.slack[0]).toMatchObject({
      status: 'failed',
      route: 'slack:SLACK_BOT_TOKEN:#gone',
      lastError: 'Slack refused: chat.postMessage: channel_not_found',
    })
  }, 120_000)
})

describe('Slack interactivity', () => {
  const sign = (body: string, ts: number, secret = SIGNING) =>
    `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}`
  const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`
  const click = (action: string, id: number, msg: { channel: string; ts: string }) =>
    form({
      type: 'block_actions',
      user: { id: 'U123', username: 'ana' },
      container: { message_ts: msg.ts, channel_id: msg.channel },
      actions: [{ action_id: action, value: String(id) }],
    })

  async function posted() {
    const s = await setup()
    await s.dispatcher.runOnce()
    const id = await s.idOf('sales.orders')
    const owner = s.api.parents('#sales-data').find((m) => m.text.includes('orders'))!
    const notice = s.api.parents('#growth-data').find((m) => m.text.startsWith('sales.orders'))!
    const send = (body: string, headers: Record<string, string>) =>
      s.app.request('/api/incidents/slack/actions', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      })
    const now = Math.floor(s.wall.getTime() / 1000)
    const signed = (body: string, ts = now) => ({
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': sign(body, ts),
    })
    return { ...s, id, owner, notice, send, signed, now }
  }

  it('acknowledges from the owners’ channel with a valid signature', async () => {
    const s = await posted()
    const body = click('incident_ack', s.id, s.owner)
    const res = await s.send(body, s.signed(body))
    expect(res.status).toBe(200)
    const v = (await (await s.app.request(`/api/incidents/${s.id}`)).json()) as Json
    expect(v.incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'ana (Slack)' })
    // the same signed request again is a replay
    expect((await s.send(body, s.signed(body))).status).toBe(401)
  }, 120_000)

  it.each([
    [
      'forged',
      (b: string, now: number) => ({
        'x-slack-request-timestamp': String(now),
        'x-slack-signature': sign(b, now, 'wrong-secret'),
      }),
    ],
    [
      'expired',
      (b: string, now: number) => ({
        'x-slack-request-timestamp': String(now - 301),
        'x-slack-signature': sign(b, now - 301),
      }),
    ],
    ['unsigned', () => ({})],
  ])(
    'refuses a %s request with 401 and changes nothing',
    async (_, headers) => {
      const s = await posted()
      const body = click('incident_ack', s.id, s.owner)
      const res = await s.send(body, headers(body, s.now))
      expect(res.status).toBe(401)
      const v = (await (await s.app.request(`/api/incidents/${s.id}`)).json()) as Json
      expect(v.incident.status).toBe('open')
    },
    120_000,
  )

  it('lets a consumer channel acknowledge its own notification but not mute the incident', async () => {
    const s = await posted()
    const mute = click('incident_mute', s.id, s.notice)
    expect((await s.send(mute, s.signed(mute))).status).toBe(403)
    const ack = click('incident_ack', s.id, s.notice)
    expect((await s.send(ack, s.signed(ack))).status).toBe(200)
    const v = (await (await s.app.request(`/api/incidents/${s.id}`)).json()) as Json
    expect(v.incident.status).toBe('open')
    expect(v.consumers.find((c: Json) => c.domain === 'marketing').acknowledgedBy).toBe(
      'ana (Slack)',
    )
  }, 120_000)
})
