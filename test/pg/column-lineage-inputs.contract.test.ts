import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { columnLineageInputs as pgInputs } from '../../db/pg/queries/column-lineage-inputs.ts'
import * as liteInputs from '../../db/queries/column-lineage-inputs.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/column-lineage-inputs.ts and db/pg/queries/column-lineage-inputs.ts on the demo store
// (the inputs of every dbt model's computed column lineage): what each writer may claim unchanged.

type M = typeof pgInputs
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteInputs, db), pg: bindPg(pgInputs, pool) }
  // an unowned dataset's inputs too, in a namespace that sorts before the demo's by byte order
  const sql = `update datasets set domain = null, namespace = 'DUCKDB://upper'
    where id = (select min(dataset_id) from column_lineage_inputs)`
  db.$client.exec(sql)
  await pool.query(sql)
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('column lineage inputs on both engines', () => {
  it("an unscoped writer's, each domain's (its own and unowned) and one namespace's", async () => {
    const all = await onBoth(both, (m) => m.listWritableColumnLineageInputs({ domain: null }))
    expect(all.length).toBeGreaterThan(10)
    expect(all[0]?.namespace).toBe('DUCKDB://upper')
    const domains = db.$client
      .prepare('select name from domains order by name')
      .pluck()
      .all() as string[]
    let scoped = 0
    for (const domain of [...domains, 'no-such']) {
      const own = await onBoth(both, (m) => m.listWritableColumnLineageInputs({ domain }))
      expect(own.length).toBeLessThan(all.length)
      expect(own.map((i) => i.namespace)).toContain('DUCKDB://upper')
      scoped += own.length - 1
    }
    expect(scoped).toBe(all.length - 1)
    for (const namespace of ['duckdb://mesh.duckdb', 'DUCKDB://upper', 'none'])
      await onBoth(both, (m) => m.listWritableColumnLineageInputs({ domain: 'sales', namespace }))
    expect(
      await onBoth(both, (m) =>
        m.listWritableColumnLineageInputs({ domain: null, namespace: 'none' }),
      ),
    ).toEqual([])
  })
})
