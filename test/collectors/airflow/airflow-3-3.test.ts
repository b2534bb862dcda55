import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectAirflow } from '../../../collectors/airflow/index.ts'
import { providerRunInfo } from '../../../collectors/airflow/provider-facets.ts'
import { BatchSchema, emptyBatch, type Batch } from '../../../collectors/batch.ts'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import type { Deps } from '../../../server/deps.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { startStub, type Stub } from './stub.ts'
import { sqliteStore } from '../../../db/store.ts'

// Recorded from a real Airflow 3.3.2 + OpenLineage provider 2.20.3 by fixtures/airflow/3.3/record.sh:
// partitioned DAG runs and asset events, a missed and a met Deadline Alert, SQL hook lineage.
const DIR = join(import.meta.dirname, '../../../fixtures/airflow/3.3')
const AUTH = { username: 'admin', password: 'admin' }
const LINES = readFileSync(join(DIR, 'openlineage.jsonl'), 'utf8').split('\n').filter(Boolean)
type Event = {
  eventType: string
  eventTime: string
  run: { runId: string; facets?: Record<string, unknown> }
  job: { namespace: string; name: string; facets?: Record<string, unknown> }
}
const EVENTS = LINES.map((l) => JSON.parse(l) as Event)
const PARTITION = '2026-12-01T05:00:00'

let stub: Stub
let batch: Batch
beforeAll(async () => {
  stub = await startStub({ dir: join(DIR, 'rest'), version: 'v2' })
  ;({ batch } = await collectAirflow({ url: stub.url, auth: AUTH }))
})
afterAll(async () => {
  await stub.close()
})

type AirflowFacet = { dagRunId?: string; partitionKey?: string; partitionDate?: string }
const facet = (r: Batch['runs'][number]) => (r.facets?.airflow ?? {}) as AirflowFacet
const runOf = (job: string, dagRunId: string) =>
  batch.runs.find((r) => r.job.name === job && facet(r).dagRunId === dagRunId)

describe('Airflow 3.3 partitioned assets over REST v2', () => {
  it('returns a valid batch and marks the partitioned DAG', () => {
    expect(() => BatchSchema.parse(batch)).not.toThrow()
    const meta = (name: string) => batch.jobs.find((j) => j.name === name)?.meta
    expect(meta('orders_hourly')?.partitioned).toBe(true)
    expect(meta('ledger_by_partition')?.partitioned).toBe(true)
    expect(meta('ledger_deadline')?.partitioned).toBeUndefined()
  })

  it("carries each DAG run's partition key and date, and the key onto its task runs", () => {
    const run = runOf('orders_hourly', 'manual_partition')
    expect(facet(run!)).toMatchObject({
      partitionKey: PARTITION,
      partitionDate: '2026-12-01T05:00:00.000Z',
    })
    const task = batch.runs.find((r) => r.parentRunId === run?.runId)
    expect(task?.job.name).toBe('orders_hourly.load_partition')
    expect(facet(task!).partitionKey).toBe(PARTITION)
    const triggered = batch.runs.filter((r) => r.job.name === 'ledger_by_partition')
    expect(triggered.map((r) => facet(r).partitionKey)).toContain(PARTITION)
    expect(facet(runOf('ledger_deadline', 'manual_missed')!).partitionKey).toBeUndefined()
  })

  it('marks the partitioned asset with the partition of its newest event', () => {
    const ds = batch.datasets.find((d) => d.name === 'mesh.sales.orders_hourly')
    expect(ds?.meta).toMatchObject({ partitioned: true, latestPartition: { key: PARTITION } })
  })

  it('gives partitioned runs the ids the provider gives them, so its events land on them', () => {
    const ours = new Set(batch.runs.map((r) => r.runId))
    const providers = new Set(
      EVENTS.filter((e) => !e.job.name.includes('.query.')).map((e) => e.run.runId),
    )
    expect(providers.size).toBeGreaterThan(8)
    expect([...providers].filter((id) => !ours.has(id))).toEqual([])
  })
})

