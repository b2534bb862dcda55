import type pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { openPgPool } from '../../db/pg/client.ts'
import { copyStore } from '../../db/pg/copy.ts'
import { pgStore } from '../../db/pg/store.ts'
import type { AlertInsert } from '../../db/queries/alerts.ts'
import type { Store } from '../../db/store.ts'
import { createDispatcher, type DispatchResult } from '../../server/alerts/dispatcher.ts'
import { alertFacts } from '../db/alert-facts.ts'
import { badDay, CONFIG, productsIn, testClock, webhookEnv } from '../server/alerts/helpers.ts'
import { startReceiver, type Receiver } from '../server/alerts/receiver.ts'
import { startSlackApi, type SlackApi } from '../server/incidents/slack-api.ts'
import { dbOf } from '../store-deps.ts'
import { createDatabase } from './helpers.ts'

// #16: the alert dispatcher on PostgreSQL with several replicas. Two dispatchers, each on its own
// pool (its own connections, as two server replicas have), on one database holding the demo's bad
// day; a real Slack-like receiver on 127.0.0.1 for the webhooks and a Slack Web API stand-in for
// the incidents' living messages. What both claim at once goes out once; what a dead one claimed
// goes out when its lease ends.

const TOKEN = 'xoxb-test-0000-s3cr3tBotToken'
const CHANNELS = ['#sales-data', '#growth-analytics', '#product-analytics', '#data-platform']
const LEASE_MS = 60_000

let url: string
let pools: pg.Pool[] = []
let stores: [Store, Store]
let clock: ReturnType<typeof testClock>
let receiver: Receiver
let slack: SlackApi

beforeAll(async () => {
  const demo = await badDay()
  url = await createDatabase()
  pools = [await openPgPool(url), await openPgPool(url)]
  await copyStore(dbOf(demo.deps), pools[0]!)
  stores = [pgStore(pools[0]!), pgStore(pools[1]!)]
  clock = testClock(demo.clock.now())
  receiver = await startReceiver()
  slack = await startSlackApi({ token: TOKEN, channels: CHANNELS })
}, 240_000)
afterAll(async () => {
  await receiver?.close()
  await slack?.close()
  for (const p of pools) await p.end()
})
beforeEach(() => void receiver.accepted.splice(0))

const dispatcherOn = (store: Store, batchSize = 200, fetch?: typeof globalThis.fetch) =>
  createDispatcher({
    store,
    ...(fetch ? { fetch } : {}),
    config: CONFIG,
    env: { ...webhookEnv(receiver), SLACK_BOT_TOKEN: TOKEN },
    slackApiUrl: slack.url,
    now: clock.now,
    // sleeps (Slack's spacing between posts to one webhook) advance nothing: both run at once
    sleep: async () => new Promise((r) => setImmediate(r)),
    random: () => 0.5,
    timeoutMs: 10_000,
    leaseMs: LEASE_MS,
    batchSize,
  })

const alertsIn = (r: DispatchResult) => r.posts.filter((p) => p.outcome === 'delivered')

const pendingAlerts = async () =>
  (
    await pools[0]!.query<{ n: number }>(
      "select count(*)::int as n from alerts where status = 'pending'",
    )
  ).rows[0]!.n

