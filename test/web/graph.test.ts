import { describe, expect, it } from 'vitest'
import {
  arrangeDomains,
  crossDomainSummary,
  domainNodeId,
  focusElements,
  foldModelJobs,
  layoutEdges,
  overviewElements,
  reachable,
  shortName,
  type DomainGraphIn,
  type OverviewIn,
} from '../../web/graph.ts'
import type { Status } from '../../web/model.ts'
import type { NodeId } from '../../db/queries/lineage.ts'

const counts = { ok: 0, warn: 0, breach: 0, unknown: 0 }
const domain = (name: string, status: Status = 'ok', breached = 0) => ({
  name,
  owner: `${name}-team`,
  datasets: 3,
  jobs: 2,
  products: 1,
  status,
  counts,
  productCounts: { ...counts, breach: breached },
})
const OVERVIEW: OverviewIn = {
  domains: [domain('sales', 'breach', 1), domain('finance'), domain('marketing')],
  edges: [
    { source: 'sales', target: 'finance', count: 3 },
    { source: 'sales', target: 'marketing', count: 1 },
  ],
}
const node = (id: NodeId, d: string, products: string[] = []) => ({
  id,
  namespace: 'duckdb://mesh',
  kind: id.startsWith('job') ? ('job' as const) : ('dataset' as const),
  name: `db.${d}.${id.replace(':', '_')}`,
  domain: d,
  type: null,
  owner: null,
  status: 'ok' as const,
  products,
  integration: null,
})
const SALES: DomainGraphIn = {
  domain: 'sales',
  nodes: [
    node('dataset:1', 'sales', ['sales.orders']),
    node('job:1', 'sales'),
    node('dataset:2', 'sales'),
  ],
  edges: [
    { source: 'dataset:2', target: 'job:1' },
    { source: 'job:1', target: 'dataset:1' },
    { source: 'dataset:1', target: 'job:7', foreign: { id: 'job:7', domain: 'finance' } },
    { source: 'dataset:1', target: 'job:8', foreign: { id: 'job:8', domain: 'finance' } },
    { source: 'dataset:1', target: 'job:9', foreign: { id: 'job:9', domain: 'marketing' } },
  ],
  orchestration: null,
}
const FINANCE: DomainGraphIn = {
  domain: 'finance',
  nodes: [node('job:7', 'finance'), node('job:8', 'finance'), node('dataset:5', 'finance')],
  edges: [
    { source: 'dataset:1', target: 'job:7', foreign: { id: 'dataset:1', domain: 'sales' } },
    { source: 'dataset:1', target: 'job:8', foreign: { id: 'dataset:1', domain: 'sales' } },
    { source: 'job:7', target: 'dataset:5' },
  ],
  orchestration: null,
}
const edgesOf = (els: ReturnType<typeof overviewElements>) =>
  els
    .flatMap((e) =>
      e.group === 'edges'
        ? [
            `${e.data.source}>${e.data.target}${e.data.count && e.data.count > 1 ? ` ×${e.data.count}` : ''}`,
          ]
        : [],
    )
    .sort()

