import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { exportReads as pgExport } from '../../db/pg/queries/export.ts'
import * as liteExport from '../../db/queries/export.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/export.ts and db/pg/queries/export.ts on the demo store: the whole-table iterators
// (sync on SQLite, async on PostgreSQL) read to the end, and every product's standard facts.

type M = Pick<typeof pgExport, 'productIds' | 'productStandardFacts'>
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteExport, db), pg: bindPg<M>(pgExport, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

describe('export on both engines', () => {
  it('iterate every dataset and every job with its edges and parent alike', async () => {
    const datasets = [...liteExport.iterateDatasets(db)]
    expect(datasets.length).toBeGreaterThan(10)
    expect(await collect(pgExport.iterateDatasets(pool))).toEqual(datasets)
    const jobs = [...liteExport.iterateJobsWithEdges(db)]
    expect(jobs.some((j) => j.parentRef && j.inputs.length > 0 && j.outputs.length > 0)).toBe(true)
    expect(JSON.parse(JSON.stringify(await collect(pgExport.iterateJobsWithEdges(pool))))).toEqual(
      JSON.parse(JSON.stringify(jobs)),
    )
  })

  it("every product's facts: outputs with checks, domain, upstream products", async () => {
    const ids = await onBoth(both, (m) => m.productIds())
    expect(ids.length).toBeGreaterThan(5)
    let upstream = 0
    for (const id of ids) {
      const f = await onBoth(both, (m) => m.productStandardFacts(id))
      upstream += f?.upstream.length ?? 0
    }
    expect(upstream).toBeGreaterThan(0)
    expect(await onBoth(both, (m) => m.productStandardFacts('no.such'))).toBeUndefined()
  })
})
