import { afterEach, describe, expect, it } from 'vitest'
import { openDb } from '../../../db/client.ts'
import type { Db } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { ConfigError, loadConfigFile, parseConfig } from '../../../server/config-file.ts'
import { FIXTURES } from '../../../server/demo.ts'
import { incidents, incidentTransitions } from '../../../db/schema.ts'
import { SlackApiMessageSchema } from '../../../server/alerts/block-kit.ts'
import { buildSlackDigest, buildTeamsDigest } from '../../../server/incidents/digest.ts'
import { nextLocalTime } from '../../../server/incidents/quiet-hours.ts'
import { badDayCopy, captureLog, testDispatcher } from '../alerts/helpers.ts'
import { startReceiver } from '../alerts/receiver.ts'
import { evaluateAs, HOUR, withIncidentRoutes } from './helpers.ts'
import { adaptiveCardProblems, startReceivers, startSmtp } from './receivers.ts'
import { startSlackApi } from './slack-api.ts'
import { dbOf } from '../../store-deps.ts'

const SECRET = 'whsec-digest-0123456789'
const TOKEN = 'xoxb-3333-4444-s3cr3tDigestBot'
const SMTP = { user: 'meshwatch', pass: 'smtp-digest-pass' }
const DIGEST = { at: '09:00', tz: 'Europe/Berlin' }

type Json = Record<string, any>
const stops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of stops.splice(0)) await s()
})

/**
 * The product domain with a 09:00 Berlin digest on each channel kind that takes one. Its own
 * product feature_adoption is ok on the demo's bad day (a warning is made with evaluateAs); the
 * sales breaches it reads reach it as consumer notifications, at once.
 */
async function setup() {
  const api = await startSlackApi({ token: TOKEN, channels: ['#product-data'] })
  const r = await startReceivers({ webhookSecret: SECRET })
  const smtp = await startSmtp(SMTP)
  const hooks = await startReceiver()
  stops.push(api.close, r.close, smtp.close, hooks.close)
  const env = {
    SLACK_BOT_TOKEN: TOKEN,
    TEAMS_WEBHOOK_PRODUCT: `${r.url}/teams/sig-DigestS3cret`,
    HOOK_URL: `${r.url}/hook`,
    HOOK_SECRET: SECRET,
    SMTP_URL: `smtp://${SMTP.user}:${SMTP.pass}@127.0.0.1:${smtp.port}`,
  }
  const config = withIncidentRoutes({
    product: [
      { type: 'slack', token_env: 'SLACK_BOT_TOKEN', channel: '#product-data', digest: DIGEST },
      { type: 'teams', url_env: 'TEAMS_WEBHOOK_PRODUCT', digest: DIGEST },
      { type: 'webhook', url_env: 'HOOK_URL', secret_env: 'HOOK_SECRET', digest: DIGEST },
      {
        type: 'email',
        smtp_url_env: 'SMTP_URL',
        from: 'meshwatch@example.com',
        to: ['product-analytics@example.com'],
        digest: DIGEST,
      },
    ],
  })
  const { deps, clock } = await badDayCopy({ onDisk: true })
  const logged = captureLog()
  const dispatcherOn = (db: Db) =>
    testDispatcher(db, clock, hooks, {
      config,
      env,
      slackApiUrl: api.url,
      log: logged.log,
      timeoutMs: 10_000,
    })
  const app = createApp({ ...deps, meshwatch: config })
  const idOf = async (product: string) => {
    const res = await app.request(`/api/incidents?product=${product}`)
    return ((await res.json()) as Json).incidents[0].id as number
  }
  /** What each channel received, newest last: Slack top-level messages, Teams cards, webhook bodies, mails. */
  const got = () => ({
    slack: api.messages.filter((m) => !m.thread_ts).map((m) => m.text),
    teams: r.got.teams.map((m) => m.attachments[0].content.body[0].text as string),
    hook: r.got.hook.map((h) => h.body as Json),
    mail: smtp.mails.map((m) => /^Subject: (.*)$/im.exec(m.raw)?.[1] ?? ''),
  })
  return { api, r, smtp, hooks, deps, clock, dispatcherOn, app, idOf, got, logged, config }
}