describe('two dispatchers on one PostgreSQL', () => {
  it("deliver the demo's alerts and incident messages once each, though both run every pass at once", async () => {
    const [a, b] = [dispatcherOn(stores[0], 2), dispatcherOn(stores[1], 2)]
    const pending = await pools[0]!.query<{ id: number; dedupe_key: string }>(
      "select id, dedupe_key from alerts where status = 'pending' order by id",
    )
    expect(pending.rows.length).toBeGreaterThan(3)
    const results: DispatchResult[] = []
    // small passes, so the two meet over several claims
    for (let pass = 0; pass < 10 && (await pendingAlerts()) > 0; pass++)
      results.push(...(await Promise.all([a.runOnce(), b.runOnce()])))
    expect(await pendingAlerts()).toBe(0)

    const delivered = results.flatMap((r) => alertsIn(r).flatMap((p) => p.ids))
    expect(delivered.sort((x, y) => x - y)).toEqual(pending.rows.map((r) => r.id))
    // each alert went out in one post, and the receiver got exactly the posts reported delivered
    expect(new Set(delivered).size).toBe(delivered.length)
    expect(receiver.accepted).toHaveLength(results.flatMap(alertsIn).length)
    const products = receiver.accepted.flatMap((m) => productsIn(m.body))
    expect(new Set(products).size).toBe(products.length)
    // both dispatchers took part
    expect(results.filter((_, i) => i % 2 === 0).some((r) => r.delivered.length > 0)).toBe(true)
    expect(results.filter((_, i) => i % 2 === 1).some((r) => r.delivered.length > 0)).toBe(true)

    // the incidents' living messages: one chat.postMessage per delivery, none twice
    const deliveries = await pools[0]!.query<{ id: number; ref: { ts: string } | null }>(
      "select id, ref from incident_deliveries where status = 'active' order by id",
    )
    expect(deliveries.rows.length).toBeGreaterThan(0)
    const posted = results.flatMap(
      (r) => r.incidents?.calls.filter((c) => c.method === 'chat.postMessage') ?? [],
    )
    expect(posted.map((c) => c.delivery).sort((x, y) => x - y)).toEqual(
      deliveries.rows.map((d) => d.id),
    )
    expect(deliveries.rows.every((d) => d.ref?.ts)).toBe(true)
    expect(slack.messages.filter((m) => !m.thread_ts)).toHaveLength(deliveries.rows.length)

    const again = await Promise.all([a.runOnce(), b.runOnce()])
    expect(again.flatMap((r) => r.posts)).toEqual([])
    expect(again.flatMap((r) => r.incidents?.calls ?? [])).toEqual([])
  })

  it('deliver what a dead dispatcher claimed once its lease has run out, and not before', async () => {
    const now = clock.ms
    const at = (ms: number) => new Date(now + ms).toISOString()
    const rows: AlertInsert[] = ['sales', 'finance'].map((domain, i) => ({
      dedupeKey: `dead-claim-${i}`,
      productId: `${domain}.lease_test`,
      domain,
      kind: 'opened',
      severity: 'breach',
      payload: alertFacts({ productId: `${domain}.lease_test`, domain }),
      createdAt: at(0),
      nextAttemptAt: at(0),
    }))
    const ids = await stores[0].alerts.enqueueAlerts(rows)
    // A dispatcher claims them (the first step of its pass), then dies before it posts: its
    // connections close, its lease stays in the rows.
    const dying = await openPgPool(url)
    const claimed = await pgStore(dying).alerts.claimDueAlerts({
      now: at(0),
      leaseUntil: at(LEASE_MS),
      limit: 200,
    })
    await dying.end()
    expect(claimed.map((r) => r.id)).toEqual(ids)

    const survivor = dispatcherOn(stores[1])
    clock.set(new Date(now + LEASE_MS - 1000))
    expect((await survivor.runOnce()).posts).toEqual([])
    expect(receiver.accepted).toEqual([])

    clock.set(new Date(now + LEASE_MS))
    const r = await survivor.runOnce()
    expect(r.delivered.sort((x, y) => x - y)).toEqual(ids)
    expect(receiver.accepted.flatMap((m) => productsIn(m.body)).sort()).toEqual([
      'finance.lease_test',
      'sales.lease_test',
    ])
    const stored = await stores[1].alerts.listAlerts({ productId: 'sales.lease_test' })
    expect(stored).toMatchObject([{ status: 'delivered', attempts: 2 }])
    expect((await survivor.runOnce()).posts).toEqual([])
  })

  it('a dispatcher that outlived its lease does not send what another claimed since', async () => {
    const now = clock.ms
    const at = (ms: number) => new Date(now + ms).toISOString()
    // two sales alerts on one webhook, in two posts one after the other: breach to #sales-oncall,
    // warn to #sales-data
    const rows: AlertInsert[] = (['breach', 'warn'] as const).map((severity) => ({
      dedupeKey: `slow-claim-${severity}`,
      productId: `sales.slow_${severity}`,
      domain: 'sales',
      kind: 'opened',
      severity,
      payload: alertFacts({ productId: `sales.slow_${severity}`, domain: 'sales' }),
      createdAt: at(0),
      nextAttemptAt: at(0),
    }))
    await stores[0].alerts.enqueueAlerts(rows)
    // A's first post hangs (a slow receiver, a paused process) past its lease
    let release!: () => void
    const hung = new Promise<void>((r) => (release = r))
    let posting!: () => void
    const isPosting = new Promise<void>((r) => (posting = r))
    let first = true
    const slow: typeof globalThis.fetch = async (u, init) => {
      if (first && String(u).startsWith(receiver.url)) {
        first = false
        posting()
        await hung
      }
      return fetch(u, init)
    }
    const a = dispatcherOn(stores[0], 200, slow).runOnce()
    await isPosting
    // the lease ran out: B claims both and sends them
    clock.set(new Date(now + LEASE_MS + 1000))
    const b = await dispatcherOn(stores[1]).runOnce()
    expect(b.delivered).toHaveLength(2)
    release()
    const late = await a
    const sent = receiver.accepted.flatMap((m) => productsIn(m.body))
    // the post A had begun went out twice (a post slower than the lease: at least once), but the
    // warn alert, which B had claimed by the time A came to it, went out once, by B
    expect(sent.filter((p) => p === 'sales.slow_warn')).toEqual(['sales.slow_warn'])
    expect(late.posts.map((p) => p.outcome)).toEqual(['delivered'])
    const stored = await stores[1].alerts.listAlerts({ productId: 'sales.slow_warn' })
    expect(stored).toMatchObject([{ status: 'delivered' }])
  })
})
