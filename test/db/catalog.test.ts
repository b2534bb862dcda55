import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import {
  findDataset,
  getDataset,
  getProduct,
  latestEvaluations,
  listDomains,
  listProducts,
} from '../../db/queries/catalog.ts'
import { storeEvaluations } from '../../db/queries/quality-store.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

const NS = 'duckdb://mesh'
const ds = (name: string) => ({ namespace: NS, name })
const job = (name: string) => ({ namespace: 'default', name })
const T0 = '2026-03-01T00:00:00.000Z'

function meshBatch(): Batch {
  const b = emptyBatch('dbt', 'dbt:mesh')
  b.domains.push({ name: 'sales', owner: 'sales-team' }, { name: 'finance' }, { name: 'empty' })
  b.datasets.push(
    { ...ds('mesh.sales.raw_orders'), domain: 'sales', kind: 'seed' },
    {
      ...ds('mesh.sales.orders'),
      domain: 'sales',
      kind: 'model',
      aliases: [{ namespace: 'postgres://warehouse:5432', name: 'analytics.sales.orders' }],
    },
    { ...ds('mesh.sales.customers'), domain: 'sales', kind: 'model' },
    { ...ds('mesh.finance.revenue'), domain: 'finance', kind: 'model' },
  )
  b.jobs.push(
    { ...job('sales.orders'), type: 'dbt_model', domain: 'sales' },
    { ...job('finance.revenue'), type: 'dbt_model', domain: 'finance' },
  )
  b.edges.push(
    { job: job('sales.orders'), dataset: ds('mesh.sales.raw_orders'), direction: 'input' },
    { job: job('sales.orders'), dataset: ds('mesh.sales.orders'), direction: 'output' },
    { job: job('finance.revenue'), dataset: ds('mesh.sales.orders'), direction: 'input' },
    { job: job('finance.revenue'), dataset: ds('mesh.finance.revenue'), direction: 'output' },
  )
  b.checks.push({
    key: 'test.unique_orders_id',
    dataset: ds('mesh.sales.orders'),
    column: 'id',
    kind: 'unique',
    name: 'unique_orders_id',
    severity: 'error',
    origin: 'dbt',
  })
  b.products.push(
    {
      id: 'sales.orders',
      name: 'Orders',
      domain: 'sales',
      origin: 'dbt_public',
      outputs: [ds('mesh.sales.orders'), ds('mesh.sales.customers')],
    },
    {
      id: 'finance.revenue',
      name: 'Revenue',
      domain: 'finance',
      origin: 'dbt_public',
      outputs: [ds('mesh.finance.revenue')],
    },
  )
  return b
}

function seed(): Db {
  const db = openDb(':memory:')
  const b = meshBatch()
  storeBatch(db, b, { contentHash: hashBatch(b), now: T0 })
  return db
}

const evaluation = (productId: string, evaluatedAt: string, score: number) => ({
  productId,
  evaluatedAt,
  score,
  status: score >= 90 ? ('ok' as const) : ('breach' as const),
  dimensions: [],
})

