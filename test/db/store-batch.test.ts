import { describe, expect, it } from 'vitest'
import { sql } from 'drizzle-orm'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { storeBatch, writeBatch } from '../../db/queries/store-batch.ts'
import {
  datasets,
  jobs,
  lineageEdges,
  runs,
  datasetVersions,
  datasetAliases,
} from '../../db/schema.ts'
import { hashBatch } from '../../server/ingest.ts'

const NS = 'duckdb://mesh'
const ds = (name: string) => ({ namespace: NS, name })
const job = (name: string) => ({ namespace: 'default', name })

function projectBatch(): Batch {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.replaceEdges = true
  b.domains.push({ name: 'sales', owner: 'sales-team' })
  b.datasets.push(
    { ...ds('mesh.sales.raw_orders'), domain: 'sales', kind: 'seed' },
    {
      ...ds('mesh.sales.orders'),
      domain: 'sales',
      kind: 'model',
      columns: [{ name: 'id', type: 'INTEGER' }],
    },
  )
  b.jobs.push(
    { ...job('sales'), type: 'dbt_project', domain: 'sales' },
    { ...job('sales.orders'), type: 'dbt_model', domain: 'sales', parent: job('sales') },
  )
  b.edges.push(
    { job: job('sales.orders'), dataset: ds('mesh.sales.raw_orders'), direction: 'input' },
    { job: job('sales.orders'), dataset: ds('mesh.sales.orders'), direction: 'output' },
  )
  return b
}

const count = (
  db: Db,
  t: typeof datasets | typeof jobs | typeof lineageEdges | typeof runs | typeof datasetVersions,
) =>
  db
    .select({ n: sql<number>`count(*)` })
    .from(t)
    .get()?.n

const store = (db: Db, b: Batch, now = '2026-01-01T00:00:00.000Z') =>
  storeBatch(db, b, { contentHash: hashBatch(b), now })

