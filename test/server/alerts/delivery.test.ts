import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../../db/client.ts'
import { alertCounts, claimDueAlerts, listAlerts } from '../../../db/queries/alerts.ts'
import { backoffMs, retryAfterMs } from '../../../server/alerts/deliver.ts'
import { BAD_DAY, badDay, badDayCopy, productsIn, SECRETS, testDispatcher } from './helpers.ts'
import { evaluateAs } from '../incidents/helpers.ts'
import { startReceiver, type Receiver } from './receiver.ts'
import { dbOf } from '../../store-deps.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

const ALL = Object.values(BAD_DAY).flat().sort()
const delivered = (r: Receiver) => r.accepted.flatMap((a) => productsIn(a.body)).sort()

/** Waits (polling the event loop) until `ok()`, failing after `deadlineMs` rather than hanging the suite. */
async function until(ok: () => boolean, deadlineMs = 20_000) {
  const end = Date.now() + deadlineMs
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('alert delivery', () => {
  it.each(['sales', 'finance', 'marketing'] as const)(
    "one domain's webhook that never answers (%s) delays no other domain's alerts",
    async (domain) => {
      receiver = await startReceiver()
      const r = receiver
      const { deps, clock } = await badDayCopy()
      const hung = SECRETS[`SLACK_WEBHOOK_${domain.toUpperCase()}` as keyof typeof SECRETS]
      r.setPathMode(hung, 'hang')
      // A timeout far beyond the test's deadline: only concurrency can deliver the others first.
      const d = testDispatcher(dbOf(deps), clock, r, { spacingMs: 0, timeoutMs: 600_000 })
      let finished = false
      const run = d.runOnce().finally(() => (finished = true))
      // Whatever the bad day breaches, by the outbox: every alert not routed to the hung webhook.
      const all = listAlerts(dbOf(deps))
      const others = [
        ...new Set(all.filter((a) => a.domain !== domain).map((a) => a.productId)),
      ].sort()
      expect(others.length).toBeGreaterThan(0)
      await until(() => r.hanging.length === 1 && delivered(r).length === others.length)
      expect(delivered(r)).toEqual(others)
      expect(finished).toBe(false)
      // The hanging webhook answers at last: its alerts are delivered too, once.
      r.hanging[0]?.writeHead(200, { 'content-type': 'text/html' }).end('ok')
      const result = await run
      expect(result.delivered).toHaveLength(all.length)
      expect(alertCounts(dbOf(deps))).toEqual({ delivered: all.length })
    },
  )

  it("honours a 429's Retry-After for the whole webhook, then delivers once", async () => {
    receiver = await startReceiver()
    const { deps, clock } = await badDayCopy()
    receiver.setMode('429', { retryAfter: '120' })
    const d = testDispatcher(dbOf(deps), clock, receiver, { spacingMs: 0 })
    const start = clock.ms
    const first = await d.runOnce()
    // Every webhook answered 429 once; nothing is sent again before its Retry-After.
    expect(first.retried).toHaveLength(5)
    expect(new Set(listAlerts(dbOf(deps)).map((a) => a.nextAttemptAt))).toEqual(
      new Set([new Date(start + 120_000).toISOString()]),
    )
    expect(listAlerts(dbOf(deps))[0]?.lastError).toBe('rate limited (HTTP 429: rate_limited)')
    const asked = receiver.requests
    receiver.setMode('ok')
    clock.advance(119_000)
    expect((await d.runOnce()).posts).toEqual([])
    expect(receiver.requests).toBe(asked)
    clock.advance(1_000)
    expect((await d.runOnce()).delivered).toHaveLength(5)
    expect(delivered(receiver)).toEqual(ALL)
  })

  it("keeps a 429's Retry-After across a restart, for alerts written after it too", async () => {
    receiver = await startReceiver()
    const file = join(mkdtempSync(join(tmpdir(), 'meshwatch-hold-')), 'store.db')
    const { deps, clock } = await badDay(file)
    receiver.setMode('429', { retryAfter: '600' })
    await testDispatcher(dbOf(deps), clock, receiver, { spacingMs: 0 }).runOnce()
    receiver.setMode('ok')
    const asked = receiver.requests
    // another process on the same store; the sales orders recover meanwhile (a new alert)
    const db = openDb(file)
    const restarted = testDispatcher(db, clock, receiver, { spacingMs: 0 })
    clock.advance(60_000)
    evaluateAs(db, 'sales.orders', 'ok', clock.now())
    const recovered = listAlerts(db).find((a) => a.kind === 'recovered')
    expect(recovered?.status).toBe('pending')
    expect((await restarted.runOnce()).posts).toEqual([])
    expect(receiver.requests).toBe(asked)
    clock.advance(540_000)
    expect((await restarted.runOnce()).delivered).toHaveLength(6)
    closeDb(db)
  })

  it('retries 5xx answers and timeouts with exponential backoff and jitter', async () => {
    receiver = await startReceiver()
    const { deps, clock } = await badDayCopy()
    const d = testDispatcher(dbOf(deps), clock, receiver, {
      spacingMs: 0,
      timeoutMs: 300,
      backoff: { baseMs: 1_000, maxMs: 60_000 },
    })
    receiver.setMode('500')
    await d.runOnce()
    const after500 = listAlerts(dbOf(deps))
    expect(
      after500.every(
        (a) =>
          a.status === 'pending' && a.lastError === 'HTTP 500: internal_error' && a.attempts === 1,
      ),
    ).toBe(true)
    // attempt 1: cap 1 s, random 0.5 → 750 ms
    expect(Date.parse(after500[0]?.nextAttemptAt ?? '') - clock.ms).toBe(750)
    receiver.setMode('hang')
    clock.advance(750)
    await d.runOnce()
    const afterTimeout = listAlerts(dbOf(deps))
    expect(
      afterTimeout.every((a) => a.lastError === 'timed out after 300 ms' && a.attempts === 2),
    ).toBe(true)
    expect(Date.parse(afterTimeout[0]?.nextAttemptAt ?? '') - clock.ms).toBe(1_500)
    receiver.setMode('ok')
    clock.advance(1_500)
    await d.runOnce()
    expect(alertCounts(dbOf(deps))).toEqual({ delivered: 5 })
    expect(delivered(receiver)).toEqual(ALL)
  })

  it('marks alerts failed with the reason on a 4xx other than 429', async () => {
    receiver = await startReceiver()
    const { deps, clock } = await badDayCopy()
    receiver.setMode('404')
    const r = await testDispatcher(dbOf(deps), clock, receiver).runOnce()
    expect(r.failed).toHaveLength(5)
    expect(listAlerts(dbOf(deps), { status: 'failed' }).map((a) => a.lastError)).toEqual(
      Array(5).fill('Slack refused the message: HTTP 404: no_service'),
    )
    clock.advance(24 * 3_600_000)
    expect((await testDispatcher(dbOf(deps), clock, receiver).runOnce()).posts).toEqual([])
  })

  it('fails an alert whose webhook variable is unset, naming the variable', async () => {
    receiver = await startReceiver()
    const { deps, clock } = await badDayCopy()
    const warned: { msg: string; fields?: Record<string, unknown> }[] = []
    const d = testDispatcher(dbOf(deps), clock, receiver, {
      env: { SLACK_WEBHOOK_SALES: `${receiver.url}/services/x` },
      log: { info() {}, error() {}, warn: (msg, fields) => warned.push({ msg, fields }) },
    })
    const r = await d.runOnce()
    expect(r.delivered).toHaveLength(2)
    const failed = listAlerts(dbOf(deps), { status: 'failed' })
    expect(failed.length).toBeGreaterThan(0)
    expect(listAlerts(dbOf(deps), { status: 'failed', domain: 'finance' })[0]?.lastError).toBe(
      "$SLACK_WEBHOOK_FINANCE is not set (the webhook of domain finance's breach route)",
    )
    // one warning per reason, naming every alert it holds back, not one line per alert
    const reasons = new Set(failed.map((a) => a.lastError))
    const alertWarnings = warned.filter((w) => w.msg === 'alert failed')
    expect(alertWarnings).toHaveLength(reasons.size)
    expect(alertWarnings.flatMap((w) => w.fields?.alerts as number[]).sort()).toEqual(
      failed.map((a) => a.id).sort(),
    )
  })

  it('delivers every alert exactly once after a 10-minute outage (simulated clock)', async () => {
    receiver = await startReceiver()
    const { deps, clock } = await badDayCopy()
    await receiver.close()
    const outageEnds = clock.ms + 10 * 60_000
    const r = receiver
    let polls = 0
    const errors = new Set<string>()
    let allDelivered = () => {}
    const done = new Promise<void>((resolve) => (allDelivered = resolve))
    const d = testDispatcher(dbOf(deps), clock, r, {
      sleep: async (ms) => {
        polls++
        for (const a of listAlerts(dbOf(deps))) if (a.lastError) errors.add(a.lastError)
        clock.advance(ms)
        if (!r.isOpen && clock.ms >= outageEnds) await r.reopen()
        if (alertCounts(dbOf(deps)).delivered === 5) allDelivered()
        await new Promise((s) => setImmediate(s))
      },
    })
    const stop = d.start()
    await done
    await stop()
    expect(clock.ms).toBeGreaterThanOrEqual(outageEnds)
    expect(clock.ms - outageEnds).toBeLessThan(5 * 60_000 + 10_000) // the backoff cap, plus a poll
    expect(delivered(receiver)).toEqual(ALL)
    expect(receiver.accepted).toHaveLength(3)
    const rows = listAlerts(dbOf(deps))
    expect(
      rows.every((a) => a.status === 'delivered' && a.attempts > 5 && a.lastError === null),
    ).toBe(true)
    expect(polls).toBeLessThan(500)
    expect([...errors]).toEqual(['network error: ECONNREFUSED'])
  })

  it('resumes after a crash: alerts claimed by a dead dispatcher are sent once their lease ends', async () => {
    receiver = await startReceiver()
    const file = join(mkdtempSync(join(tmpdir(), 'alerts-')), 'm.db')
    const { deps, clock } = await badDay(file)
    // A dispatcher claimed everything, then the process died before posting.
    const claimed = claimDueAlerts(dbOf(deps), {
      now: clock.now().toISOString(),
      leaseUntil: new Date(clock.ms + 60_000).toISOString(),
      limit: 100,
    })
    expect(claimed).toHaveLength(5)
    closeDb(dbOf(deps))

    const db = openDb(file)
    const d = testDispatcher(db, clock, receiver)
    clock.advance(30_000)
    expect((await d.runOnce()).posts).toEqual([])
    clock.advance(30_000)
    expect((await d.runOnce()).delivered).toHaveLength(5)
    clock.advance(10 * 60_000)
    expect((await d.runOnce()).posts).toEqual([])
    expect(delivered(receiver)).toEqual(ALL)
    expect(listAlerts(db).map((a) => a.attempts)).toEqual(Array(5).fill(2))
  })
})

describe('backoff and Retry-After', () => {
  it.each([
    { attempt: 1, random: 0, expected: 2_500 },
    { attempt: 1, random: 1, expected: 5_000 },
    { attempt: 3, random: 0.5, expected: 15_000 },
    { attempt: 10, random: 1, expected: 300_000 },
    { attempt: 30, random: 0, expected: 150_000 },
  ])('attempt $attempt with random $random waits $expected ms', ({ attempt, random, expected }) => {
    expect(backoffMs(attempt, () => random, { baseMs: 5_000, maxMs: 300_000 })).toBe(expected)
  })

  it.each([
    { header: '30', expected: 30_000 },
    { header: ' 0 ', expected: 0 },
    { header: 'Wed, 25 Nov 2026 21:00:10 GMT', expected: 10_000 },
    { header: 'soon', expected: undefined },
    { header: null, expected: undefined },
  ])('Retry-After $header → $expected ms', ({ header, expected }) => {
    expect(retryAfterMs(header, new Date('2026-11-25T21:00:00Z'))).toBe(expected)
  })
})
