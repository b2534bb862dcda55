import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { openDb } from '../../../db/client.ts'
import type { RootCause } from '../../../db/json-shapes.ts'
import { loadConfigFile, type MeshwatchConfig } from '../../../server/config-file.ts'
import type { Deps } from '../../../server/deps.ts'
import { FIXTURES } from '../../../server/demo.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import type { DimensionResult } from '../../../server/quality/facts.ts'
import { findRootCause, type RcEdge, type RcNode } from '../../../server/quality/root-cause.ts'
import { sqliteStore } from '../../../db/store.ts'

// Root cause through column lineage (#19) on a real dbt run: fixtures/record/build-null-amount.sh
// lands order 1042 without amount_cents; not_null fails on orders.amount_eur (error), on
// stg_sales__orders.amount_cents and on the raw source column (warn), and accepted_values on the
// raw customers' country (warn), a column amount_eur does not come from.
const TARGET = join(FIXTURES, 'quality', 'null-amount', 'sales', 'target')
const PROJECT = join(FIXTURES, 'dbt', 'projects', 'sales')
const CONFIG = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))

async function ordersRootCause(
  meshwatch: MeshwatchConfig,
  opts: { columnLineage?: boolean } = {},
): Promise<RootCause | null | undefined> {
  const db = openDb(':memory:')
  const batch = await readDbtTarget(TARGET, {
    projectDir: PROJECT,
    ...(opts.columnLineage === false ? { columnLineage: false } : {}),
  })
  await ingestBatch({ store: sqliteStore(db) }, batch)
  const t = db.$client
    .prepare('select max(coalesce(ended_at, started_at)) as t from runs')
    .get() as { t: string }
  const now = new Date(Date.parse(t.t) + 5 * 60_000)
  const deps: Deps = { store: sqliteStore(db), meshwatch, now: () => now }
  const orders = (await evaluateProducts(deps)).evaluations.find(
    (e) => e.productId === 'sales.orders',
  )
  expect(orders?.dimensions.find((d) => d.dimension === 'tests')?.status).toBe('breach')
  return orders?.rootCause
}

describe('root cause of a failing test on a column, through column lineage', () => {
  let rc: RootCause | null | undefined
  beforeAll(async () => {
    rc = await ordersRootCause(CONFIG)
  })

  it('blames the raw column amount_eur comes from, whose own not_null fails, not the failing raw country', () => {
    expect(rc?.culprit).toMatchObject({
      name: 'mesh.sales_raw.raw_orders',
      column: 'amount_cents',
      domain: 'sales',
      status: 'warn',
    })
    expect(rc?.culprit.problem).toMatch(/source_not_null_sales_raw_raw_orders_amount_cents/)
    expect(rc?.summary).toContain('which mesh.sales.orders.amount_eur comes from')
    expect(rc?.confidence).toBe('lineage')
  })

  it('names each column on the way: orders.amount_eur, stg_sales__orders.amount_cents, raw_orders.amount_cents', () => {
    expect(rc?.chain.map((c) => `${c.name}.${c.column}`)).toEqual([
      'mesh.sales.orders.amount_eur',
      'mesh.sales.stg_sales__orders.amount_cents',
      'mesh.sales_raw.raw_orders.amount_cents',
    ])
    expect(rc?.chain[0]?.problem).toMatch(/not_null_orders_amount_eur/)
  })

  // tests.upstream: warn makes upstream tests candidates of the table-level walk too
  const scoringUpstream: MeshwatchConfig = {
    ...CONFIG,
    defaults: { sla: { ...CONFIG.defaults?.sla, tests: { upstream: 'warn' } } },
  }

  it('with upstream tests scored, table lineage alone blames another failing raw column; column lineage the one amount_eur comes from', async () => {
    const tableOnly = await ordersRootCause(scoringUpstream, { columnLineage: false })
    expect(tableOnly?.culprit.column).toBeUndefined()
    expect(tableOnly?.culprit.problem).toMatch(/raw_customers_country/)
    const withColumns = await ordersRootCause(scoringUpstream)
    expect(withColumns?.culprit).toMatchObject({
      name: 'mesh.sales_raw.raw_orders',
      column: 'amount_cents',
    })
  })

  it('without column lineage the same run is blamed on the product itself (what column lineage adds)', async () => {
    const tableOnly = await ordersRootCause(CONFIG, { columnLineage: false })
    expect(tableOnly?.culprit.column).toBeUndefined()
    expect(tableOnly?.culprit.name).toBe('mesh.sales.orders')
  })
})

