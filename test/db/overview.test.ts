import { describe, expect, it } from 'vitest'
import type { KnownStatus } from '../../common/vocab.ts'
import { emptyBatch, type Assertion, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import {
  describeGraphNodes,
  domainGraph,
  lineageFocus,
  lineageOverview,
  NO_DOMAIN,
  productNeighbours,
  searchNodes,
} from '../../db/queries/overview.ts'
import { storeEvaluations } from '../../db/queries/quality-store.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { jobs } from '../../db/schema.ts'
import { hashBatch } from '../../server/ingest.ts'

// The web view's graph queries: statuses computed in SQL from the latest assertion per test, the
// latest evaluation per product and the latest run per job; domains and cross-domain edges.

const NS = 'duckdb://mesh'
const ds = (name: string) => ({ namespace: NS, name })
const job = (name: string) => ({ namespace: 'default', name })
const NOW = '2026-03-01T00:00:00.000Z'

const assertion = (
  key: string,
  status: Assertion['status'],
  severity: Assertion['severity'],
  observedAt: string,
): Assertion => ({
  key,
  dataset: ds('mesh.sales.orders'),
  name: key,
  status,
  severity,
  observedAt,
  origin: 'dbt',
})

//  mesh.raw.orders (no domain) →sales.load→ mesh.sales.orders →finance.model→ mesh.finance.revenue
//                                            mesh.finance.revenue →finance.report→ mesh.finance.report
function meshBatch(): Batch {
  const b = emptyBatch('dbt', 'dbt:mesh')
  b.domains.push({ name: 'sales', owner: 'sales-team' }, { name: 'finance', owner: 'cfo' })
  b.datasets.push(
    ds('mesh.raw.orders'),
    { ...ds('mesh.sales.orders'), domain: 'sales', kind: 'model' },
    { ...ds('mesh.finance.revenue'), domain: 'finance', kind: 'model' },
    { ...ds('mesh.finance.report'), domain: 'finance', kind: 'model' },
  )
  b.jobs.push(
    { ...job('sales.load'), type: 'dbt_model', domain: 'sales' },
    { ...job('sales.orphan'), type: 'dbt_model', domain: 'sales' },
    { ...job('finance.model'), type: 'dbt_model', domain: 'finance' },
    { ...job('finance.report'), type: 'dbt_model', domain: 'finance' },
  )
  const edge = (j: string, d: string, direction: 'input' | 'output') => ({
    job: job(j),
    dataset: ds(d),
    direction,
  })
  b.edges.push(
    edge('sales.load', 'mesh.raw.orders', 'input'),
    edge('sales.load', 'mesh.sales.orders', 'output'),
    edge('finance.model', 'mesh.sales.orders', 'input'),
    edge('finance.model', 'mesh.finance.revenue', 'output'),
    edge('finance.report', 'mesh.finance.revenue', 'input'),
    edge('finance.report', 'mesh.finance.report', 'output'),
  )
  // The latest result per test counts: unique_id failed, then passed; a warn-severity test fails.
  b.assertions.push(
    assertion('unique_id', 'fail', 'error', '2026-02-28T01:00:00Z'),
    assertion('unique_id', 'pass', 'error', '2026-02-28T02:00:00Z'),
    assertion('row_count_close', 'fail', 'warn', '2026-02-28T02:00:00Z'),
    assertion('not_null_id', 'skipped', 'error', '2026-02-28T03:00:00Z'),
  )
  // sales.load: a COMPLETE run, then a later FAIL; finance.model: COMPLETE.
  b.runs.push(
    { runId: 'r1', job: job('sales.load'), state: 'COMPLETE', startedAt: '2026-02-28T00:00:00Z' },
    { runId: 'r2', job: job('sales.load'), state: 'FAIL', startedAt: '2026-02-28T06:00:00Z' },
    {
      runId: 'r3',
      job: job('finance.model'),
      state: 'COMPLETE',
      startedAt: '2026-02-28T07:00:00Z',
    },
  )
  b.products.push(
    {
      id: 'sales.orders',
      name: 'Orders',
      domain: 'sales',
      origin: 'dbt_public',
      outputs: [ds('mesh.sales.orders')],
    },
    {
      id: 'finance.revenue',
      name: 'Revenue',
      domain: 'finance',
      origin: 'dbt_public',
      outputs: [ds('mesh.finance.revenue')],
    },
    {
      id: 'finance.report',
      name: 'Report',
      domain: 'finance',
      origin: 'dbt_public',
      outputs: [ds('mesh.finance.report')],
    },
  )
  return b
}

function seed(): Db {
  const db = openDb(':memory:')
  const b = meshBatch()
  storeBatch(db, b, { contentHash: hashBatch(b), now: NOW })
  const ev = (productId: string, status: KnownStatus, evaluatedAt: string) => ({
    productId,
    evaluatedAt,
    score: 0,
    status,
    dimensions: [],
  })
  storeEvaluations(db, [ev('finance.revenue', 'ok', '2026-02-28T01:00:00Z')], { keep: () => true })
  storeEvaluations(
    db,
    [
      ev('finance.revenue', 'breach', '2026-02-28T02:00:00Z'),
      ev('finance.report', 'ok', '2026-02-28T02:00:00Z'),
    ],
    {
      keep: () => true,
    },
  )
  return db
}

const datasetId = (db: Db, name: string) => `dataset:${findDataset(db, ds(name)) ?? 0}` as const
const jobId = (db: Db, name: string) =>
  `job:${
    db
      .select()
      .from(jobs)
      .all()
      .find((j) => j.name === name)?.id ?? 0
  }` as const
const statuses = (nodes: { name: string; status: string }[]) =>
  Object.fromEntries(nodes.map((n) => [n.name, n.status]))

describe('graph node statuses', () => {
  it('rates datasets by the latest result of each test and the latest evaluation of their products, jobs by their latest run', () => {
    const db = seed()
    const ids = [
      datasetId(db, 'mesh.raw.orders'),
      datasetId(db, 'mesh.sales.orders'),
      datasetId(db, 'mesh.finance.revenue'),
      datasetId(db, 'mesh.finance.report'),
      jobId(db, 'sales.load'),
      jobId(db, 'finance.model'),
      jobId(db, 'finance.report'),
    ]
    const nodes = describeGraphNodes(db, ids)
    expect(statuses(nodes)).toEqual({
      'mesh.raw.orders': 'unknown',
      // unique_id passed last (ok), row_count_close failed at warn severity: warn.
      'mesh.sales.orders': 'warn',
      // the product's latest evaluation is breach, the earlier ok does not count.
      'mesh.finance.revenue': 'breach',
      'mesh.finance.report': 'ok',
      'sales.load': 'breach',
      'finance.model': 'ok',
      'finance.report': 'unknown',
    })
    const orders = nodes.find((n) => n.name === 'mesh.sales.orders')
    expect(orders).toMatchObject({
      kind: 'dataset',
      domain: 'sales',
      type: 'model',
      products: ['sales.orders'],
    })
    expect(nodes.find((n) => n.name === 'mesh.raw.orders')).toMatchObject({
      domain: NO_DOMAIN,
      products: [],
    })
    expect(describeGraphNodes(db, [])).toEqual([])
  })
})

describe('lineageOverview', () => {
  it('gives one node per domain with counts and worst status, and counts the edges crossing domains', () => {
    const db = seed()
    const { domains, edges } = lineageOverview(db)
    const sales = domains.find((d) => d.name === 'sales')
    const finance = domains.find((d) => d.name === 'finance')
    const none = domains.find((d) => d.name === NO_DOMAIN)
    expect(domains.map((d) => d.name)).toEqual([NO_DOMAIN, 'finance', 'sales'])
    // sales.orphan has no lineage edge: not counted.
    expect(sales).toMatchObject({
      owner: 'sales-team',
      datasets: 1,
      jobs: 1,
      products: 1,
      status: 'breach',
    })
    expect(sales?.counts).toEqual({ ok: 0, warn: 1, breach: 1, unknown: 0 })
    expect(sales?.productCounts).toEqual({ ok: 0, warn: 0, breach: 0, unknown: 1 })
    expect(finance).toMatchObject({
      owner: 'cfo',
      datasets: 2,
      jobs: 2,
      products: 2,
      status: 'breach',
    })
    expect(finance?.counts).toEqual({ ok: 2, warn: 0, breach: 1, unknown: 1 })
    expect(finance?.productCounts).toEqual({ ok: 1, warn: 0, breach: 1, unknown: 0 })
    expect(none).toMatchObject({
      owner: null,
      datasets: 1,
      jobs: 0,
      products: 0,
      status: 'unknown',
    })
    expect(edges).toEqual([
      { source: NO_DOMAIN, target: 'sales', count: 1 },
      { source: 'sales', target: 'finance', count: 1 },
    ])
  })
})

describe('domainGraph', () => {
  it("lists a domain's datasets and lineage jobs, and marks the edges that cross into another domain", () => {
    const db = seed()
    const g = domainGraph(db, 'sales')
    expect(g.nodes.map((n) => n.name).sort()).toEqual(['mesh.sales.orders', 'sales.load'])
    const foreign = g.edges.filter((e) => e.foreign).map((e) => e.foreign)
    expect(foreign).toEqual(
      expect.arrayContaining([
        { id: datasetId(db, 'mesh.raw.orders'), domain: NO_DOMAIN },
        { id: jobId(db, 'finance.model'), domain: 'finance' },
      ]),
    )
    expect(foreign).toHaveLength(2)
    expect(g.edges.filter((e) => !e.foreign)).toEqual([
      { source: jobId(db, 'sales.load'), target: datasetId(db, 'mesh.sales.orders') },
    ])
  })
})

describe('lineageFocus', () => {
  it('is the lineage neighbourhood with each node described and its depth kept', () => {
    const db = seed()
    const f = lineageFocus(db, {
      node: datasetId(db, 'mesh.finance.revenue'),
      depth: 2,
      direction: 'up',
    })
    expect(f.nodes.map((n) => [n.name, n.depth, n.status])).toEqual(
      expect.arrayContaining([
        ['mesh.finance.revenue', 0, 'breach'],
        ['finance.model', 1, 'ok'],
        ['mesh.sales.orders', 2, 'warn'],
      ]),
    )
    expect(f.nodes).toHaveLength(3)
    expect(f.truncated).toBe(false)
  })
})

describe('searchNodes', () => {
  it('finds datasets and lineage jobs by part of the name, case-insensitively, products first', () => {
    const db = seed()
    const hits = searchNodes(db, 'ORDERS')
    expect(hits.map((h) => [h.name, h.kind, h.product])).toEqual([
      ['mesh.sales.orders', 'dataset', 1],
      ['mesh.raw.orders', 'dataset', 0],
    ])
    expect(searchNodes(db, 'sales.').map((h) => h.name)).toEqual([
      'mesh.sales.orders',
      'sales.load',
    ])
    expect(searchNodes(db, 'orphan')).toEqual([])
    expect(searchNodes(db, 'finance', 2)).toHaveLength(2)
  })

  it('reads % and _ in the query as themselves', () => {
    const db = seed()
    expect(searchNodes(db, '%')).toEqual([])
    expect(searchNodes(db, 'sales_orders')).toEqual([])
    expect(searchNodes(db, 'mesh_')).toEqual([])
  })
})

describe('productNeighbours', () => {
  it('finds products upstream and downstream through the lineage with the hops to each', () => {
    const db = seed()
    expect(productNeighbours(db, 'finance.revenue')).toEqual({
      upstream: [{ id: 'sales.orders', name: 'Orders', domain: 'sales', owner: null, hops: 1 }],
      downstream: [
        { id: 'finance.report', name: 'Report', domain: 'finance', owner: null, hops: 1 },
      ],
    })
    expect(productNeighbours(db, 'sales.orders').downstream.map((p) => [p.id, p.hops])).toEqual([
      ['finance.revenue', 1],
      ['finance.report', 2],
    ])
    expect(productNeighbours(db, 'sales.orders', 1).downstream.map((p) => p.id)).toEqual([
      'finance.revenue',
    ])
    expect(productNeighbours(db, 'unknown')).toEqual({ upstream: [], downstream: [] })
  })
})
