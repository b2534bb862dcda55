import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// How storeBatch turns the names in a batch into nodes: aliases (OpenLineage symlinks, a warehouse
// name beside a dbt relation) resolve to one dataset, whichever producer came first; jobs get their
// parent whatever order the batch lists them in.

const DBT = 'duckdb://mesh'
const WH = 'postgres://warehouse:5432'
const S3 = 's3://bucket'

function store(db: Db, b: Batch) {
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-03-01T00:00:00.000Z' })
}

const q = <T>(db: Db, s: string) => db.$client.prepare<[], T>(s).all()
const datasetNames = (db: Db) =>
  q<{ n: string }>(db, `select namespace || ' ' || name as n from datasets order by 1`).map(
    (r) => r.n,
  )
const aliasRows = (db: Db) =>
  q<{ alias: string; target: string }>(
    db,
    `select a.namespace || ' ' || a.name as alias, d.name as target
     from dataset_aliases a join datasets d on d.id = a.dataset_id order by 1`,
  )
const edgeRows = (db: Db) =>
  q<{ e: string }>(
    db,
    `select j.name || ' ' || e.direction || ' ' || d.namespace || ' ' || d.name as e
     from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id order by 1`,
  ).map((r) => r.e)

function dbtOrders(): Batch {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.datasets.push({
    namespace: DBT,
    name: 'mesh.sales.orders',
    domain: 'sales',
    kind: 'model',
    aliases: [{ namespace: WH, name: 'analytics.orders' }],
  })
  return b
}

function olReads(ns: string, name: string, aliases?: { namespace: string; name: string }[]): Batch {
  const b = emptyBatch('openlineage', 'openlineage')
  b.datasets.push({ namespace: ns, name, ...(aliases ? { aliases } : {}) })
  b.edges.push({
    job: { namespace: 'spark', name: 'export' },
    dataset: { namespace: ns, name },
    direction: 'input',
  })
  return b
}

