import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { incidents as pgIncidents } from '../../db/pg/queries/incidents.ts'
import * as liteIncidents from '../../db/queries/incidents.ts'
import { demoOnBoth, productIdsOf } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/incidents.ts and db/pg/queries/incidents.ts on the demo's bad day (the incidents,
// transitions and consumers its evaluation opened), the same calls on both, answers compared.

type M = typeof pgIncidents
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }
let productIds: string[]

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteIncidents, db), pg: bindPg(pgIncidents, pool) }
  productIds = productIdsOf(db)
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('incidents on both engines', () => {
  it('list the demo incidents alike, by every filter', async () => {
    const all = await onBoth(both, (m) => m.listIncidents({ limit: 1000 }))
    expect(all.length).toBeGreaterThan(1)
    const first = all[0]!
    await onBoth(both, (m) => m.listIncidents({ domain: first.domain }))
    await onBoth(both, (m) => m.listIncidents({ domain: 'marketing' }))
    await onBoth(both, (m) => m.listIncidents({ productId: first.productId, status: first.status }))
    await onBoth(both, (m) => m.listIncidents({ status: 'muted', now: first.detectedAt }))
    await onBoth(both, (m) => m.listIncidents({ since: first.detectedAt, limit: 2 }))
    await onBoth(both, (m) => m.incidentsDetectedBetween('2000-01-01', '2100-01-01'))
    expect(await onBoth(both, (m) => m.getIncident(first.id))).toEqual(first)
    expect(await onBoth(both, (m) => m.getIncident(999_999))).toBeUndefined()
    expect(await onBoth(both, (m) => m.lockIncident(first.id))).toEqual(first)
    expect(await onBoth(both, (m) => m.lockIncident(999_999))).toBeUndefined()
    for (const i of all) {
      expect((await onBoth(both, (m) => m.transitionsOf(i.id))).length).toBeGreaterThan(0)
      await onBoth(both, (m) => m.consumersOf(i.id))
    }
    const hooks = await onBoth(both, (m) => m.webhookAlertsOf(all.map((i) => i.episodeId)))
    expect(hooks.length).toBeGreaterThan(0)
    expect(await onBoth(both, (m) => m.webhookAlertsOf([]))).toEqual([])
  })

  it('find each product’s latest incident, the quiet ones, output tags and blast radius alike', async () => {
    const latest = await onBoth(both, (m) => m.latestIncidents(productIds))
    expect(latest.size).toBeGreaterThan(0)
    await onBoth(both, (m) => m.quietProducts(productIds, '2000-01-01T00:00:00.000Z'))
    await onBoth(both, (m) => m.outputTags(productIds))
    let reaching = 0
    for (const id of productIds) {
      const blast = await onBoth(both, (m) => m.blastRadius(id))
      if (blast.length > 0) reaching++
      await onBoth(both, (m) => m.blastRadius(id, 1))
    }
    expect(reaching).toBeGreaterThan(0)
    expect(await onBoth(both, (m) => m.blastRadius('no.such.product'))).toEqual([])
  })

  it('open, change, and resolve an incident and its consumers alike', async () => {
    const [base] = await both.sqlite.listIncidents({ limit: 1 })
    const { id: _id, ...fields } = base!
    const row = await onBoth(both, (m) =>
      m.insertIncident({ ...fields, productId: 'test.product', episodeId: 9_001, reopened: 0 }),
    )
    const changed = await onBoth(both, (m) =>
      m.updateIncident(row.id, { status: 'acknowledged', acknowledgedBy: 'ana', mutedUntil: null }),
    )
    expect(changed).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'ana' })
    await expect(both.pg.updateIncident(999_999, { status: 'open' })).rejects.toThrow(/999999/)
    const [t] = await both.sqlite.transitionsOf(base!.id)
    const { id: _t, ...transition } = t!
    await onBoth(both, (m) => m.insertTransition({ ...transition, incidentId: row.id }))
    const blast = [
      { productId: 'a.x', name: 'X', domain: 'a', owner: null, hops: 0 },
      { productId: 'b.y', name: 'Y', domain: 'b', owner: 'B', hops: 1 },
      { productId: 'a.z', name: 'Z', domain: 'a', owner: null, hops: 2 },
    ]
    await onBoth(both, (m) => m.syncConsumers(row.id, blast, '2026-01-01T00:00:00.000Z'))
    await onBoth(both, (m) => m.resolveConsumers(row.id, '2026-01-02T00:00:00.000Z'))
    // a again, b no longer: a's row is open again with its new products, b's kept as it was told
    await onBoth(both, (m) =>
      m.syncConsumers(row.id, blast.slice(0, 1), '2026-01-03T00:00:00.000Z'),
    )
    const acked = await onBoth(both, (m) =>
      m.acknowledgeConsumer(row.id, 'a', { at: '2026-01-04T00:00:00.000Z', by: 'bo' }),
    )
    expect(acked).toMatchObject({ domain: 'a', acknowledgedBy: 'bo', resolvedAt: null })
    expect(
      await onBoth(both, (m) => m.acknowledgeConsumer(row.id, 'c', { at: 'x', by: 'y' })),
    ).toBe(undefined)
    const consumers = await onBoth(both, (m) => m.consumersOf(row.id))
    expect(consumers.map((c) => [c.domain, c.products.length, c.resolvedAt])).toEqual([
      ['a', 1, null],
      ['b', 1, '2026-01-02T00:00:00.000Z'],
    ])
    await onBoth(both, (m) => m.transitionsOf(row.id))
    await onBoth(both, (m) => m.latestIncidents(['test.product']))
  })
})

describe('an incident transaction on PostgreSQL', () => {
  it('holds the incident it locked until it ends: another transaction cannot take it meanwhile', async () => {
    const [first] = await pgIncidents.listIncidents(pool, { limit: 1 })
    const holder = await pool.connect()
    const other = await pool.connect()
    try {
      await holder.query('begin')
      expect(await pgIncidents.lockIncident(holder, first!.id)).toEqual(first)
      await other.query('begin')
      await other.query("set local lock_timeout = '100ms'")
      // 55P03 lock_not_available: the row is the holder's until it commits
      await expect(pgIncidents.lockIncident(other, first!.id)).rejects.toMatchObject({
        code: '55P03',
      })
      await other.query('rollback')
      await holder.query('commit')
      await other.query('begin')
      expect(await pgIncidents.lockIncident(other, first!.id)).toEqual(first)
      await other.query('commit')
    } finally {
      holder.release()
      other.release()
    }
  })

  it('commits what fn wrote through its client, and nothing when fn throws', async () => {
    const before = await pgIncidents.listIncidents(pool, { limit: 1000 })
    const [base] = before
    const { id: _id, ...fields } = base!
    await expect(
      pgIncidents.inTransaction(pool, async (tx) => {
        await pgIncidents.insertIncident(tx, {
          ...fields,
          productId: 'tx.product',
          episodeId: 9_002,
        })
        throw new Error('refused')
      }),
    ).rejects.toThrow('refused')
    expect(await pgIncidents.latestIncidents(pool, ['tx.product'])).toEqual(new Map())
    const id = await pgIncidents.inTransaction(pool, async (tx) => {
      const row = await pgIncidents.insertIncident(tx, {
        ...fields,
        productId: 'tx.product',
        episodeId: 9_003,
      })
      // a nested call joins the transaction rather than opening one
      await pgIncidents.inTransaction(tx, (inner) =>
        pgIncidents.updateIncident(inner, row.id, { title: 'nested' }),
      )
      return row.id
    })
    expect((await pgIncidents.getIncident(pool, id))?.title).toBe('nested')
  })
})
