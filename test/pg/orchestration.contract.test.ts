import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { orchestration as pgOrchestration } from '../../db/pg/queries/orchestration.ts'
import * as liteOrchestration from '../../db/queries/orchestration.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/orchestration.ts and db/pg/queries/orchestration.ts on the demo store (Airflow DAGs
// whose Cosmos tasks run dbt models): the orchestration of every job, of all at once, cut short.

type M = typeof pgOrchestration
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteOrchestration, db), pg: bindPg(pgOrchestration, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('orchestration on both engines', () => {
  it("every job's DAGs, tasks and the tasks running its dbt models", async () => {
    const ids = (
      db.$client.prepare('select id from jobs order by id').all() as { id: number }[]
    ).map((r) => r.id)
    let viaModels = 0
    for (const id of ids) {
      const o = await onBoth(both, (m) => m.orchestrationJobs([id]))
      if (o.jobs.length > 2) viaModels++
      await onBoth(both, (m) => m.orchestrationJobs([id], 3))
    }
    expect(viaModels).toBeGreaterThan(5)
    const whole = await onBoth(both, (m) => m.orchestrationJobs(ids))
    expect(whole.jobs.some((j) => Object.keys(j.meta).length > 0)).toBe(true)
    expect((await onBoth(both, (m) => m.orchestrationJobs(ids, 5))).truncated).toBe(true)
    expect(await onBoth(both, (m) => m.orchestrationJobs([]))).toEqual({
      jobs: [],
      truncated: false,
    })
    expect(await onBoth(both, (m) => m.orchestrationJobs([999_999]))).toEqual({
      jobs: [],
      truncated: false,
    })
  })
})
