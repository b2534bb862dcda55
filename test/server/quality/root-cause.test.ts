import { describe, expect, it } from 'vitest'
import type { DimensionResult, KnownStatus } from '../../../server/quality/facts.ts'
import { statusSince, shouldStore } from '../../../server/quality/history.ts'
import { findRootCause, type RcEdge, type RcNode } from '../../../server/quality/root-cause.ts'

const NOW = new Date('2026-11-25T20:31:00Z')
const ds = (id: number, name: string, domain: string, over: Partial<RcNode> = {}): RcNode => ({
  id: `dataset:${id}`,
  kind: 'dataset',
  namespace: 'duckdb://mesh.duckdb',
  name,
  domain,
  type: 'model',
  ...over,
})
const job = (
  id: number,
  name: string,
  domain: string,
  type: string,
  over: Partial<RcNode> = {},
): RcNode => ({ id: `job:${id}`, kind: 'job', namespace: 'x', name, domain, type, ...over })
const e = (source: string, target: string, via: RcEdge['via'] = 'lineage'): RcEdge => ({
  source,
  target,
  via,
})
const dim = (
  dimension: DimensionResult['dimension'],
  status: KnownStatus = 'breach',
): DimensionResult => ({ dimension, status, score: 20, reason: 'x' })

// finance: raw_invoices (stale source) → stg job → revenue_daily; Airflow finance_ledger.load_ledger writes raw_invoices.
const stale = {
  name: 'freshness_age_seconds',
  value: 72 * 3600,
  status: 'error',
  observedAt: '2026-11-25T20:30:28Z',
}
const financeNodes = [
  ds(1, 'mesh.finance.revenue_daily', 'finance'),
  job(2, 'mesh.finance.finance.revenue_daily', 'finance', 'dbt_model', {
    latestRun: { state: 'COMPLETE', at: '2026-11-25T20:30:20Z', error: null },
  }),
  ds(3, 'mesh.finance_raw.raw_invoices', 'finance', { type: 'source', freshness: stale }),
]
const financeEdges = [e('dataset:3', 'job:2'), e('job:2', 'dataset:1')]
const loadTask = job(10, 'finance_ledger.load_ledger', 'finance', 'airflow_task', {
  latestRun: { state: 'FAIL', at: '2026-11-25T06:01:00Z', error: 'bad day' },
})
const ledgerDag = job(11, 'finance_ledger', 'finance', 'airflow_dag', {
  latestRun: { state: 'FAIL', at: '2026-11-25T06:02:00Z', error: null },
})

