import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { contractFacts as pgContractFacts } from '../../db/pg/queries/contract-facts.ts'
import * as liteContractFacts from '../../db/queries/contract-facts.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/contract-facts.ts and db/pg/queries/contract-facts.ts on the demo store (its bad
// day's alert episodes) plus column metrics derived from its freshness rows on both engines.

type M = typeof pgContractFacts
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteContractFacts, db), pg: bindPg(pgContractFacts, pool) }
  // column metrics beside each freshness row: two of a column at two times, and a name no
  // column metric has (glob's '_' and ':' are literal)
  for (const [prefix, shift] of [
    ['column_nulls:id', 0],
    ['column_nulls:id', 1],
    ['column_min:amount', 0],
    ['columnXmin:amount', 0],
  ] as const) {
    const copy = `select dataset_id, '${prefix}', value + ${shift}, status, detail,
        observed_at || '${shift ? '+' : ''}', run_id from metrics where name = 'freshness_age_seconds'`
    db.$client.exec(
      `insert into metrics (dataset_id, name, value, status, detail, observed_at, run_id) ${copy}`,
    )
    await pool.query(
      `insert into metrics (dataset_id, name, value, status, detail, observed_at, run_id)
       select dataset_id, name, value, status, detail, observed_at, run_id from json_populate_recordset(
         null::metrics, $1::json)`,
      [
        JSON.stringify(
          db.$client
            .prepare(`select * from metrics where name = ? and (observed_at like '%+') = ?`)
            .all(prefix, shift),
        ),
      ],
    )
  }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const all = <X>(sql: string) => db.$client.prepare(sql).all() as X[]

describe('contract facts on both engines', () => {
  it("every dataset's newest schema, column metrics and test results with failures", async () => {
    const ids = all<{ id: number }>('select id from datasets order by id').map((r) => r.id)
    expect((await onBoth(both, (m) => m.newestColumns(ids))).size).toBeGreaterThan(10)
    const metrics = await onBoth(both, (m) => m.latestColumnMetrics(ids))
    expect([...metrics.values()].flat().map((x) => x.metric)).toContain('nullCount')
    expect([...metrics.values()].flat().length).toBe(2 * metrics.size)
    expect((await onBoth(both, (m) => m.latestResultsWithFailures(ids))).size).toBeGreaterThan(5)
    for (const id of ids.slice(0, 5)) {
      await onBoth(both, (m) => m.newestColumns([id]))
      await onBoth(both, (m) => m.latestResultsWithFailures([id, 999_999]))
    }
    for (const f of ['newestColumns', 'latestColumnMetrics', 'latestResultsWithFailures'] as const)
      expect((await onBoth(both, (m) => m[f]([]))).size).toBe(0)
  })

  it("every product's recent alert episodes, started and notified", async () => {
    const ids = all<{ id: string }>('select id from products order by id').map((r) => r.id)
    const episodes = await onBoth(both, (m) => m.recentEpisodes(ids))
    expect(episodes.size).toBeGreaterThan(2)
    await onBoth(both, (m) => m.recentEpisodes(ids, 1))
    expect((await onBoth(both, (m) => m.recentEpisodes([]))).size).toBe(0)
    expect((await onBoth(both, (m) => m.recentEpisodes(['no.such']))).size).toBe(0)
  })
})