const counts = (g: ReturnType<Awaited<ReturnType<typeof setup>>['got']>) => ({
  slack: g.slack.length,
  teams: g.teams.length,
  hook: g.hook.length,
  mail: g.mail.length,
})

/** One message more on every channel: the digest. */
const plusDigest = (c: ReturnType<typeof counts>) => ({
  slack: c.slack + 1,
  teams: c.teams + 1,
  hook: c.hook + 1,
  mail: c.mail + 1,
})

// The demo's bad day is recorded at 2026-11-25 20:41 UTC (21:41 in Berlin): the next 09:00 in
// Berlin is 08:00 UTC the morning after (winter time).
const DUE = new Date('2026-11-26T08:00:00Z')

describe('incident digests', () => {
  it('collect a route’s warnings into one message per channel at its local time, and send breaches at once', async () => {
    const s = await setup()
    const dispatcher = s.dispatcherOn(dbOf(s.deps))
    await dispatcher.runOnce()
    // the sales breaches that reach product are told at once, one message each
    const live = counts(s.got())
    expect(live.slack).toBeGreaterThan(0)
    expect(live).toEqual({
      slack: live.slack,
      teams: live.slack,
      hook: live.slack,
      mail: live.slack,
    })
    // a warning of product's own: collected, not sent
    evaluateAs(dbOf(s.deps), 'product.feature_adoption', 'warn', s.clock.now())
    const id = await s.idOf('product.feature_adoption')
    await dispatcher.runOnce()
    await s.app.request(`/api/incidents/${id}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"by":"ana"}',
    })
    s.clock.set(new Date(DUE.getTime() - 1_000))
    await dispatcher.runOnce()
    expect(counts(s.got())).toEqual(live)
    // 09:00 in Berlin: one digest on each channel, with both transitions
    s.clock.set(DUE)
    const r = await dispatcher.runOnce()
    expect(r.incidents?.digests.map((d) => [d.route.split(':')[0], d.outcome]).sort()).toEqual([
      ['email', 'delivered'],
      ['slack', 'delivered'],
      ['teams', 'delivered'],
      ['webhook', 'delivered'],
    ])
    const g = s.got()
    expect(counts(g)).toEqual(plusDigest(live))
    expect(s.r.refused).toEqual([])
    expect(g.slack.at(-1)).toBe('meshwatch digest: 1 incident (warnings)')
    const slackDigest = JSON.stringify(s.api.messages.at(-1)?.blocks)
    expect(slackDigest).toContain('SLA warning of feature_adoption')
    expect(slackDigest).toMatch(/opened at .*acknowledged by ana/)
    expect(g.teams.at(-1)).toBe('meshwatch digest: 1 incident (warnings)')
    const hook = g.hook.at(-1)!
    expect(hook.event).toBe('digest')
    expect(
      hook.incidents.map((i: Json) => [
        i.incident.productId,
        i.transitions.map((t: Json) => t.kind),
      ]),
    ).toEqual([['product.feature_adoption', ['opened', 'acknowledged']]])
    expect(s.r.got.hook.at(-1)?.headers['x-meshwatch-event']).toBe('digest')
    expect(g.mail.at(-1)).toBe('[meshwatch digest: 1 incident (warnings)]')
    expect(s.smtp.mails.at(-1)!.raw).toMatch(/Content-Type: text\/html/)
    // the incident shows what its digests took, and when they went out
    const v = (await (await s.app.request(`/api/incidents/${id}`)).json()) as Json
    expect(v.digests.map((d: Json) => [d.channel, d.status, d.dueAt]).sort()).toEqual(
      ['email', 'email', 'slack', 'slack', 'teams', 'teams', 'webhook', 'webhook'].map((c) => [
        c,
        'sent',
        DUE.toISOString(),
      ]),
    )
    // sent once
    s.clock.advance(HOUR)
    await dispatcher.runOnce()
    expect(counts(s.got())).toEqual(counts(g))
    // the warning becomes a breach: from then on it is sent at once, starting after what the digest told
    evaluateAs(dbOf(s.deps), 'product.feature_adoption', 'breach', s.clock.now())
    await dispatcher.runOnce()
    const after = s.got()
    expect(after.hook.slice(g.hook.length).map((h) => [h.event, h.incident.productId])).toEqual([
      ['updated', 'product.feature_adoption'],
    ])
    expect(after.slack.slice(g.slack.length)).toEqual([
      'Acknowledged: SLA breach of feature_adoption (product)',
    ])
    expect(after.teams).toHaveLength(g.teams.length + 1)
    expect(after.mail).toHaveLength(g.mail.length + 1)
    // no secret in the log
    for (const secret of [TOKEN, SECRET, SMTP.pass, 'sig-DigestS3cret'])
      expect(s.logged.lines.join('\n')).not.toContain(secret)
  }, 120_000)

  it('are stored: a restarted server sends what an outage held back, each digest once', async () => {
    const s = await setup()
    await s.dispatcherOn(dbOf(s.deps)).runOnce()
    const live = counts(s.got())
    evaluateAs(dbOf(s.deps), 'product.feature_adoption', 'warn', s.clock.now())
    await s.dispatcherOn(dbOf(s.deps)).runOnce()
    // every channel is down at 09:00
    s.api.setMode('500')
    s.r.setMode('500')
    s.smtp.setFailing(true)
    s.clock.set(DUE)
    const down = await s.dispatcherOn(dbOf(s.deps)).runOnce()
    expect(down.incidents?.digests.map((d) => d.outcome)).toEqual([
      'retry',
      'retry',
      'retry',
      'retry',
    ])
    expect(counts(s.got())).toEqual(live)
    // back up, and the server restarted (a new connection to the same store file)
    s.api.setMode('ok')
    s.r.setMode('ok')
    s.smtp.setFailing(false)
    const restarted = s.dispatcherOn(openDb(dbOf(s.deps).$client.name))
    for (let i = 0; i < 12; i++) {
      s.clock.advance(5 * 60_000)
      await restarted.runOnce()
    }
    const g = s.got()
    expect(counts(g)).toEqual(plusDigest(live))
    expect(g.hook.at(-1)?.incidents[0].incident.productId).toBe('product.feature_adoption')
    // the old dispatcher (say, a second replica) finds nothing left to send
    await s.dispatcherOn(dbOf(s.deps)).runOnce()
    expect(counts(s.got())).toEqual(counts(g))
  }, 120_000)
})

describe('a digest due while no dispatcher ran', () => {
  it('goes out when one runs again, that morning, not a day later', async () => {
    const s = await setup()
    await s.dispatcherOn(dbOf(s.deps)).runOnce()
    const live = counts(s.got())
    // the warning at 08:50 in Berlin; no dispatcher runs until 09:30
    s.clock.set(new Date(DUE.getTime() - 10 * 60_000))
    evaluateAs(dbOf(s.deps), 'product.feature_adoption', 'warn', s.clock.now())
    s.clock.set(new Date(DUE.getTime() + 30 * 60_000))
    await s.dispatcherOn(dbOf(s.deps)).runOnce()
    expect(counts(s.got())).toEqual(plusDigest(live))
  }, 120_000)
})

describe('a digest inside quiet hours', () => {
  it('waits for their end', async () => {
    const s = await setup()
    const quiet = { start: '08:30', end: '10:00', tz: 'Europe/Berlin' }
    const config = withIncidentRoutes({
      product: [
        {
          type: 'webhook',
          url_env: 'HOOK_URL',
          secret_env: 'HOOK_SECRET',
          digest: DIGEST,
          quiet_hours: quiet,
        },
      ],
    })
    const d = () =>
      testDispatcher(dbOf(s.deps), s.clock, s.hooks, {
        config,
        env: { HOOK_URL: `${s.r.url}/hook`, HOOK_SECRET: SECRET },
      })
    s.clock.set(new Date(DUE.getTime() - 4 * HOUR))
    await d().runOnce()
    const before = s.r.got.hook.length
    evaluateAs(dbOf(s.deps), 'product.feature_adoption', 'warn', s.clock.now())
    s.clock.set(DUE)
    await d().runOnce()
    s.clock.set(new Date(DUE.getTime() + HOUR - 1_000))
    await d().runOnce()
    expect(s.r.got.hook).toHaveLength(before)
    // 10:00 in Berlin
    s.clock.set(new Date(DUE.getTime() + HOUR))
    await d().runOnce()
    expect(s.r.got.hook.slice(before).map((h) => h.body.event)).toEqual(['digest'])
  }, 120_000)
})

describe('a digest of many incidents', () => {
  it('stays within Block Kit’s limits and is a valid Adaptive Card, listing 20 and counting the rest', async () => {
    const { deps } = await badDayCopy()
    const rows = dbOf(deps).select().from(incidents).all()
    const transitions = dbOf(deps).select().from(incidentTransitions).all()
    // 60 entries of the bad day's incidents, each with a long title and every transition
    const entries = Array.from({ length: 60 }, (_, i) => {
      const row = rows[i % rows.length]!
      return {
        incident: { ...row, id: i + 1, title: `${row.title} ${'x'.repeat(400)}` },
        audience: i % 2 ? 'owner' : 'marketing',
        transitions: transitions.filter((t) => t.incidentId === row.id),
      }
    })
    const ctx = {
      routeKey: 'slack:SLACK_BOT_TOKEN:#x',
      deliveryTag: '1-60',
      publicUrl: 'http://127.0.0.1:4000',
      now: new Date('2026-11-26T08:00:00Z'),
      timeoutMs: 1_000,
      fetch,
      secrets: {},
      slackApiUrl: '',
    }
    const slack = buildSlackDigest(entries, ctx)
    expect(SlackApiMessageSchema.safeParse({ ...slack, channel: '#x' }).success).toBe(true)
    expect(slack.blocks).toHaveLength(22)
    expect(JSON.stringify(slack.blocks.at(-1))).toContain('… and 40 more incidents')
    const teams = buildTeamsDigest(entries, ctx)
    expect(adaptiveCardProblems(teams.attachments[0]!.content)).toEqual([])
  })
})

describe('the digest time', () => {
  it.each([
    {
      name: 'later the same day',
      at: '09:00',
      tz: 'Europe/Berlin',
      after: '2026-06-01T05:00:00Z',
      next: '2026-06-01T07:00:00Z',
    },
    {
      name: 'at the time itself: the next day',
      at: '09:00',
      tz: 'Europe/Berlin',
      after: '2026-06-01T07:00:00Z',
      next: '2026-06-02T07:00:00Z',
    },
    {
      name: 'the morning after summer time starts',
      at: '09:00',
      tz: 'Europe/Berlin',
      after: '2027-03-27T10:00:00Z',
      next: '2027-03-28T07:00:00Z',
    },
    {
      name: 'the morning after summer time ends',
      at: '09:00',
      tz: 'Europe/Berlin',
      after: '2026-10-24T10:00:00Z',
      next: '2026-10-25T08:00:00Z',
    },
    {
      name: 'a time the clock skips (02:30 the night it springs forward): an hour later',
      at: '02:30',
      tz: 'Europe/Berlin',
      after: '2027-03-27T10:00:00Z',
      next: '2027-03-28T01:30:00Z',
    },
    {
      name: 'a time the clock shows twice (02:30 the night it falls back): the second, once',
      at: '02:30',
      tz: 'Europe/Berlin',
      after: '2026-10-24T10:00:00Z',
      next: '2026-10-25T01:30:00Z',
    },
    {
      name: 'New York the day it springs forward',
      at: '08:00',
      tz: 'America/New_York',
      after: '2027-03-14T03:00:00Z',
      next: '2027-03-14T12:00:00Z',
    },
    {
      name: 'a half-hour zone, across midnight UTC',
      at: '00:15',
      tz: 'Asia/Kolkata',
      after: '2026-12-31T12:00:00Z',
      next: '2026-12-31T18:45:00Z',
    },
  ])('is the next local $at: $name', ({ at, tz, after, next }) => {
    expect(nextLocalTime(at, tz, new Date(after)).toISOString()).toBe(new Date(next).toISOString())
  })
})

describe('digest and shared-channel settings in meshwatch.yml', () => {
  const problems = (yml: string) => {
    try {
      parseConfig(yml, 'meshwatch.yml')
      return []
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e
      return e.message.split('\n')
    }
  }

  it('refuses a digest on PagerDuty, naming the file, line and field', () => {
    expect(
      problems(`incidents:
  routes:
    - type: pagerduty
      routing_key_env: PD_ROUTING_KEY
      digest: { at: '09:00', tz: Europe/Berlin }
`),
    ).toEqual([
      expect.stringMatching(
        /^meshwatch\.yml:5:\d+: incidents\.routes\[0\]\.digest: PagerDuty pages about one incident at a time and has no digest/,
      ),
    ])
  })

  it('refuses a malformed digest time or zone, and a digest on a breach-only route', () => {
    expect(
      problems(`domains:
  sales:
    incidents:
      routes:
        - type: slack
          token_env: SLACK_BOT_TOKEN
          channel: '#sales-data'
          digest: { at: '9am', tz: Europe/Berln }
        - type: webhook
          url_env: HOOK_URL
          secret_env: HOOK_SECRET
          severity: breach
          digest: { at: '09:00', tz: UTC }
`),
    ).toEqual([
      'meshwatch.yml:8:25: domains.sales.incidents.routes[0].digest.at: expected HH:MM',
      'meshwatch.yml:8:36: domains.sales.incidents.routes[0].digest.tz: expected an IANA time zone like Europe/Berlin',
      expect.stringMatching(
        /^meshwatch\.yml:13:\d+: domains\.sales\.incidents\.routes\[1\]\.digest: a digest collects warnings .*\(severity: breach\)/,
      ),
    ])
  })

  it('refuses two routes on one channel that differ in quiet hours or digest, naming both', () => {
    expect(
      problems(`incidents:
  routes:
    - { type: slack, token_env: SLACK_BOT_TOKEN, channel: '#data' }
domains:
  sales:
    incidents:
      routes:
        - type: slack
          token_env: SLACK_BOT_TOKEN
          channel: '#data'
          products: [sales.orders]
          quiet_hours: { start: '22:00', end: '07:00', tz: Europe/Berlin }
          digest: { at: '09:00', tz: Europe/Berlin }
`),
    ).toEqual([
      expect.stringMatching(
        /^meshwatch\.yml:12:\d+: domains\.sales\.incidents\.routes\[0\]\.quiet_hours: slack:SLACK_BOT_TOKEN:#data is also the channel of incidents\.routes\[0\]/,
      ),
      expect.stringMatching(
        /^meshwatch\.yml:13:\d+: domains\.sales\.incidents\.routes\[0\]\.digest: slack:SLACK_BOT_TOKEN:#data is also the channel of incidents\.routes\[0\]/,
      ),
    ])
  })

  it('accepts routes on one channel that agree on how it is delivered, whatever they filter', () => {
    const q = `{ start: '22:00', end: '07:00', tz: Europe/Berlin }`
    expect(
      problems(`domains:
  sales:
    incidents:
      routes:
        - { type: slack, token_env: SLACK_BOT_TOKEN, channel: '#data', products: [sales.orders], quiet_hours: ${q} }
        - { type: slack, token_env: SLACK_BOT_TOKEN, channel: '#data', severity: breach, quiet_hours: ${q} }
`),
    ).toEqual([])
  })

  it('keeps the demo’s meshwatch.yml valid', () => {
    expect(() => loadConfigFile(`${FIXTURES}/meshwatch.yml`)).not.toThrow()
  })
})