// The rule itself, table-driven on a chain out.a ← mid.b ← raw.c (and a join key mid.k).
const node = (id: number, name: string, assertions: [string, string, string][] = []): RcNode => ({
  id: `dataset:${id}`,
  kind: 'dataset',
  namespace: 'x',
  name,
  domain: 'd',
  type: 'model',
  assertions: assertions.map(([key, column, status]) => ({
    key,
    name: key,
    column,
    status,
    severity: status === 'warn' ? 'warn' : 'error',
    observedAt: '2026-11-26T00:00:00Z',
  })),
})
const colEdge = (t: number, column: string, s: number, fromColumn: string, direct = true) => ({
  target: `dataset:${t}`,
  column,
  source: `dataset:${s}`,
  fromColumn,
  direct,
})
const tablesUp: RcEdge[] = [
  { source: 'dataset:3', target: 'job:30', via: 'lineage' },
  { source: 'job:30', target: 'dataset:2', via: 'lineage' },
  { source: 'dataset:2', target: 'job:20', via: 'lineage' },
  { source: 'job:20', target: 'dataset:1', via: 'lineage' },
]
const tests: DimensionResult = { dimension: 'tests', status: 'breach', score: 0, reason: 'x' }
const freshness: DimensionResult = { ...tests, dimension: 'freshness' }
const failingOut = node(1, 'out', [['not_null_out_a', 'a', 'fail']])

describe('columnRootCause (through findRootCause)', () => {
  it.each([
    {
      name: 'the furthest failing column it comes from wins over a nearer one',
      nodes: [
        failingOut,
        node(2, 'mid', [['t_mid_b', 'b', 'warn']]),
        node(3, 'raw', [['t_raw_c', 'c', 'warn']]),
      ],
      edges: [colEdge(1, 'a', 2, 'b'), colEdge(2, 'b', 3, 'c')],
      culprit: 'raw.c',
    },
    {
      name: 'a column only joined or filtered on is not followed',
      nodes: [failingOut, node(2, 'mid', [['t_mid_k', 'k', 'fail']]), node(3, 'raw')],
      edges: [colEdge(1, 'a', 2, 'k', false), colEdge(1, 'a', 2, 'b')],
      culprit: 'out',
    },
    {
      name: 'a failing test on another column of an upstream table is not the column cause',
      nodes: [failingOut, node(2, 'mid', [['t_mid_z', 'z', 'fail']]), node(3, 'raw')],
      edges: [colEdge(1, 'a', 2, 'b'), colEdge(2, 'b', 3, 'c')],
      culprit: 'out',
    },
    {
      name: 'a cycle of column edges ends',
      nodes: [failingOut, node(2, 'mid', [['t_mid_b', 'b', 'fail']])],
      edges: [colEdge(1, 'a', 2, 'b'), colEdge(2, 'b', 1, 'a')],
      culprit: 'mid.b',
    },
  ])('$name', ({ nodes, edges, culprit }) => {
    const rc = findRootCause(
      {
        outputs: ['dataset:1'],
        nodes,
        edges: tablesUp,
        columnEdges: edges,
        dimensions: [tests],
        upstreamTests: false,
      },
      new Date('2026-11-26T01:00:00Z'),
    )
    expect([rc?.culprit.name, rc?.culprit.column].filter(Boolean).join('.')).toBe(culprit)
  })

  it('is not used when the tests dimension is ok (a stale product is walked by table lineage)', () => {
    const rc = findRootCause(
      {
        outputs: ['dataset:1'],
        nodes: [failingOut, node(2, 'mid', [['t_mid_b', 'b', 'fail']])],
        edges: tablesUp,
        columnEdges: [colEdge(1, 'a', 2, 'b')],
        dimensions: [freshness],
        upstreamTests: false,
      },
      new Date('2026-11-26T01:00:00Z'),
    )
    expect(rc?.culprit.column).toBeUndefined()
  })
})