describe('overviewElements', () => {
  it('draws one node per domain and the counted edges between them when all are collapsed', () => {
    const els = overviewElements(OVERVIEW, new Map())
    expect(els.filter((e) => e.group === 'nodes').map((e) => e.data.id)).toEqual([
      'domain:sales',
      'domain:finance',
      'domain:marketing',
    ])
    expect(edgesOf(els)).toEqual([
      'domain:sales>domain:finance ×3',
      'domain:sales>domain:marketing',
    ])
    const sales = els.find((e) => e.data.id === 'domain:sales')
    expect(sales?.data).toMatchObject({ kind: 'domain', status: 'breach', expanded: false })
    expect(sales?.group === 'nodes' && sales.data.label).toContain('1 in breach')
  })

  it.each([
    {
      name: 'an expanded domain holds its nodes; edges into collapsed domains end on the domain node',
      expanded: new Map([['sales', SALES]]),
      edges: [
        'dataset:1>domain:finance ×2',
        'dataset:1>domain:marketing',
        'dataset:2>job:1',
        'job:1>dataset:1',
      ],
    },
    {
      name: 'two expanded domains connect node to node, each edge once',
      expanded: new Map([
        ['sales', SALES],
        ['finance', FINANCE],
      ]),
      edges: [
        'dataset:1>domain:marketing',
        'dataset:1>job:7',
        'dataset:1>job:8',
        'dataset:2>job:1',
        'job:1>dataset:1',
        'job:7>dataset:5',
      ],
    },
  ])('$name', ({ expanded, edges }) => {
    const els = overviewElements(OVERVIEW, expanded)
    expect(edgesOf(els)).toEqual(edges)
    const orders = els.find((e) => e.data.id === 'dataset:1')
    expect(orders?.data).toMatchObject({
      parent: domainNodeId('sales'),
      product: true,
      label: 'dataset_1',
    })
    expect(els.find((e) => e.data.id === 'domain:sales')?.data).toMatchObject({
      expanded: true,
      label: 'sales',
    })
  })
})

describe('crossDomainSummary', () => {
  it('stands one counted edge per domain pair in for the node-to-collapsed-domain edges', () => {
    const els = overviewElements(OVERVIEW, new Map([['sales', SALES]]))
    expect(edgesOf(crossDomainSummary(els))).toEqual([
      'domain:sales>domain:finance ×2',
      'domain:sales>domain:marketing',
    ])
  })

  it('has nothing to stand in for when every domain is collapsed or opened', () => {
    expect(crossDomainSummary(overviewElements(OVERVIEW, new Map()))).toEqual([])
    expect(
      crossDomainSummary(
        overviewElements(
          { ...OVERVIEW, domains: OVERVIEW.domains.slice(0, 2) },
          new Map([
            ['sales', SALES],
            ['finance', FINANCE],
          ]),
        ),
      ),
    ).toEqual([])
  })
})

describe('focusElements', () => {
  it('groups the neighbourhood by domain and marks the focused node', () => {
    const els = focusElements({
      root: 'dataset:1',
      nodes: [
        { ...node('dataset:1', 'sales'), depth: 0 },
        { ...node('job:7', 'finance'), depth: 1 },
      ],
      edges: [
        { source: 'dataset:1', target: 'job:7' },
        { source: 'job:7', target: 'dataset:99' },
      ],
      truncated: false,
      orchestration: null,
    })
    expect(
      els.filter((e) => e.group === 'nodes' && e.data.kind === 'domain').map((e) => e.data.id),
    ).toEqual(['domain:finance', 'domain:sales'])
    expect(els.find((e) => e.data.id === 'dataset:1')?.data).toMatchObject({
      root: true,
      parent: 'domain:sales',
    })
    expect(edgesOf(els)).toEqual(['dataset:1>job:7'])
  })
})

describe('reachable', () => {
  const edges = [
    { source: 'a', target: 'b' },
    { source: 'b', target: 'c' },
    { source: 'c', target: 'd' },
    { source: 'x', target: 'c' },
  ]
  it.each([
    { start: 'a', hops: 2, direction: 'down' as const, expected: ['a', 'b', 'c'] },
    { start: 'd', hops: 1, direction: 'up' as const, expected: ['c', 'd'] },
    { start: 'd', hops: 5, direction: 'up' as const, expected: ['a', 'b', 'c', 'd', 'x'] },
    { start: 'a', hops: 0, direction: 'down' as const, expected: ['a'] },
  ])('$start $direction $hops hops', ({ start, hops, direction, expected }) => {
    expect([...reachable(edges, start, hops, direction)].sort()).toEqual(expected)
  })
})

it.each([
  { name: 'db.schema.orders', expected: 'orders' },
  { name: 'orders', expected: 'orders' },
  { name: 'trailing.', expected: 'trailing.' },
])('shortName($name) is $expected', ({ name, expected }) => expect(shortName(name)).toBe(expected))

