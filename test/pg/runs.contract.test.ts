import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { runTimeline as pgRunTimeline } from '../../db/pg/queries/run-timeline.ts'
import { runs as pgRuns } from '../../db/pg/queries/runs.ts'
import * as liteRunTimeline from '../../db/queries/run-timeline.ts'
import * as liteRuns from '../../db/queries/runs.ts'
import { sqliteStore } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { copyStore, demoOnBoth } from './demo.ts'
import { createDatabase } from './helpers.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/{runs,run-timeline}.ts and their PostgreSQL versions on the demo store (Airflow DAG
// runs with Cosmos tasks, dbt invocations with model runs): every job's runs, every run with its
// previous one and its timeline, versions and column lineage, answers compared.

type R = typeof pgRuns
type T = typeof pgRunTimeline
let db: Db
let pool: pg.Pool
let runs: { sqlite: Bound<R>; pg: Bound<R> }
let timeline: { sqlite: Bound<T>; pg: Bound<T> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  runs = { sqlite: bindSqlite<R>(liteRuns, db), pg: bindPg(pgRuns, pool) }
  timeline = { sqlite: bindSqlite<T>(liteRunTimeline, db), pg: bindPg(pgRunTimeline, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const SALES = fileURLToPath(
  new URL('../../fixtures/openlineage/dbt-ol/sales.ndjson', import.meta.url),
)
const all = <X>(sql: string) => db.$client.prepare(sql).all() as X[]

describe('runs on both engines', () => {
  it("every job and its runs, a page at a time; an unknown job's none", async () => {
    const jobs = all<{ id: number }>('select id from jobs order by id')
    let paged = 0
    for (const { id } of jobs) {
      expect(await onBoth(runs, (m) => m.getJob(id))).toBeDefined()
      const first = await onBoth(runs, (m) => m.listJobRuns(id, { limit: 2 }))
      const last = first.at(-1)
      if (last) {
        const next = await onBoth(runs, (m) => m.listJobRuns(id, { limit: 2, before: last.id }))
        if (next.length > 0) paged++
      }
    }
    expect(paged).toBeGreaterThan(0)
    expect(await onBoth(runs, (m) => m.getJob(999_999))).toBeUndefined()
    expect(await onBoth(runs, (m) => m.listJobRuns(999_999, { limit: 5 }))).toEqual([])
  })

  it('every run with its previous one and its timeline; unknown runs are none', async () => {
    const ids = all<{ runId: string }>('select run_id as runId from runs order by id')
    let previous = 0
    let steps = 0
    let models = 0
    for (const { runId } of ids) {
      expect(await onBoth(runs, (m) => m.runExists(runId))).toBe(true)
      if ((await onBoth(runs, (m) => m.getRunWithPrevious(runId)))?.previous) previous++
      const t = await onBoth(timeline, (m) => m.runTimeline(runId))
      steps += t?.steps.length ?? 0
      models += t?.steps.reduce((n, s) => n + s.models.length, 0) ?? 0
      await onBoth(timeline, (m) => m.runTimeline(runId, 2))
    }
    expect(previous).toBeGreaterThan(10)
    expect(steps).toBeGreaterThan(10)
    expect(models).toBeGreaterThan(0)
    expect(await onBoth(runs, (m) => m.runExists('no-such-run'))).toBe(false)
    expect(await onBoth(runs, (m) => m.getRunWithPrevious('no-such-run'))).toBeUndefined()
    expect(await onBoth(timeline, (m) => m.runTimeline('no-such-run'))).toBeUndefined()
  })

  it("every dataset's versions and column lineage, and every product's runs", async () => {
    let edges = 0
    for (const { id } of all<{ id: number }>('select id from datasets order by id')) {
      await onBoth(runs, (m) => m.listDatasetVersions(id))
      const l = await onBoth(runs, (m) => m.datasetColumnLineage(id))
      edges += l.upstream.length + l.downstream.length
    }
    expect(edges).toBeGreaterThan(100)
    expect(await onBoth(runs, (m) => m.listDatasetVersions(999_999))).toEqual([])
    for (const { id } of all<{ id: string }>('select id from products order by id')) {
      await onBoth(runs, (m) => m.listProductRuns(id, 50))
      await onBoth(runs, (m) => m.listProductRuns(id, 1))
    }
    expect(await onBoth(runs, (m) => m.listProductRuns('no.such', 5))).toEqual([])
  })

  it("run tags (TagsRunFacet) of dbt-ol's recorded runs: listed and filtered alike", async () => {
    // fixtures/openlineage/dbt-ol/sales.ndjson: every run tagged openlineage_client_version, a
    // model's run with its meta as DBT_META tags (domain:sales)
    const tagged = openDb(':memory:')
    const app = createApp({ store: sqliteStore(tagged) })
    for (const line of readFileSync(SALES, 'utf8').split('\n')) {
      if (!line.trim()) continue
      const res = await app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
      })
      expect(res.status).toBe(201)
    }
    const tpool = await openPgPool(await createDatabase())
    try {
      await copyStore(tagged, tpool)
      const both = { sqlite: bindSqlite<R>(liteRuns, tagged), pg: bindPg(pgRuns, tpool) }
      const ids = tagged.$client.prepare('select id from products order by id').all() as {
        id: string
      }[]
      expect(ids.length).toBeGreaterThan(0)
      let found = 0
      for (const { id } of ids) {
        const listed = await onBoth(both, (m) => m.listProductRuns(id, 50))
        for (const r of listed) expect(r.tags).toContain('domain:sales')
        for (const tag of ['domain:sales', 'domain', 'openlineage_client_version:1.54.0'])
          found += (await onBoth(both, (m) => m.listProductRuns(id, 50, tag))).length
        expect(await onBoth(both, (m) => m.listProductRuns(id, 50, 'domain:sale'))).toEqual([])
      }
      expect(found).toBeGreaterThan(0)
    } finally {
      closeDb(tagged)
      await tpool.end()
    }
  })
})
