import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import {
  renewLease,
  alertCounts,
  claimDueAlerts,
  enqueueAlerts,
  insertEpisode,
  listAlerts,
  markDelivered,
  markFailed,
  markRetry,
  nextDueAt,
  openEpisodes,
  requeueFailed,
  updateEpisode,
  type AlertInsert,
} from '../../db/queries/alerts.ts'
import { alertFacts } from './alert-facts.ts'

const T0 = '2026-03-01T12:00:00.000Z'
const T1 = '2026-03-01T12:01:00.000Z'
const T2 = '2026-03-01T12:02:00.000Z'
const T5 = '2026-03-01T12:05:00.000Z'

const alert = (key: string, over: Partial<AlertInsert> = {}): AlertInsert => ({
  dedupeKey: key,
  productId: 'sales.orders',
  domain: 'sales',
  kind: 'opened',
  severity: 'breach',
  payload: alertFacts({ productId: key }),
  createdAt: T0,
  nextAttemptAt: T0,
  ...over,
})

const keys = (rows: { dedupeKey: string }[]) => rows.map((r) => r.dedupeKey)
const claim = (db: Db, now: string, limit = 10, leaseUntil = T5) =>
  claimDueAlerts(db, { now, leaseUntil, limit })

describe('the alert outbox', () => {
  it('enqueues each dedupe key once and returns only the ids it added', () => {
    const db = openDb(':memory:')
    const first = enqueueAlerts(db, [alert('a'), alert('b')])
    expect(first).toHaveLength(2)
    const again = enqueueAlerts(db, [
      alert('b', { payload: alertFacts({ productId: 'changed' }) }),
      alert('c'),
    ])
    expect(again).toHaveLength(1)
    expect(keys(listAlerts(db))).toEqual(['c', 'b', 'a'])
    expect(listAlerts(db).find((r) => r.dedupeKey === 'b')?.payload).toEqual(
      alertFacts({ productId: 'b' }),
    )
    expect(enqueueAlerts(db, [])).toEqual([])
  })

  it('claims due pending alerts oldest-due first, up to the limit, and leases them', () => {
    const db = openDb(':memory:')
    enqueueAlerts(db, [
      alert('later', { nextAttemptAt: T1 }),
      alert('first', { nextAttemptAt: T0 }),
      alert('not-yet', { nextAttemptAt: T5 }),
      alert('second', { nextAttemptAt: T0 }),
    ])
    const got = claim(db, T2, 2)
    expect(keys(got)).toEqual(['first', 'second'])
    for (const r of got)
      expect(r).toMatchObject({
        status: 'pending',
        attempts: 1,
        lastAttemptAt: T2,
        nextAttemptAt: T5,
      })
    expect(keys(claim(db, T2))).toEqual(['later'])
    // Everything due is leased until T5: nothing more to claim now.
    expect(claim(db, T2)).toEqual([])
  })

  it('gives a claimed alert back once its lease ends (a dispatcher died mid-send)', () => {
    const db = openDb(':memory:')
    enqueueAlerts(db, [alert('a')])
    expect(claim(db, T0, 10, T1)).toHaveLength(1)
    expect(claim(db, '2026-03-01T12:00:59.999Z')).toEqual([])
    const retaken = claim(db, T1)
    expect(keys(retaken)).toEqual(['a'])
    expect(retaken[0]?.attempts).toBe(2)
  })

  it('never hands one alert to two dispatchers on two connections', () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshwatch-alerts-'))
    const file = join(dir, 'store.db')
    const a = openDb(file)
    const b = openDb(file)
    try {
      enqueueAlerts(
        a,
        Array.from({ length: 5 }, (_, i) => alert(`k${i}`)),
      )
      const byA = claim(a, T0, 3)
      const byB = claim(b, T0, 3)
      expect(byA).toHaveLength(3)
      expect(byB).toHaveLength(2)
      expect(new Set([...keys(byA), ...keys(byB)]).size).toBe(5)
    } finally {
      closeDb(a)
      closeDb(b)
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('does not claim delivered or failed alerts', () => {
    const db = openDb(':memory:')
    const [delivered, failed] = enqueueAlerts(db, [alert('d'), alert('f'), alert('p')])
    markDelivered(db, [delivered ?? 0], T0)
    markFailed(db, [failed ?? 0], 'HTTP 404 from Slack')
    expect(keys(claim(db, T1))).toEqual(['p'])
    expect(alertCounts(db)).toEqual({ delivered: 1, failed: 1, pending: 1 })
    expect(listAlerts(db, { status: 'delivered' })[0]).toMatchObject({
      deliveredAt: T0,
      lastError: null,
    })
    expect(listAlerts(db, { status: 'failed' })[0]?.lastError).toBe('HTTP 404 from Slack')
  })

  it('retries at the time given, with the error kept, and never revives a delivered alert', () => {
    const db = openDb(':memory:')
    const [a, b] = enqueueAlerts(db, [alert('a'), alert('b')])
    claim(db, T0)
    markDelivered(db, [b ?? 0], T0)
    markRetry(db, [a ?? 0, b ?? 0], T2, 'HTTP 503')
    expect(claim(db, T1)).toEqual([])
    const retried = claim(db, T2)
    expect(keys(retried)).toEqual(['a'])
    expect(retried[0]?.lastError).toBe('HTTP 503')
    expect(listAlerts(db, { status: 'delivered' })[0]?.nextAttemptAt).toBe(T5)
  })

  it('renews a lease so a slow send is not claimed again', () => {
    const db = openDb(':memory:')
    const [id] = enqueueAlerts(db, [alert('a')])
    claim(db, T0, 10, T1)
    expect(renewLease(db, [id ?? 0], T1, T5)).toEqual([id])
    expect(claim(db, T2)).toEqual([])
    expect(keys(claim(db, T5))).toEqual(['a'])
  })

  it('does not renew a lease that ran out and was claimed by another dispatcher, or a sent alert', () => {
    const db = openDb(':memory:')
    const [a, b] = enqueueAlerts(db, [alert('a'), alert('b')])
    claim(db, T0, 10, T1)
    // the first dispatcher's lease (T1) ran out; a second claims both at T2, leased until T5
    expect(keys(claim(db, T2, 10, T5))).toEqual(['a', 'b'])
    markDelivered(db, [b ?? 0], T2)
    expect(renewLease(db, [a ?? 0, b ?? 0], T1, T5)).toEqual([])
    // the second dispatcher still holds its own
    expect(renewLease(db, [a ?? 0, b ?? 0], T5, T5)).toEqual([a])
  })

  it('requeues failed alerts (all, or the ids given) due at their creation time', () => {
    const db = openDb(':memory:')
    const ids = enqueueAlerts(db, [
      alert('a'),
      alert('b'),
      alert('c', { createdAt: T1, nextAttemptAt: T1 }),
    ])
    claim(db, T2)
    markFailed(db, ids, 'gave up')
    expect(requeueFailed(db, [ids[0] ?? 0])).toBe(1)
    expect(listAlerts(db, { status: 'pending' })).toMatchObject([
      { dedupeKey: 'a', nextAttemptAt: T0 },
    ])
    expect(requeueFailed(db)).toBe(2)
    expect(requeueFailed(db)).toBe(0)
    expect(nextDueAt(db)).toBe(T0)
    expect(keys(claim(db, T1))).toEqual(['a', 'b', 'c'])
  })

  it('says when the next pending alert is due, and nothing when none is pending', () => {
    const db = openDb(':memory:')
    expect(nextDueAt(db)).toBeUndefined()
    const [a] = enqueueAlerts(db, [
      alert('a', { nextAttemptAt: T2 }),
      alert('b', { nextAttemptAt: T1 }),
    ])
    expect(nextDueAt(db)).toBe(T1)
    markDelivered(db, enqueueAlerts(db, [alert('c', { nextAttemptAt: T0 })]), T0)
    expect(nextDueAt(db)).toBe(T1)
    markFailed(db, [a ?? 0], 'x')
    claim(db, T1, 10, T5)
    expect(nextDueAt(db)).toBe(T5)
  })

  it('lists alerts newest first, filtered by status, domain and product, up to a limit', () => {
    const db = openDb(':memory:')
    enqueueAlerts(db, [
      alert('s1'),
      alert('f1', { domain: 'finance', productId: 'finance.ledger' }),
      alert('s2', { productId: 'sales.customers' }),
    ])
    expect(keys(listAlerts(db, { domain: 'sales' }))).toEqual(['s2', 's1'])
    expect(keys(listAlerts(db, { productId: 'finance.ledger' }))).toEqual(['f1'])
    expect(keys(listAlerts(db, { limit: 1 }))).toEqual(['s2'])
    expect(listAlerts(db, { status: 'failed' })).toEqual([])
  })
})

describe('alert episodes', () => {
  it('keeps at most one open episode per product, and opens a new one after it closes', () => {
    const db = openDb(':memory:')
    const first = insertEpisode(db, { productId: 'p', domain: 'sales', status: 'warn', at: T0 })
    expect(() =>
      insertEpisode(db, { productId: 'p', domain: 'sales', status: 'breach', at: T1 }),
    ).toThrow(/UNIQUE constraint failed/)
    updateEpisode(db, first, { status: 'breach', worst: 'breach', lastAlertAt: T1, reminders: 1 })
    expect(openEpisodes(db, ['p', 'other']).get('p')).toMatchObject({
      id: first,
      status: 'breach',
      worst: 'breach',
      openedAt: T0,
      lastAlertAt: T1,
      reminders: 1,
      closedAt: null,
    })
    updateEpisode(db, first, { closedAt: T2 })
    expect(openEpisodes(db, ['p']).size).toBe(0)
    const second = insertEpisode(db, { productId: 'p', domain: 'sales', status: 'warn', at: T5 })
    expect(second).not.toBe(first)
    expect(openEpisodes(db, ['p']).get('p')?.id).toBe(second)
  })
})