describe("the provider's OpenLineage events of Airflow 3.3", () => {
  it('carry the same partition key for a run as REST does', () => {
    const rest = runOf('orders_hourly', 'manual_partition')
    const events = EVENTS.filter((e) => e.run.runId === rest?.runId)
    expect(events.length).toBeGreaterThan(1)
    for (const e of events) expect(providerRunInfo(e.run.facets)?.partitionKey).toBe(PARTITION)
  })

  it('report the missed deadline on the DAG-run completion and none on time', () => {
    const complete = (dag: string) =>
      EVENTS.find((e) => e.job.name === dag && e.eventType === 'COMPLETE')
    const missed = providerRunInfo(complete('ledger_deadline')?.run.facets)
    expect(missed?.deadlines).toEqual([
      { name: 'ledger posted within 10 s', deadlineTime: expect.any(String), missed: true },
    ])
    const onTime = providerRunInfo(complete('ledger_on_time')?.run.facets)
    expect(onTime?.deadlines.map((d) => d.missed)).toEqual([false])
  })

  it("keep one job for a SQL hook-lineage query across the provider's 2.21 rename", async () => {
    const query = EVENTS.find((e) => e.job.name.endsWith('.query.1'))
    expect(query?.job.name).toBe('warehouse_sql.refresh_ledger_summary.query.1')
    const jobsOf = (e: unknown) => {
      const r = parseEvent(e)
      if (!r.ok) throw new Error(r.reason)
      return r.batch.jobs
    }
    const before = jobsOf(query)
    expect(before[0]).toMatchObject({
      name: 'warehouse_sql.refresh_ledger_summary.query.1',
      type: 'airflow_query',
      parent: { name: 'warehouse_sql.refresh_ledger_summary' },
    })
    expect(before[1]).toMatchObject({
      name: 'warehouse_sql.refresh_ledger_summary',
      type: 'airflow_task',
    })
    // The same scenario under provider 2.21.0rc1 (fixtures/airflow/3.3/record-provider.sh), which
    // names the query job <dag>.<task>.hll_query.<n>: recorded, not renamed by hand.
    const RC = join(DIR, 'provider-2.21.0rc1')
    expect(readFileSync(join(RC, 'versions.txt'), 'utf8')).toContain(
      'apache-airflow-providers-openlineage==2.21.0rc1',
    )
    const rc = readFileSync(join(RC, 'openlineage.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Event)
    const renamed = rc.filter((e) => e.job.name.includes('.hll_query.'))
    expect(renamed.map((e) => `${e.eventType} ${e.job.name}`)).toEqual([
      'START warehouse_sql.refresh_ledger_summary.hll_query.1',
      'COMPLETE warehouse_sql.refresh_ledger_summary.hll_query.1',
      'START warehouse_sql.refresh_ledger_summary.hll_query.2',
      'COMPLETE warehouse_sql.refresh_ledger_summary.hll_query.2',
    ])
    expect(rc.some((e) => /\.query\.\d+$/.test(e.job.name))).toBe(false)
    const after = jobsOf(renamed.find((e) => e.eventType === 'COMPLETE'))
    expect(
      after.map(({ namespace, name, type, parent }) => ({ namespace, name, type, parent })),
    ).toEqual(
      before.map(({ namespace, name, type, parent }) => ({ namespace, name, type, parent })),
    )
    // stored, both providers' events of that query are one job
    const db = openDb(':memory:')
    const app = createApp({ store: sqliteStore(db) })
    for (const e of [query, renamed[1]]) {
      const res = await app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(e),
      })
      expect(res.status).toBe(201)
    }
    expect(
      db.$client
        .prepare("select name from jobs where type = 'airflow_query' order by name")
        .pluck()
        .all(),
    ).toEqual(['warehouse_sql.refresh_ledger_summary.query.1'])
  })
})

describe('a missed Deadline Alert in freshness', () => {
  const ledger = (name: string) => ({ namespace: 'postgres://warehouse.internal:5432', name })
  const evaluate = async () => {
    const now = new Date(Math.max(...EVENTS.map((e) => Date.parse(e.eventTime))) + 5 * 60_000)
    const deps: Deps = { store: sqliteStore(openDb(':memory:')), now: () => now }
    await ingestBatch(deps, batch)
    const app = createApp(deps)
    for (const body of LINES) {
      const res = await app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      expect(res.status, await res.clone().text()).toBeLessThan(300)
    }
    const products = emptyBatch('airflow', 'test:products')
    products.products = [
      {
        id: 'finance.ledger',
        name: 'ledger',
        domain: 'finance',
        origin: 'config',
        outputs: [ledger('finance.ledger.daily')],
      },
      {
        id: 'finance.on_time',
        name: 'on time',
        domain: 'finance',
        origin: 'config',
        outputs: [ledger('finance.ledger.on_time')],
      },
    ]
    await ingestBatch(deps, products)
    const byId = new Map(
      (await evaluateProducts(deps, { now, store: false })).evaluations.map((e) => [
        e.productId,
        e,
      ]),
    )
    return (id: string) => byId.get(id)?.dimensions.find((d) => d.dimension === 'freshness')
  }

  it('breaches the output of the DAG that missed it, with the deadline as the reason', async () => {
    const freshness = await evaluate()
    expect(freshness('finance.ledger')).toMatchObject({ status: 'breach' })
    expect(freshness('finance.ledger')?.reason).toMatch(
      /^finance\.ledger\.daily: DAG ledger_deadline missed its deadline "ledger posted within 10 s" \(due 2026-12-01T\S+Z\) in run manual_missed$/,
    )
    // the DAG that met its deadline is not flagged: with no write of its output observed, its
    // freshness is unknown (it was left out before unknown existed)
    expect(freshness('finance.on_time')?.status).toBe('unknown')
    expect(freshness('finance.on_time')?.reason).not.toMatch(/deadline/)
  })
})
