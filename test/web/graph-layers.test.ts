import { describe, expect, it } from 'vitest'
import type { NodeId } from '../../db/queries/lineage.ts'
import { jobLabel, type Element } from '../../web/graph.ts'
import { columnElements } from '../../web/graph-columns.ts'
import { withOrchestration, type OrchestrationIn } from '../../web/graph-orchestration.ts'

const job = (id: NodeId, name: string, type: string, domain = 'sales') => ({
  id,
  kind: 'job' as const,
  name,
  namespace: 'airflow',
  domain,
  type,
  owner: null,
  status: 'ok' as const,
  products: [],
  integration: null,
})
// A domain box holding the dbt model job:1; the orchestration adds the DAG job:10 and task job:11.
const BASE: Element[] = [
  {
    group: 'nodes',
    data: { id: 'domain:sales', label: 'sales', kind: 'domain', status: 'ok', expanded: true },
  },
  {
    group: 'nodes',
    data: {
      id: 'job:1',
      label: 'orders',
      kind: 'job',
      status: 'ok',
      parent: 'domain:sales',
      jobType: 'dbt_model',
    },
  },
  {
    group: 'nodes',
    data: { id: 'domain:finance', label: 'finance', kind: 'domain', status: 'ok', expanded: false },
  },
]
const ORCH: OrchestrationIn = {
  nodes: [
    job('job:10', 'sales_daily', 'airflow_dag'),
    job('job:11', 'sales_daily.orders_run', 'airflow_task'),
    job('job:12', 'sales_daily.publish', 'airflow_task'),
    job('job:20', 'ledger', 'airflow_dag', 'finance'),
  ],
  edges: [
    { source: 'job:10', target: 'job:11', kind: 'contains' },
    { source: 'job:10', target: 'job:12', kind: 'contains' },
    { source: 'job:11', target: 'job:1', kind: 'runs' },
    { source: 'job:11', target: 'job:12', kind: 'after' },
    { source: 'job:20', target: 'job:1', kind: 'runs' },
  ],
  truncated: false,
}
const edges = (els: Element[]) =>
  els.filter((e) => e.group === 'edges').map((e) => `${e.data.kind} ${e.data.id}`)
const parentOf = (els: Element[], id: string) =>
  els.find((e) => e.data.id === id && e.group === 'nodes')?.data

describe('withOrchestration', () => {
  it('draws a collapsed DAG beside its tasks with DAG → task → model edges, task order hidden', () => {
    const els = withOrchestration(BASE, [ORCH], new Set())
    expect(edges(els)).toEqual([
      'contains o:job:10>job:11',
      'contains o:job:10>job:12',
      'runs o:job:11>job:1',
    ])
    expect(parentOf(els, 'job:11')).toMatchObject({ parent: 'domain:sales' })
    // The finance DAG stays folded in its collapsed domain, and so do its edges.
    expect(els.some((e) => e.data.id === 'job:20')).toBe(false)
  })

  it('nests the tasks of an expanded DAG in it and draws their order instead of the contains edges', () => {
    const els = withOrchestration(BASE, [ORCH], new Set(['job:10']))
    expect(parentOf(els, 'job:10')).toMatchObject({
      dag: true,
      expanded: true,
      parent: 'domain:sales',
    })
    expect(parentOf(els, 'job:11')).toMatchObject({ parent: 'job:10' })
    expect(edges(els)).toEqual(['runs o:job:11>job:1', 'after o:job:11>job:12'])
  })

  it('leaves the elements it was given unchanged', () => {
    withOrchestration(BASE, [ORCH], new Set(['job:10']))
    expect(BASE).toHaveLength(3)
    expect(BASE[0]?.data).not.toHaveProperty('dag')
  })
})

describe('jobLabel', () => {
  it.each([
    {
      name: 'mesh.sales.orders',
      type: 'dbt_model',
      integration: null,
      expected: 'orders\ndbt model',
    },
    {
      name: 'sales_daily.extract',
      type: 'airflow_task',
      integration: null,
      expected: 'extract\nAirflow task',
    },
    { name: 'word_count', type: 'job', integration: 'spark', expected: 'word_count\nSpark job' },
    {
      name: 'validate',
      type: 'job',
      integration: 'great_expectations',
      expected: 'validate\nGreat Expectations job',
    },
    { name: 'x', type: 'job', integration: 'new_engine', expected: 'x\nNew Engine job' },
    { name: 'x', type: 'job', integration: null, expected: 'x\nOpenLineage job' },
  ])('labels $type of $integration as $expected', ({ name, type, integration, expected }) => {
    expect(jobLabel(name, type, integration)).toBe(expected)
  })
})

describe('columnElements', () => {
  const ds = (id: number, name: string) => ({ id, namespace: 'duckdb', name })
  const col = (id: number, name: string, column: string) => ({ ...ds(id, name), column })
  it('puts each column in its dataset box with one edge per column edge, indirect ones marked', () => {
    const els = columnElements(2, {
      upstream: [
        {
          column: 'revenue',
          dataset: ds(2, 'mesh.daily'),
          from: col(1, 'mesh.orders', 'amount'),
          transformation: 'DIRECT/AGGREGATION',
        },
        {
          column: 'revenue',
          dataset: ds(2, 'mesh.daily'),
          from: col(1, 'mesh.orders', 'amount'),
          transformation: 'DIRECT/AGGREGATION',
        },
        {
          column: 'revenue',
          dataset: ds(2, 'mesh.daily'),
          from: col(1, 'mesh.orders', 'day'),
          transformation: 'INDIRECT/GROUP_BY',
        },
      ],
      downstream: [
        {
          column: 'total',
          dataset: ds(3, 'mesh.report'),
          from: col(2, 'mesh.daily', 'revenue'),
          transformation: null,
        },
      ],
    } as Parameters<typeof columnElements>[1])
    expect(parentOf(els, 'dataset:2')).toMatchObject({ root: true, expanded: true, label: 'daily' })
    expect(parentOf(els, 'column:1:amount')).toMatchObject({ kind: 'column', parent: 'dataset:1' })
    expect(els.filter((e) => e.group === 'edges').map((e) => e.data)).toEqual([
      {
        id: 'c:column:1:amount>column:2:revenue',
        source: 'column:1:amount',
        target: 'column:2:revenue',
        kind: 'column',
        indirect: false,
        label: 'aggregation',
      },
      {
        id: 'c:column:1:day>column:2:revenue',
        source: 'column:1:day',
        target: 'column:2:revenue',
        kind: 'column',
        indirect: true,
      },
      {
        id: 'c:column:2:revenue>column:3:total',
        source: 'column:2:revenue',
        target: 'column:3:total',
        kind: 'column',
        indirect: false,
      },
    ])
  })
})