describe('storeBatch', () => {
  it('stores datasets, jobs with their parent, and edges', () => {
    const db = openDb(':memory:')
    const r = store(db, projectBatch())
    expect(r.duplicate).toBe(false)
    expect(count(db, datasets)).toBe(2)
    expect(count(db, jobs)).toBe(2)
    expect(count(db, lineageEdges)).toBe(2)
    const model = db
      .select()
      .from(jobs)
      .all()
      .find((j) => j.name === 'sales.orders')
    const project = db
      .select()
      .from(jobs)
      .all()
      .find((j) => j.name === 'sales')
    expect(model?.parentId).toBe(project?.id)
  })

  it('treats redelivery of the same batch as a no-op', () => {
    const db = openDb(':memory:')
    store(db, projectBatch())
    const again = store(db, projectBatch(), '2026-01-02T00:00:00.000Z')
    expect(again.duplicate).toBe(true)
    expect(count(db, datasetVersions)).toBe(1)
  })

  it('replaces the edges of a re-collected job when the batch is a snapshot', () => {
    const db = openDb(':memory:')
    store(db, projectBatch())
    const b = projectBatch()
    b.edges = b.edges.filter((e) => e.direction === 'output')
    store(db, b)
    expect(count(db, lineageEdges)).toBe(1)
  })

  it('appends a schema version only when the columns change', () => {
    const db = openDb(':memory:')
    store(db, projectBatch())
    const b = projectBatch()
    b.datasets[1]!.columns = [{ name: 'id', type: 'BIGINT' }]
    store(db, b)
    store(db, { ...b, producedAt: '2026-01-03T00:00:00Z' })
    expect(count(db, datasetVersions)).toBe(2)
  })

  it('stores nothing of a batch that fails half-way', () => {
    const db = openDb(':memory:')
    const b = projectBatch()
    // Two checks with the same key and different datasets are fine; an assertion on a huge failure count is fine;
    // a metric with a non-finite value is rejected by SQLite's NOT NULL on value (NaN binds as NULL).
    b.metrics.push({
      dataset: ds('mesh.sales.orders'),
      name: 'row_count',
      value: Number.NaN,
      observedAt: '2026-01-01T00:00:00Z',
    })
    expect(() => store(db, b)).toThrow(/NOT NULL constraint failed/)
    expect(count(db, datasets)).toBe(0)
    expect(count(db, jobs)).toBe(0)
  })

  it('writeBatch refuses to run outside a transaction, and inside one fails with its caller as a whole', () => {
    const db = openDb(':memory:')
    const opts = { contentHash: 'x', now: '2026-01-01T00:00:00.000Z', keepRaw: false }
    expect(() => writeBatch(db, projectBatch(), opts)).toThrow(/needs a transaction/)
    const bad = projectBatch()
    bad.metrics.push({
      dataset: ds('mesh.sales.orders'),
      name: 'row_count',
      value: Number.NaN,
      observedAt: '2026-01-01T00:00:00Z',
    })
    expect(() =>
      db.transaction(() => {
        writeBatch(db, projectBatch(), opts)
        writeBatch(db, bad, opts)
      }),
    ).toThrow(/NOT NULL constraint failed/)
    expect(count(db, datasets)).toBe(0)
    expect(count(db, jobs)).toBe(0)
  })

  it('resolves a dataset named by another producer through its symlink to one node', () => {
    const db = openDb(':memory:')
    store(db, projectBatch())
    const ol = emptyBatch('openlineage', 'openlineage')
    ol.datasets.push({
      namespace: 's3://bucket',
      name: 'warehouse/orders',
      aliases: [ds('mesh.sales.orders')],
    })
    ol.edges.push({
      job: job('spark.export'),
      dataset: { namespace: 's3://bucket', name: 'warehouse/orders' },
      direction: 'input',
    })
    store(db, ol)
    expect(count(db, datasets)).toBe(2)
    expect(db.select().from(datasetAliases).all()).toHaveLength(1)
    const orders = db
      .select()
      .from(datasets)
      .all()
      .find((d) => d.name === 'mesh.sales.orders')
    const consumer = db
      .select()
      .from(lineageEdges)
      .all()
      .find((e) => e.direction === 'input' && e.datasetId === orders?.id)
    expect(consumer).toBeDefined()
  })

  it('keeps a terminal run state when a late START arrives', () => {
    const db = openDb(':memory:')
    const done = emptyBatch('openlineage', 'openlineage')
    done.runs.push({
      runId: 'r1',
      job: job('x'),
      state: 'COMPLETE',
      endedAt: '2026-01-01T00:05:00Z',
    })
    store(db, done)
    const start = emptyBatch('openlineage', 'openlineage')
    start.runs.push({
      runId: 'r1',
      job: job('x'),
      state: 'START',
      startedAt: '2026-01-01T00:00:00Z',
    })
    store(db, start)
    const row = db.select().from(runs).get()
    expect(row).toMatchObject({
      state: 'COMPLETE',
      startedAt: '2026-01-01T00:00:00Z',
      endedAt: '2026-01-01T00:05:00Z',
    })
  })

  it('keeps what an earlier batch said when a later one mentions the dataset without it', () => {
    const db = openDb(':memory:')
    const first = projectBatch()
    first.datasets[1] = {
      ...first.datasets[1]!,
      contractEnforced: true,
      tags: ['pii'],
      meta: { tier: 1 },
    }
    store(db, first)
    const later = emptyBatch('dbt', 'dbt:finance')
    later.datasets.push({ ...ds('mesh.sales.orders') })
    store(db, later)
    const row = db
      .select()
      .from(datasets)
      .all()
      .find((d) => d.name === 'mesh.sales.orders')
    expect(row).toMatchObject({
      contractEnforced: true,
      tags: ['pii'],
      meta: { tier: 1 },
      columns: [{ name: 'id', type: 'INTEGER' }],
    })
  })

  it('stores an absent JSON field as NULL, not the text null', () => {
    const db = openDb(':memory:')
    store(db, projectBatch())
    const raw = db.$client
      .prepare(
        "select count(*) n from datasets where tags = 'null' or meta = 'null' or contract_enforced = 0",
      )
      .get()
    expect(raw).toEqual({ n: 0 })
  })

  it('lets an Airflow asset fill gaps on a dbt model but not overwrite its kind, id or description', () => {
    const db = openDb(':memory:')
    const b = projectBatch()
    b.datasets[1] = {
      ...b.datasets[1]!,
      externalId: 'model.sales.orders',
      description: 'One row per order',
    }
    store(db, b)
    const af = emptyBatch('airflow', 'airflow:http://af')
    af.datasets.push({
      ...ds('mesh.sales.orders'),
      kind: 'asset',
      externalId: 'duckdb://mesh/sales/orders',
      description: 'orders asset',
      domain: 'sales',
    })
    af.datasets.push({
      ...ds('mesh.sales.only_an_asset'),
      kind: 'asset',
      externalId: 'duckdb://mesh/sales/x',
    })
    store(db, af)
    const rows = db.select().from(datasets).all()
    expect(rows.find((d) => d.name === 'mesh.sales.orders')).toMatchObject({
      kind: 'model',
      externalId: 'model.sales.orders',
      description: 'One row per order',
    })
    expect(rows.find((d) => d.name === 'mesh.sales.only_an_asset')).toMatchObject({
      kind: 'asset',
      externalId: 'duckdb://mesh/sales/x',
    })
  })
})