describe('dataset names to nodes', () => {
  it('puts an edge that names a known alias on the aliased dataset, creating no node', () => {
    const db = openDb(':memory:')
    store(db, dbtOrders())
    store(db, olReads(WH, 'analytics.orders'))
    expect(datasetNames(db)).toEqual([`${DBT} mesh.sales.orders`])
    expect(edgeRows(db)).toEqual([`export input ${DBT} mesh.sales.orders`])
  })

  it('joins a dataset that names an existing node as its alias to that node, and remembers the new name', () => {
    const db = openDb(':memory:')
    store(db, dbtOrders())
    store(db, olReads(S3, 'warehouse/orders', [{ namespace: DBT, name: 'mesh.sales.orders' }]))
    expect(datasetNames(db)).toEqual([`${DBT} mesh.sales.orders`])
    expect(aliasRows(db)).toEqual([
      { alias: `${WH} analytics.orders`, target: 'mesh.sales.orders' },
      { alias: `${S3} warehouse/orders`, target: 'mesh.sales.orders' },
    ])
    // Later events naming the S3 path land on the same node too.
    store(db, olReads(S3, 'warehouse/orders'))
    expect(datasetNames(db)).toHaveLength(1)
  })

  it('makes the name seen first the node and the later one its alias, with what the later batch says of it', () => {
    const db = openDb(':memory:')
    // OpenLineage names the warehouse table first; dbt then collects its model, aliased to it.
    store(db, olReads(WH, 'analytics.orders'))
    store(db, dbtOrders())
    expect(datasetNames(db)).toEqual([`${WH} analytics.orders`])
    expect(aliasRows(db)).toEqual([
      { alias: `${DBT} mesh.sales.orders`, target: 'analytics.orders' },
    ])
    const node = () =>
      q<{ domain: string | null; kind: string | null; columns: string | null }>(
        db,
        'select domain, kind, columns from datasets',
      )[0]
    expect(node()).toEqual({ domain: 'sales', kind: 'model', columns: null })
    // A later dbt collect describes it by its dbt name, now an alias: it still lands on the node.
    const again = dbtOrders()
    again.datasets[0] = {
      ...again.datasets[0],
      namespace: DBT,
      name: 'mesh.sales.orders',
      domain: 'sales',
      kind: 'model',
      columns: [{ name: 'id', type: 'INTEGER' }],
    }
    store(db, again)
    expect(node()).toEqual({
      domain: 'sales',
      kind: 'model',
      columns: JSON.stringify([{ name: 'id', type: 'INTEGER' }]),
    })
    expect(datasetNames(db)).toHaveLength(1)
  })

  it('lets an orchestrator asset described by an alias fill gaps only, as it does by name', () => {
    const db = openDb(':memory:')
    store(db, dbtOrders())
    const asset = emptyBatch('airflow', 'airflow')
    asset.datasets.push({
      namespace: WH,
      name: 'analytics.orders',
      kind: 'asset',
      description: 'an Airflow asset',
      domain: 'sales',
    })
    store(db, asset)
    expect(q(db, 'select name, kind, description from datasets')).toEqual([
      { name: 'mesh.sales.orders', kind: 'model', description: 'an Airflow asset' },
    ])
  })

  it('creates the datasets that edges, checks, metrics and product outputs name', () => {
    const db = openDb(':memory:')
    const b = emptyBatch('dbt', 'dbt:x')
    b.edges.push({
      job: { namespace: 'default', name: 'j' },
      dataset: { namespace: DBT, name: 'from_edge' },
      direction: 'output',
    })
    b.checks.push({
      key: 'c',
      dataset: { namespace: DBT, name: 'from_check' },
      kind: 'unique',
      name: 'c',
      severity: 'error',
      origin: 'dbt',
    })
    b.metrics.push({
      dataset: { namespace: DBT, name: 'from_metric' },
      name: 'row_count',
      value: 3,
      observedAt: '2026-03-01T00:00:00Z',
    })
    b.products.push({
      id: 'p',
      name: 'P',
      domain: 'd',
      origin: 'config',
      outputs: [{ namespace: DBT, name: 'from_product' }],
    })
    store(db, b)
    expect(datasetNames(db)).toEqual(
      ['from_check', 'from_edge', 'from_metric', 'from_product'].map((n) => `${DBT} ${n}`),
    )
  })
})

describe('job names to nodes', () => {
  it('links each job to its parent whatever order the batch lists them in, parents named only by reference included', () => {
    const db = openDb(':memory:')
    const b = emptyBatch('airflow', 'airflow')
    const ref = (name: string) => ({ namespace: 'airflow', name })
    b.jobs.push(
      { ...ref('dag.group.task'), type: 'airflow_task', parent: ref('dag.group') },
      { ...ref('dag.group'), type: 'airflow_task_group', parent: ref('dag') },
      { ...ref('other.task'), type: 'airflow_task', parent: ref('other') },
    )
    store(db, b)
    const rows = q<{ name: string; parent: string | null; type: string | null }>(
      db,
      `select j.name, p.name as parent, j.type from jobs j left join jobs p on p.id = j.parent_id order by j.name`,
    )
    expect(rows).toEqual([
      { name: 'dag', parent: null, type: 'job' },
      { name: 'dag.group', parent: 'dag', type: 'airflow_task_group' },
      { name: 'dag.group.task', parent: 'dag.group', type: 'airflow_task' },
      { name: 'other', parent: null, type: 'job' },
      { name: 'other.task', parent: 'other', type: 'airflow_task' },
    ])
  })

  it('stores a batch whose jobs name each other as parents (a cycle) without looping', () => {
    const db = openDb(':memory:')
    const b = emptyBatch('airflow', 'airflow')
    b.jobs.push(
      { namespace: 'a', name: 'x', type: 'job', parent: { namespace: 'a', name: 'y' } },
      { namespace: 'a', name: 'y', type: 'job', parent: { namespace: 'a', name: 'x' } },
    )
    store(db, b)
    expect(q<{ n: number }>(db, 'select count(*) as n from jobs')[0]?.n).toBe(2)
  })
})