describe('layoutEdges', () => {
  it('drops an edge implied by a longer path and keeps the rest', () => {
    const e = [
      { source: 'a', target: 'b', count: 5 },
      { source: 'b', target: 'c', count: 5 },
      { source: 'a', target: 'c', count: 1 },
    ]
    expect(layoutEdges(e).map((x) => `${x.source}>${x.target}`)).toEqual(['a>b', 'b>c'])
  })
  it('keeps reachability when two domains read each other', () => {
    const e = [
      { source: 'a', target: 'b' },
      { source: 'b', target: 'a' },
      { source: 'a', target: 'c' },
      { source: 'c', target: 'b' },
    ]
    const kept = layoutEdges(e)
    const reach = (s: string, t: string) => reachable(kept, s, 5, 'down').has(t)
    expect([reach('a', 'b'), reach('b', 'a'), reach('a', 'c'), reach('c', 'b')]).toEqual([
      true,
      true,
      true,
      true,
    ])
  })
})

describe('arrangeDomains', () => {
  it('pushes other columns sideways and the same column up and down to make room for an opened domain', () => {
    const base = new Map([
      ['open', { x: 100, y: 100, w: 50, h: 20 }],
      ['right', { x: 300, y: 100, w: 50, h: 20 }],
      ['left', { x: -100, y: 100, w: 50, h: 20 }],
      ['below', { x: 100, y: 150, w: 50, h: 20 }],
    ])
    const pos = arrangeDomains(base, [['open', { w: 450, h: 220 }]])
    expect(pos.get('right')?.x).toBe(500)
    expect(pos.get('left')?.x).toBe(-300)
    expect(pos.get('below')?.y).toBe(250)
    expect(base.get('right')?.x).toBe(300)
  })
})

describe('foldModelJobs', () => {
  const model = (id: NodeId, d: string) => ({ ...node(id, d), type: 'dbt_model' })
  const BIG: DomainGraphIn = {
    domain: 'finance',
    nodes: [
      node('dataset:5', 'finance'),
      node('dataset:6', 'finance'),
      model('job:7', 'finance'),
      model('job:8', 'finance'),
      node('job:9', 'finance'),
    ],
    edges: [
      // job:7, a dbt model reading a sales dataset and its own, writing dataset:6: folded
      { source: 'dataset:1', target: 'job:7', foreign: { id: 'dataset:1', domain: 'sales' } },
      { source: 'dataset:5', target: 'job:7' },
      { source: 'job:7', target: 'dataset:6' },
      // job:8 writes into another domain, job:9 is no dbt model: both stay nodes
      { source: 'dataset:5', target: 'job:8' },
      { source: 'job:8', target: 'dataset:3', foreign: { id: 'dataset:3', domain: 'sales' } },
      { source: 'dataset:6', target: 'job:9' },
      { source: 'job:9', target: 'dataset:5' },
    ],
    orchestration: null,
  }

  it('turns a dbt model with one output of its domain into edges from its inputs, naming it', () => {
    const { graph, jobs } = foldModelJobs(BIG)
    expect([...jobs.keys()]).toEqual(['job:7'])
    expect(graph.nodes.map((n) => n.id)).toEqual(['dataset:5', 'dataset:6', 'job:8', 'job:9'])
    expect(graph.edges).toContainEqual({
      source: 'dataset:1',
      target: 'dataset:6',
      foreign: { id: 'dataset:1', domain: 'sales' },
      job: 'job:7',
    })
    expect(graph.edges).toContainEqual({ source: 'dataset:5', target: 'dataset:6', job: 'job:7' })
    expect(graph.edges.filter((e) => e.source === 'job:7' || e.target === 'job:7')).toEqual([])
    expect(graph.edges).toHaveLength(7 - 3 + 2)
  })

  it('names the folded model on the drawn edge', () => {
    const els = overviewElements(OVERVIEW, new Map([['finance', foldModelJobs(BIG).graph]]))
    const drawn = els.find((e) => e.group === 'edges' && e.data.id === 'dataset:5>dataset:6')
    expect(drawn?.data).toMatchObject({ job: 'job:7' })
  })
})