describe('findRootCause', () => {
  it('is undefined when every dimension is ok', () => {
    expect(
      findRootCause(
        {
          outputs: ['dataset:1'],
          nodes: financeNodes,
          edges: financeEdges,
          dimensions: [dim('freshness', 'ok')],
          upstreamTests: false,
        },
        NOW,
      ),
    ).toBeUndefined()
  })

  it('blames a stale source when no loader is known', () => {
    const rc = findRootCause(
      {
        outputs: ['dataset:1'],
        nodes: financeNodes,
        edges: financeEdges,
        dimensions: [dim('freshness')],
        upstreamTests: false,
      },
      NOW,
    )
    expect(rc?.culprit).toMatchObject({
      name: 'mesh.finance_raw.raw_invoices',
      domain: 'finance',
      status: 'breach',
    })
    expect(rc?.chain.map((c) => c.name)).toEqual([
      'mesh.finance.revenue_daily',
      'mesh.finance.finance.revenue_daily',
      'mesh.finance_raw.raw_invoices',
    ])
  })

  it("walks on from the stale source to the DAG's failed load task, naming the DAG", () => {
    const rc = findRootCause(
      {
        outputs: ['dataset:1'],
        nodes: [...financeNodes, loadTask, ledgerDag],
        edges: [
          ...financeEdges,
          e('job:10', 'dataset:3', 'orchestration'),
          e('job:11', 'job:10', 'parent'),
        ],
        dimensions: [dim('freshness')],
        upstreamTests: false,
      },
      NOW,
    )
    expect(rc?.culprit).toMatchObject({
      name: 'finance_ledger.load_ledger',
      type: 'airflow_task',
      domain: 'finance',
    })
    expect(rc?.chain.map((c) => c.name)).toEqual([
      'mesh.finance.revenue_daily',
      'mesh.finance.finance.revenue_daily',
      'mesh.finance_raw.raw_invoices',
      'finance_ledger.load_ledger',
      'finance_ledger',
    ])
    expect(rc?.confidence).toBe('lineage')
    expect(rc?.summary).toMatch(/task finance_ledger.load_ledger failed.*DAG finance_ledger/)
  })

  it('suspects a failed task of the same domain when nothing links the source to a loader', () => {
    const rc = findRootCause(
      {
        outputs: ['dataset:1'],
        nodes: financeNodes,
        edges: financeEdges,
        domainFailures: [loadTask],
        dimensions: [dim('freshness')],
        upstreamTests: false,
      },
      NOW,
    )
    expect(rc?.culprit.name).toBe('finance_ledger.load_ledger')
    expect(rc?.confidence).toBe('suspected')
  })

  const tested = {
    key: 'k',
    name: 'accepted_values_orders_status',
    status: 'fail',
    severity: 'error',
    observedAt: '2026-11-25T20:30:00Z',
    column: 'status',
  }
  const mesh = {
    nodes: [
      ds(20, 'mesh.marketing.customer_attribution', 'marketing'),
      job(21, 'mesh.marketing.marketing.customer_attribution', 'marketing', 'dbt_model'),
      ds(22, 'mesh.sales.orders', 'sales', { assertions: [tested] }),
    ],
    edges: [e('dataset:22', 'job:21'), e('job:21', 'dataset:20')],
  }

  it("propagates a failing sales test to marketing's product when upstream tests count", () => {
    const rc = findRootCause(
      { outputs: ['dataset:20'], ...mesh, dimensions: [dim('tests')], upstreamTests: true },
      NOW,
    )
    expect(rc?.culprit).toMatchObject({ name: 'mesh.sales.orders', domain: 'sales' })
    expect(rc?.chain.map((c) => c.domain)).toEqual(['marketing', 'marketing', 'sales'])
  })

  it('ignores upstream tests when the SLA does not count them, falling back to the output itself', () => {
    const rc = findRootCause(
      { outputs: ['dataset:20'], ...mesh, dimensions: [dim('volume')], upstreamTests: false },
      NOW,
    )
    expect(rc?.culprit.name).toBe('mesh.marketing.customer_attribution')
  })

  it('reports a cron DAG that missed its run as late', () => {
    const dag = job(30, 'sales_daily', 'sales', 'airflow_dag', {
      schedule: { cron: '0 6 * * *' },
      lastSuccessAt: '2026-11-24T06:10:00Z',
    })
    const rc = findRootCause(
      {
        outputs: ['dataset:20'],
        nodes: [...mesh.nodes, dag],
        edges: [...mesh.edges, e('job:30', 'dataset:22', 'orchestration')],
        dimensions: [dim('freshness')],
        upstreamTests: false,
      },
      NOW,
    )
    expect(rc?.culprit).toMatchObject({ name: 'sales_daily', domain: 'sales' })
    expect(rc?.culprit.problem).toMatch(/late/)
  })
})

describe('evaluation history', () => {
  const ev = (at: string, status: 'ok' | 'warn' | 'breach', score = 100) => ({
    productId: 'p',
    evaluatedAt: at,
    score,
    status,
    dimensions: [],
  })
  it.each([
    {
      name: 'first evaluation is stored',
      prev: undefined,
      next: ev('2026-11-25T10:00:00Z', 'ok'),
      expected: true,
    },
    {
      name: 'unchanged within the heartbeat is skipped',
      prev: ev('2026-11-25T10:00:00Z', 'ok'),
      next: ev('2026-11-25T10:30:00Z', 'ok'),
      expected: false,
    },
    {
      name: 'unchanged after the heartbeat is stored',
      prev: ev('2026-11-25T10:00:00Z', 'ok'),
      next: ev('2026-11-25T11:00:00Z', 'ok'),
      expected: true,
    },
    {
      name: 'a status change is stored at once',
      prev: ev('2026-11-25T10:00:00Z', 'ok'),
      next: ev('2026-11-25T10:01:00Z', 'breach', 40),
      expected: true,
    },
  ])('$name', ({ prev, next, expected }) => {
    expect(shouldStore(prev, next, 3_600_000)).toBe(expected)
  })

  it('since is the start of the latest unbroken run of the current status', () => {
    const h = [
      ev('2026-11-25T12:00:00Z', 'breach'),
      ev('2026-11-25T11:00:00Z', 'breach'),
      ev('2026-11-25T10:00:00Z', 'ok'),
      ev('2026-11-25T09:00:00Z', 'breach'),
    ]
    expect(statusSince(h)).toEqual({ status: 'breach', since: '2026-11-25T11:00:00Z' })
  })
})
