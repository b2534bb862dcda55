import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SALES_DBT_MODELS as DBT_MODELS } from '../../../fixtures/airflow/replay.ts'
import { BatchSchema, type Batch } from '../../../collectors/batch.ts'
import { collectAirflow } from '../../../collectors/airflow/index.ts'
import { openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { ROOT, USER, runDemo, startAirflow, type AirflowInstance } from './harness.ts'
import { sqliteStore } from '../../../db/store.ts'

const VENV = join(ROOT, '.venv-airflow')
const HAVE_AIRFLOW = existsSync(join(VENV, 'bin/airflow'))
const PORT = Number(process.env.MESHWATCH_AIRFLOW_PORT ?? 28795)

describe.skipIf(!HAVE_AIRFLOW)('real Airflow 3 with the demo DAGs', () => {
  let af: AirflowInstance
  let batch: Batch
  let warnings: string[]
  let cursor: string

  beforeAll(async () => {
    af = await startAirflow(VENV, PORT)
    await runDemo(af)
    ;({ batch, warnings, cursor } = await collectAirflow({
      url: af.url,
      auth: USER,
      dbtModels: DBT_MODELS,
    }))
  })
  afterAll(async () => {
    await af?.stop()
  })

  it('speaks REST API v2 and returns a valid batch', () => {
    expect(af.version).toBe('v2')
    expect(() => BatchSchema.parse(batch)).not.toThrow()
    expect(cursor).toMatch(/^\d{4}-\d\d-\d\dT/)
  })

  it('reads the four domain DAGs with their tasks', () => {
    const dags = batch.jobs.filter((j) => j.type === 'airflow_dag')
    expect(dags.map((d) => [d.name, d.domain]).sort()).toEqual([
      ['finance_ledger', 'finance'],
      ['marketing_campaigns', 'marketing'],
      ['product_events', 'product'],
      ['sales_daily', 'sales'],
    ])
    expect(batch.jobs.filter((j) => j.parent?.name === 'sales_daily')).toHaveLength(10)
    expect(dags.find((d) => d.name === 'marketing_campaigns')?.schedule).toMatchObject({
      cron: '30 7 * * 1-5',
      paused: false,
    })
  })

  it('reads the runs, the failed bad-day ledger load among them', () => {
    const af = (r: (typeof batch.runs)[number]) =>
      (r.facets?.airflow ?? {}) as { dagRunId?: string }
    const run = (job: string, dagRunId: string) =>
      batch.runs.find((r) => r.job.name === job && af(r).dagRunId === dagRunId)
    expect(run('sales_daily', 'manual_sales')?.state).toBe('COMPLETE')
    const badDay = run('finance_ledger', 'manual_bad_day')
    expect(badDay?.state).toBe('FAIL')
    expect(run('finance_ledger.load_ledger', 'manual_bad_day')).toMatchObject({
      state: 'FAIL',
      parentRunId: badDay?.runId,
    })
    const assetRuns = batch.runs.filter(
      (r) => r.job.name === 'finance_ledger' && af(r).dagRunId?.startsWith('asset_triggered__'),
    )
    expect(assetRuns.length).toBeGreaterThan(0)
    expect(assetRuns.every((r) => r.state === 'COMPLETE')).toBe(true)
  })

  it('links the sales tasks to the dbt models they ran and to the orders table', () => {
    const meta = (t: string) =>
      batch.jobs.find((j) => j.name === `sales_daily.dbt_sales.${t}`)?.meta
    expect(meta('orders.run')?.dbtModels).toEqual(['orders'])
    expect(meta('stg_sales__payments_run')?.dbtModels).toEqual(['stg_sales__payments'])
    expect(meta('sales_daily_model_build')?.dbtModels).toEqual(['sales_daily'])
    const orders = { namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' }
    expect(batch.edges).toContainEqual({
      job: { namespace: 'default', name: 'sales_daily.dbt_sales.orders.run' },
      dataset: orders,
      direction: 'output',
    })
    expect(batch.edges).toContainEqual({
      job: { namespace: 'default', name: 'finance_ledger' },
      dataset: orders,
      direction: 'input',
    })
  })

  it('names jobs exactly as the Airflow OpenLineage provider does', () => {
    const events = readFileSync(join(af.home, 'openlineage.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
    const olJobs = new Set(
      events.map((l) => {
        const e = JSON.parse(l)
        return `${e.job.namespace}|${e.job.name}`
      }),
    )
    expect(olJobs.size).toBeGreaterThan(10)
    const ours = new Set(batch.jobs.map((j) => `${j.namespace}|${j.name}`))
    expect([...olJobs].filter((j) => !ours.has(j))).toEqual([])
  })

  it("lands the provider's OpenLineage events, posted to meshwatch, on the collected jobs and runs", async () => {
    const db = openDb(':memory:')
    const app = createApp({ store: sqliteStore(db) })
    await ingestBatch({ store: sqliteStore(db) }, batch)
    const count = (table: 'jobs' | 'runs') =>
      db.$client.prepare(`select count(*) n from ${table}`).get()
    const jobsBefore = count('jobs')
    const runsBefore = count('runs')
    const lines = readFileSync(join(af.home, 'openlineage.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
    // DAG runs and task tries carry the provider's run ids, so its events and the REST view are one run.
    const providerRuns = new Set(
      lines.map((l) => (JSON.parse(l) as { run: { runId: string } }).run.runId),
    )
    const ours = new Set(batch.runs.map((r) => r.runId))
    expect(providerRuns.size).toBeGreaterThan(10)
    expect([...providerRuns].filter((id) => !ours.has(id))).toEqual([])
    for (const body of lines) {
      const res = await app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      expect(res.status, await res.clone().text()).toBeLessThan(300)
    }
    expect(count('jobs')).toEqual(jobsBefore)
    // Every event landed on a run the REST collector had already stored: no second row.
    expect(count('runs')).toEqual(runsBefore)
  })

  it('reports the broken DAG file as a warning', () => {
    expect(warnings).toContainEqual(expect.stringMatching(/broken_on_purpose\.py: RuntimeError/))
  })
})