describe('catalog queries', () => {
  it('lists every domain by name with its dataset and product counts, zero included', () => {
    const rows = listDomains(seed()).map(({ name, owner, datasets, products }) => ({
      name,
      owner,
      datasets,
      products,
    }))
    expect(rows).toEqual([
      { name: 'empty', owner: null, datasets: 0, products: 0 },
      { name: 'finance', owner: null, datasets: 1, products: 1 },
      { name: 'sales', owner: 'sales-team', datasets: 3, products: 1 },
    ])
  })

  it('finds a dataset by its own name or by an alias, and nothing for an unknown name', () => {
    const db = seed()
    const id = findDataset(db, ds('mesh.sales.orders'))
    expect(id).toBeTypeOf('number')
    expect(
      findDataset(db, { namespace: 'postgres://warehouse:5432', name: 'analytics.sales.orders' }),
    ).toBe(id)
    expect(
      findDataset(db, { namespace: 'postgres://other:5432', name: 'analytics.sales.orders' }),
    ).toBeUndefined()
    expect(findDataset(db, ds('mesh.sales.nope'))).toBeUndefined()
  })

  it('describes a dataset with its aliases, producers, consumers, checks and products', () => {
    const db = seed()
    const d = getDataset(db, findDataset(db, ds('mesh.sales.orders')) ?? 0)
    expect(d).toMatchObject({ name: 'mesh.sales.orders', domain: 'sales', kind: 'model' })
    expect(d?.aliases).toEqual([
      { namespace: 'postgres://warehouse:5432', name: 'analytics.sales.orders' },
    ])
    expect(d?.producers.map((j) => j.name)).toEqual(['sales.orders'])
    expect(d?.consumers.map((j) => j.name)).toEqual(['finance.revenue'])
    expect(d?.producers[0]).not.toHaveProperty('direction')
    expect(d?.checks.map((c) => c.key)).toEqual(['test.unique_orders_id'])
    expect(d?.products).toEqual(['sales.orders'])
    expect(getDataset(db, 99999)).toBeUndefined()
  })

  it('keeps the newest 100 assertions of a dataset, newest first', () => {
    const db = seed()
    const b = emptyBatch('dbt', 'dbt:results')
    for (let i = 0; i < 120; i++) {
      b.assertions.push({
        key: 'test.unique_orders_id',
        dataset: ds('mesh.sales.orders'),
        name: 'unique_orders_id',
        status: i === 119 ? 'fail' : 'pass',
        severity: 'error',
        observedAt: new Date(Date.parse(T0) + i * 60_000).toISOString(),
        origin: 'dbt',
      })
    }
    storeBatch(db, b, { contentHash: hashBatch(b), now: T0 })
    const got = getDataset(db, findDataset(db, ds('mesh.sales.orders')) ?? 0)?.assertions ?? []
    expect(got).toHaveLength(100)
    expect(got[0]).toMatchObject({ status: 'fail', observedAt: '2026-03-01T01:59:00.000Z' })
    expect(got.at(-1)?.observedAt).toBe('2026-03-01T00:20:00.000Z')
  })

  it('lists products by domain then name with their outputs, filtered by domain', () => {
    const db = seed()
    const all = listProducts(db)
    expect(all.map((p) => p.id)).toEqual(['finance.revenue', 'sales.orders'])
    expect(all[1]?.outputs.map((o) => o.name).sort()).toEqual([
      'mesh.sales.customers',
      'mesh.sales.orders',
    ])
    expect(all.every((p) => p.evaluation === null)).toBe(true)
    expect(listProducts(db, { domain: 'finance' }).map((p) => p.id)).toEqual(['finance.revenue'])
    expect(listProducts(db, { domain: 'empty' })).toEqual([])
  })

  it("gives each product its latest stored evaluation, not another product's", () => {
    const db = seed()
    storeEvaluations(
      db,
      [
        evaluation('sales.orders', '2026-03-01T01:00:00.000Z', 95),
        evaluation('finance.revenue', '2026-03-01T01:00:00.000Z', 40),
      ],
      { keep: () => true },
    )
    storeEvaluations(db, [evaluation('sales.orders', '2026-03-01T02:00:00.000Z', 50)], {
      keep: () => true,
    })
    const latest = latestEvaluations(db, ['sales.orders', 'finance.revenue', 'unknown'])
    expect(latest.get('sales.orders')).toMatchObject({
      score: 50,
      status: 'breach',
      evaluatedAt: '2026-03-01T02:00:00.000Z',
    })
    expect(latest.get('finance.revenue')).toMatchObject({ score: 40 })
    expect(latest.has('unknown')).toBe(false)
    expect(latestEvaluations(db, []).size).toBe(0)
    expect(getProduct(db, 'sales.orders')?.evaluation?.score).toBe(50)
  })

  it('gets one product with its outputs, and nothing for an unknown id', () => {
    const db = seed()
    expect(getProduct(db, 'finance.revenue')).toMatchObject({
      id: 'finance.revenue',
      name: 'Revenue',
      domain: 'finance',
      outputs: [{ namespace: NS, name: 'mesh.finance.revenue' }],
    })
    expect(getProduct(db, 'nope')).toBeUndefined()
  })
})
