import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { collectors as pgCollectors } from '../../db/pg/queries/collectors.ts'
import { gate as pgGate } from '../../db/pg/queries/gate.ts'
import { replay as pgReplay } from '../../db/pg/queries/replay.ts'
import { inTransaction } from '../../db/pg/rows.ts'
import * as liteCollectors from '../../db/queries/collectors.ts'
import * as liteGate from '../../db/queries/gate.ts'
import * as liteReplay from '../../db/queries/replay.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/{replay,gate,collectors}.ts and their PostgreSQL versions on the demo store: its
// kept batches (four dbt projects twice, one Airflow), the gate's snapshots, poll state, and a
// replay's reset of the derived tables.

type R = typeof pgReplay
type G = typeof pgGate
type C = typeof pgCollectors
let db: Db
let pool: pg.Pool
let replay: { sqlite: Bound<R>; pg: Bound<R> }
let gate: { sqlite: Bound<G>; pg: Bound<G> }
let collectors: { sqlite: Bound<C>; pg: Bound<C> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  replay = { sqlite: bindSqlite<R>(liteReplay, db), pg: bindPg(pgReplay, pool) }
  gate = { sqlite: bindSqlite<G>(liteGate, db), pg: bindPg(pgGate, pool) }
  collectors = { sqlite: bindSqlite<C>(liteCollectors, db), pg: bindPg(pgCollectors, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('replay, gate and collectors on both engines', () => {
  it('list the kept batches in received order and read each payload', async () => {
    const order = await onBoth(replay, (m) => m.listBatchOrder())
    expect(order.length).toBeGreaterThan(5)
    for (const b of order) {
      const payload = await onBoth(replay, (m) => m.batchPayload(b.id))
      expect(JSON.parse(payload ?? 'null')).toBeTypeOf('object')
    }
    expect(await onBoth(replay, (m) => m.batchPayload(999_999))).toBeUndefined()
  })

  it("the gate's newest snapshot of each dbt project and Airflow", async () => {
    const snaps = await onBoth(gate, (m) => m.latestSnapshotBatches())
    expect(snaps.map((s) => s.kind)).toEqual(['airflow', 'dbt', 'dbt', 'dbt', 'dbt'])
  })

  it('record polls: success, failure keeping the cursor, listed by name', async () => {
    expect(await onBoth(collectors, (m) => m.listCollectorStates())).toEqual([])
    const at = (s: number) => `2026-12-01T00:00:0${s}.000Z`
    await onBoth(collectors, (m) => m.recordPollFailure('b', 'refused', at(1)))
    await onBoth(collectors, (m) => m.recordPollSuccess('a', 'c1', at(2)))
    await onBoth(collectors, (m) => m.recordPollFailure('a', 'timeout', at(3)))
    await onBoth(collectors, (m) => m.recordPollSuccess('b', 'c2', at(4)))
    expect(await onBoth(collectors, (m) => m.getCollectorState('a'))).toEqual({
      name: 'a',
      cursor: 'c1',
      lastAttemptAt: at(3),
      lastSuccessAt: at(2),
      lastError: 'timeout',
    })
    expect((await onBoth(collectors, (m) => m.listCollectorStates())).map((s) => s.name)).toEqual([
      'a',
      'b',
    ])
    expect(await onBoth(collectors, (m) => m.getCollectorState('none'))).toBeUndefined()
  })

  it('clear the derived tables, keep batches, set evaluation history aside and put it back, restart ids', async () => {
    const TABLES = [
      'datasets',
      'jobs',
      'runs',
      'products',
      'lineage_edges',
      'batches',
      'evaluations',
    ]
    const liteCounts = () =>
      Object.fromEntries(
        [...TABLES, 'distinct_evaluated'].map((t) => [
          t,
          (
            db.$client
              .prepare(
                t === 'distinct_evaluated'
                  ? 'select count(distinct product_id) as n from evaluations'
                  : `select count(*) as n from ${t}`,
              )
              .get() as { n: number }
          ).n,
        ]),
      )
    const pgCounts = async (q: { query: pg.Pool['query'] }) => {
      const out: Record<string, number> = {}
      for (const t of [...TABLES, 'distinct_evaluated']) {
        const r = await q.query<{ n: string }>(
          t === 'distinct_evaluated'
            ? 'select count(distinct product_id) as n from evaluations'
            : `select count(*) as n from ${t}`,
        )
        out[t] = Number(r.rows[0]?.n)
      }
      return out
    }
    const before = liteCounts()
    expect(before.evaluations).toBeGreaterThan(0)
    expect(await pgCounts(pool)).toEqual(before)
    // Foreign keys on: the products' delete cascades to their evaluations, set aside first.
    const lite = db.transaction(() => {
      liteReplay.clearDerived(db)
      const cleared = liteCounts()
      liteReplay.restoreEvaluations(db)
      return { cleared, restored: liteCounts() }
    })
    const onPg = await inTransaction(pool, async (tx) => {
      await pgReplay.clearDerived(tx)
      const cleared = await pgCounts(tx)
      await pgReplay.restoreEvaluations(tx)
      return { cleared, restored: await pgCounts(tx) }
    })
    expect(onPg).toEqual(lite)
    expect(lite.cleared).toMatchObject({ datasets: 0, products: 0, evaluations: 0 })
    expect(lite.cleared.batches).toBe(before.batches)
    // Back: every evaluation, and the products they belong to (none was rebuilt here).
    expect(lite.restored).toMatchObject({
      datasets: 0,
      evaluations: before.evaluations,
      products: before.distinct_evaluated,
    })
    expect(await pgCounts(pool)).toEqual(lite.restored)
    db.$client.prepare("insert into domains (name, updated_at) values ('x', 'now')").run()
    db.$client
      .prepare(
        "insert into datasets (namespace, name, first_seen_at, updated_at) values ('n', 'd', 't', 't')",
      )
      .run()
    const pgId = await pool.query<{ id: number }>(
      "insert into datasets (namespace, name, first_seen_at, updated_at) values ('n', 'd', 't', 't') returning id",
    )
    expect(pgId.rows[0]?.id).toBe(1)
    expect((db.$client.prepare('select id from datasets').get() as { id: number }).id).toBe(1)
  })
})
