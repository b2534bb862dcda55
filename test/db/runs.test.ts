import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { storeRawEvents } from '../../db/queries/raw-events.ts'
import {
  datasetColumnLineage,
  getJob,
  listDatasetVersions,
  listJobRuns,
  runExists,
} from '../../db/queries/runs.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { jobs } from '../../db/schema.ts'
import { hashBatch } from '../../server/ingest.ts'
import { prepareEvent } from '../../server/openlineage.ts'

const NS = 'duckdb://mesh'
const ds = (name: string) => ({ namespace: NS, name })
const JOB = { namespace: 'default', name: 'sales.orders' }

function store(db: Db, b: Batch, now = '2026-03-01T00:00:00.000Z') {
  storeBatch(db, b, { contentHash: hashBatch(b), now })
}

function withRuns(n: number): { db: Db; jobId: number } {
  const db = openDb(':memory:')
  const b = emptyBatch('airflow', 'test')
  b.jobs.push({ ...JOB, type: 'airflow_task' })
  for (let i = 1; i <= n; i++) {
    b.runs.push({
      runId: `run-${i}`,
      job: JOB,
      state: 'COMPLETE',
      startedAt: `2026-03-01T0${i}:00:00Z`,
    })
  }
  store(db, b)
  return { db, jobId: db.select().from(jobs).all()[0]?.id ?? -1 }
}

describe('runs, versions and column lineage queries', () => {
  it("pages a job's runs newest first, `limit` at a time before a run's id", () => {
    const { db, jobId } = withRuns(5)
    expect(getJob(db, jobId)?.name).toBe('sales.orders')
    const first = listJobRuns(db, jobId, { limit: 2 })
    expect(first.map((r) => r.runId)).toEqual(['run-5', 'run-4'])
    const next = listJobRuns(db, jobId, { limit: 2, before: first.at(-1)?.id ?? 0 })
    expect(next.map((r) => r.runId)).toEqual(['run-3', 'run-2'])
    expect(listJobRuns(db, jobId + 1, { limit: 10 })).toEqual([])
  })

  it('knows a run by its stored row or by a raw event naming it', () => {
    const { db } = withRuns(1)
    expect(runExists(db, 'run-1')).toBe(true)
    expect(runExists(db, 'run-2')).toBe(false)
    const p = prepareEvent({
      eventType: 'OTHER',
      eventTime: '2026-03-01T00:00:00Z',
      run: { runId: '01900000-0000-7000-8000-000000000009' },
      job: { namespace: 'airflow', name: 'dag.task' },
      producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    })
    if (!p.ok) throw new Error(p.reason)
    storeRawEvents(db, [p.item], '2026-03-01T00:00:00.000Z')
    expect(runExists(db, '01900000-0000-7000-8000-000000000009')).toBe(true)
  })

  it("lists a dataset's schema versions newest first, one per change", () => {
    const db = openDb(':memory:')
    const snapshot = (cols: string[], at: string) => {
      const b = emptyBatch('dbt', 'dbt:sales')
      b.producedAt = at
      b.datasets.push({
        ...ds('mesh.sales.orders'),
        columns: cols.map((name) => ({ name, type: 'INTEGER' })),
      })
      store(db, b, at)
    }
    snapshot(['id'], '2026-03-01T00:00:00.000Z')
    snapshot(['id'], '2026-03-02T00:00:00.000Z')
    snapshot(['id', 'amount'], '2026-03-03T00:00:00.000Z')
    const versions = listDatasetVersions(db, findDataset(db, ds('mesh.sales.orders')) ?? -1)
    expect(versions.map((v) => v.columns.map((c) => c.name))).toEqual([['id', 'amount'], ['id']])
    expect(versions[0]?.columnsHash).not.toBe(versions[1]?.columnsHash)
  })

  it('gives column edges into a dataset as upstream and out of it as downstream', () => {
    const db = openDb(':memory:')
    const b = emptyBatch('openlineage', 'test')
    b.datasets.push(ds('raw'), ds('stg'), ds('mart'))
    b.columnEdges.push(
      { dataset: ds('stg'), column: 'id', from: ds('raw'), fromColumn: 'order_id' },
      {
        dataset: ds('stg'),
        column: 'total',
        from: ds('stg'),
        fromColumn: 'amount',
        transformation: 'SUM',
      },
      { dataset: ds('mart'), column: 'id', from: ds('stg'), fromColumn: 'id' },
    )
    store(db, b)
    const id = (n: string) => findDataset(db, ds(n)) ?? -1
    const l = datasetColumnLineage(db, id('stg'))
    expect(
      l.upstream.map((e) => `${e.from.name}.${e.from.column} → ${e.dataset.name}.${e.column}`),
    ).toEqual(['raw.order_id → stg.id', 'stg.amount → stg.total'])
    expect(l.upstream[1]?.transformation).toBe('SUM')
    // The edge from stg to itself is upstream only, not listed twice.
    expect(
      l.downstream.map((e) => `${e.from.name}.${e.from.column} → ${e.dataset.name}.${e.column}`),
    ).toEqual(['stg.id → mart.id'])
    expect(datasetColumnLineage(db, id('raw')).upstream).toEqual([])
  })
})
