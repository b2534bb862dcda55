import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { columnLineage as pgColumnLineage } from '../../db/pg/queries/column-lineage.ts'
import * as liteColumnLineage from '../../db/queries/column-lineage.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/column-lineage.ts and db/pg/queries/column-lineage.ts on the demo store (dbt models
// with computed and dbt-ol column lineage): every dataset's column tree, every column walked both
// ways, answers compared.

type M = typeof pgColumnLineage
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteColumnLineage, db), pg: bindPg(pgColumnLineage, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const all = <X>(sql: string) => db.$client.prepare(sql).all() as X[]

describe('column lineage on both engines', () => {
  it('walk every column with an edge upstream and downstream, deep and one hop', async () => {
    const columns = all<{ datasetId: number; column: string }>(
      `select dataset_id as datasetId, "column" from column_edges
       union select from_dataset_id, from_column from column_edges order by 1, 2`,
    )
    expect(columns.length).toBeGreaterThan(50)
    let far = 0
    for (const c of columns)
      for (const direction of ['upstream', 'downstream'] as const) {
        const hops = await onBoth(both, (m) => m.walkColumns(c, direction))
        if (hops.some((h) => h.depth > 1)) far++
        await onBoth(both, (m) =>
          m.walkColumns({ ...c, column: c.column.toUpperCase() }, direction, 1),
        )
      }
    expect(far).toBeGreaterThan(10)
    expect(
      await onBoth(both, (m) => m.walkColumns({ datasetId: 999_999, column: 'x' }, 'upstream')),
    ).toEqual([])
  })

  it("every dataset's column tree, edges in, infos and exposures", async () => {
    const datasets = all<{ id: number; columns: string | null }>(
      'select id, columns from datasets order by id',
    )
    let exposed = 0
    for (const d of datasets) {
      const names = ((JSON.parse(d.columns ?? '[]') ?? []) as { name: string }[]).map((c) => c.name)
      const tree = await onBoth(both, (m) => m.datasetColumnTree(d.id, names))
      exposed += tree.columns.filter((c) => c.exposures.length > 0).length
      await onBoth(both, (m) => m.columnEdgesInto(d.id))
    }
    expect(exposed).toBeGreaterThan(0)
    const ids = datasets.map((d) => d.id)
    expect((await onBoth(both, (m) => m.datasetInfos([...ids, ...ids, 999_999]))).size).toBe(
      ids.length,
    )
    expect((await onBoth(both, (m) => m.exposuresReading(ids))).length).toBeGreaterThan(0)
    expect(await onBoth(both, (m) => m.exposuresReading([]))).toEqual([])
    expect((await onBoth(both, (m) => m.datasetInfos([]))).size).toBe(0)
    expect(await onBoth(both, (m) => m.datasetColumnTree(999_999, []))).toEqual({
      columns: [],
      sources: [],
      disagreements: 0,
    })
  })

  it('list what stored column lineage was computed from', async () => {
    const inputs = await onBoth(both, (m) => m.listColumnLineageInputs())
    const stored = all<{ n: number }>('select count(*) as n from column_lineage_inputs')[0]?.n
    expect(inputs.size).toBe(stored)
    expect(inputs.size).toBeGreaterThan(0)
  })
})
