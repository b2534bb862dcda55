import type pg from 'pg'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { alerts as pgAlerts } from '../../db/pg/queries/alerts.ts'
import * as liteAlerts from '../../db/queries/alerts.ts'
import type { AlertInsert } from '../../db/queries/alerts.ts'
import { alertFacts } from '../db/alert-facts.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/alerts.ts and db/pg/queries/alerts.ts on the demo's bad day (its outbox as the
// evaluator wrote it), the same calls on both, answers compared; then what only several
// replicas on one PostgreSQL can do: claim at once.

type M = typeof pgAlerts
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }
let now: Date

beforeAll(async () => {
  ;({ db, pool, now } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteAlerts, db), pg: bindPg(pgAlerts, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString()
const alert = (key: string, over: Partial<AlertInsert> = {}): AlertInsert => ({
  dedupeKey: key,
  productId: 'sales.orders',
  domain: 'sales',
  kind: 'opened',
  severity: 'breach',
  payload: alertFacts({ productId: key }),
  createdAt: at(0),
  nextAttemptAt: at(0),
  ...over,
})

describe('the alert outbox on both engines', () => {
  it('lists and counts the demo outbox alike', async () => {
    const all = await onBoth(both, (m) => m.listAlerts({ limit: 1000 }))
    expect(all.length).toBeGreaterThan(3)
    expect(all.map((a) => a.id)).toEqual(all.map((a) => a.id).sort((a, b) => b - a))
    await onBoth(both, (m) => m.listAlerts({ domain: 'sales', status: 'pending', limit: 2 }))
    await onBoth(both, (m) => m.listAlerts({ productId: all[0]!.productId ?? undefined }))
    const counts = await onBoth(both, (m) => m.alertCounts())
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(all.length)
    const products = [...new Set(all.flatMap((a) => (a.productId ? [a.productId] : [])))]
    const episodes = await onBoth(both, (m) => m.openEpisodes(products))
    expect(episodes.size).toBeGreaterThan(0)
    const meta = await onBoth(both, (m) => m.productMeta([...products, 'no.such.product']))
    expect(meta.size).toBe(products.length)
    await onBoth(both, (m) => m.nextDueAt())
  })

  it('enqueues each dedupe key once; a skipped key draws an id on both, so the next ids agree', async () => {
    const first = await onBoth(both, (m) =>
      m.enqueueAlerts([alert('k1'), alert('k2'), alert('k1')]),
    )
    expect(first).toHaveLength(2)
    const again = await onBoth(both, (m) => m.enqueueAlerts([alert('k2'), alert('k3')]))
    expect(again).toEqual([first[1]! + 3])
    expect(await onBoth(both, (m) => m.enqueueAlerts([]))).toEqual([])
  })

  it('claims due alerts with a lease, oldest due first; a claimed alert is not due until its lease ends', async () => {
    const claimed = await onBoth(both, (m) =>
      m.claimDueAlerts({ now: at(1), leaseUntil: at(10), limit: 3 }),
    )
    expect(claimed).toHaveLength(3)
    expect(claimed.every((a) => a.nextAttemptAt === at(10) && a.lastAttemptAt === at(1))).toBe(true)
    const next = await onBoth(both, (m) =>
      m.claimDueAlerts({ now: at(2), leaseUntil: at(10), limit: 1000 }),
    )
    expect(next.map((a) => a.id)).not.toContain(claimed[0]!.id)
    // every due alert is leased now: nothing until the first lease ends, then all of them
    expect(
      await onBoth(both, (m) => m.claimDueAlerts({ now: at(9), leaseUntil: at(20), limit: 1000 })),
    ).toEqual([])
    const again = await onBoth(both, (m) =>
      m.claimDueAlerts({ now: at(10), leaseUntil: at(20), limit: 1000 }),
    )
    expect(again.map((a) => a.id).sort()).toEqual([...claimed, ...next].map((a) => a.id).sort())
    expect(again.find((a) => a.id === claimed[0]!.id)?.attempts).toBe(claimed[0]!.attempts + 1)
  })

  it('settles claimed alerts alike: delivered, retried, leased longer, failed, requeued', async () => {
    const ids = (await both.sqlite.listAlerts({ status: 'pending', limit: 1000 })).map((a) => a.id)
    expect(ids.length).toBeGreaterThan(5)
    await onBoth(both, (m) => m.markDelivered(ids.slice(0, 2), at(11)))
    await onBoth(both, (m) => m.markRetry(ids.slice(0, 4), at(30), 'HTTP 503 from the receiver'))
    const lease = (await both.sqlite.listAlerts({ limit: 1000 })).find((a) => a.id === ids[4])
    expect(
      await onBoth(both, (m) => m.renewLease([ids[0]!, ids[4]!], lease!.nextAttemptAt, at(40))),
    ).toEqual([ids[4]])
    // a delivered alert (ids[0]) and a lease it does not hold (renewed since) are not renewed
    expect(
      await onBoth(both, (m) => m.renewLease(ids.slice(4, 5), lease!.nextAttemptAt, at(50))),
    ).toEqual([])
    await onBoth(both, (m) => m.markFailed(ids.slice(5, 7), 'gave up'))
    expect(await onBoth(both, (m) => m.nextDueAt())).toBe(at(20))
    await onBoth(both, (m) => m.listAlerts({ limit: 1000 }))
    expect(await onBoth(both, (m) => m.requeueFailed([ids[5]!, ids[0]!]))).toBe(1)
    expect(await onBoth(both, (m) => m.requeueFailed(undefined))).toBe(1)
    expect(await onBoth(both, (m) => m.requeueFailed(undefined))).toBe(0)
    await onBoth(both, (m) => m.listAlerts({ limit: 1000 }))
    await onBoth(both, (m) => m.alertCounts())
  })

  it('opens and updates an episode alike', async () => {
    const id = await onBoth(both, (m) =>
      m.insertEpisode({ productId: 'test.product', domain: 'test', status: 'warn', at: at(12) }),
    )
    await onBoth(both, (m) =>
      m.updateEpisode(id, { worst: 'breach', reminders: 2, closedAt: at(13) }),
    )
    const rows = await onBoth(both, async () => {
      const r = db.$client.prepare('select * from alert_episodes where id = ?').get(id)
      return r as Record<string, unknown>
    })
    expect(rows).toMatchObject({ worst: 'breach', reminders: 2, closed_at: at(13) })
    const pgRow = await pool.query(
      'select worst, reminders, closed_at from alert_episodes where id = $1',
      [id],
    )
    expect(pgRow.rows).toEqual([{ worst: 'breach', reminders: 2, closed_at: at(13) }])
  })
})

describe('several replicas claiming the PostgreSQL outbox', () => {
  // what the tests above left pending is settled, so only each test's own alerts are due
  beforeEach(async () => {
    await pool.query("update alerts set status = 'delivered' where status = 'pending'")
  })

  it('never claim one alert twice: a claim skips the rows another claim holds, without waiting', async () => {
    const keys = Array.from({ length: 40 }, (_, i) => `race-${i}`)
    await pgAlerts.enqueueAlerts(
      pool,
      keys.map((k) => alert(k, { nextAttemptAt: at(100) })),
    )
    const holder = await pool.connect()
    try {
      await holder.query('begin')
      const held = await pgAlerts.claimDueAlerts(holder, {
        now: at(100),
        leaseUntil: at(200),
        limit: 5,
      })
      expect(held).toHaveLength(5)
      // the holder has not committed: its rows are locked, still due in every other snapshot
      const other = await pool.connect()
      try {
        await other.query("set statement_timeout = '5s'")
        const got = await pgAlerts.claimDueAlerts(other, {
          now: at(100),
          leaseUntil: at(200),
          limit: 5,
        })
        expect(got).toHaveLength(5)
        expect(got.map((a) => a.id).filter((id) => held.some((h) => h.id === id))).toEqual([])
      } finally {
        other.release()
      }
      await holder.query('rollback')
    } finally {
      holder.release()
    }
    // the rolled-back claim left its five due again: 35 of 40 remain for the racing claimers
    const replicas = await Promise.all([0, 1, 2, 3].map(() => pool.connect()))
    try {
      const claimedBy = await Promise.all(
        replicas.map(async (c) => {
          const mine: number[] = []
          for (;;) {
            const got = await pgAlerts.claimDueAlerts(c, {
              now: at(100),
              leaseUntil: at(200),
              limit: 3,
            })
            if (got.length === 0) return mine
            mine.push(...got.map((a) => a.id))
          }
        }),
      )
      const all = claimedBy.flat()
      expect(new Set(all).size).toBe(all.length)
      expect(all).toHaveLength(35)
    } finally {
      for (const c of replicas) c.release()
    }
  })

  it('gives a claimed alert to another claimer only once its lease has run out', async () => {
    await pgAlerts.enqueueAlerts(pool, [alert('lease', { nextAttemptAt: at(300) })])
    const first = await pgAlerts.claimDueAlerts(pool, {
      now: at(300),
      leaseUntil: at(301),
      limit: 10,
    })
    expect(first.map((a) => a.dedupeKey)).toEqual(['lease'])
    const during = await pgAlerts.claimDueAlerts(pool, {
      now: new Date(Date.parse(at(301)) - 1).toISOString(),
      leaseUntil: at(400),
      limit: 10,
    })
    expect(during).toEqual([])
    const after = await pgAlerts.claimDueAlerts(pool, {
      now: at(301),
      leaseUntil: at(400),
      limit: 10,
    })
    expect(after.map((a) => [a.dedupeKey, a.attempts])).toEqual([['lease', first[0]!.attempts + 1]])
  })
})
