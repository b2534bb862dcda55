import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import {
  lineageNeighbourhood,
  parseNodeId,
  type LineageOptions,
  type NodeId,
} from '../../db/queries/lineage.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { datasets, jobs } from '../../db/schema.ts'
import { hashBatch } from '../../server/ingest.ts'

const NS = 'duckdb://mesh'
const JOB_NS = 'default'

/** job name → [inputs, outputs]; every dataset named here is stored too. */
type Graph = Record<string, [string[], string[]]>

function graphBatch(graph: Graph): Batch {
  const b = emptyBatch('openlineage', 'test')
  const names = new Set<string>()
  for (const [job, [ins, outs]] of Object.entries(graph)) {
    b.jobs.push({ namespace: JOB_NS, name: job, type: 'job', domain: 'sales' })
    for (const [list, direction] of [
      [ins, 'input'],
      [outs, 'output'],
    ] as const) {
      for (const d of list) {
        names.add(d)
        b.edges.push({
          job: { namespace: JOB_NS, name: job },
          dataset: { namespace: NS, name: d },
          direction,
        })
      }
    }
  }
  for (const d of names) b.datasets.push({ namespace: NS, name: d, domain: 'sales' })
  return b
}

function seed(graph: Graph): {
  db: Db
  id: (name: string) => NodeId
  name: (id: NodeId) => string
} {
  const db = openDb(':memory:')
  const b = graphBatch(graph)
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-01-01T00:00:00.000Z' })
  const ids = new Map<string, NodeId>()
  for (const d of db.select().from(datasets).all()) ids.set(d.name, `dataset:${d.id}`)
  for (const j of db.select().from(jobs).all()) ids.set(j.name, `job:${j.id}`)
  const names = new Map([...ids].map(([n, i]) => [i, n]))
  return {
    db,
    id: (n) => ids.get(n) ?? (`dataset:0` as const),
    name: (i) => names.get(i) ?? `?${i}`,
  }
}

// raw →load→ stg →model→ mart →report→ dash, and stg →audit→ audit_log
const CHAIN: Graph = {
  load: [['raw'], ['stg']],
  model: [['stg'], ['mart']],
  report: [['mart'], ['dash']],
  audit: [['stg'], ['audit_log']],
}

function walk(graph: Graph, from: string, opts: Omit<LineageOptions, 'node'>) {
  const s = seed(graph)
  const r = lineageNeighbourhood(s.db, { ...opts, node: s.id(from) })
  return {
    ...r,
    at: Object.fromEntries(r.nodes.map((n) => [n.name, n.depth])),
    arrows: r.edges.map((e) => `${s.name(e.source)}>${s.name(e.target)}`).sort(),
  }
}

describe('lineageNeighbourhood', () => {
  it('walks upstream from a dataset through producers and their inputs, one depth per hop', () => {
    const r = walk(CHAIN, 'dash', { depth: 10, direction: 'up' })
    expect(r.at).toEqual({ dash: 0, report: 1, mart: 2, model: 3, stg: 4, load: 5, raw: 6 })
    expect(r.arrows).toEqual([
      'load>stg',
      'mart>report',
      'model>mart',
      'raw>load',
      'report>dash',
      'stg>model',
    ])
    expect(r.truncated).toBe(false)
  })

  it('walks downstream from a dataset to every consumer branch', () => {
    const r = walk(CHAIN, 'stg', { depth: 10, direction: 'down' })
    expect(r.at).toEqual({ stg: 0, model: 1, audit: 1, mart: 2, audit_log: 2, report: 3, dash: 4 })
    expect(r.arrows).not.toContain('load>stg')
  })

  it('stops at the requested depth', () => {
    const r = walk(CHAIN, 'dash', { depth: 2, direction: 'up' })
    expect(r.at).toEqual({ dash: 0, report: 1, mart: 2 })
    expect(r.arrows).toEqual(['mart>report', 'report>dash'])
  })

  it('goes both ways from a job', () => {
    const r = walk(CHAIN, 'model', { depth: 1, direction: 'both' })
    expect(r.at).toEqual({ model: 0, stg: 1, mart: 1 })
    expect(r.arrows).toEqual(['model>mart', 'stg>model'])
  })

  it('does not walk sideways: upstream of mart never reaches the audit branch', () => {
    const r = walk(CHAIN, 'mart', { depth: 10, direction: 'up' })
    expect(Object.keys(r.at).sort()).toEqual(['load', 'mart', 'model', 'raw', 'stg'])
  })

  it('ends on a cycle and lists each node once, at its shortest depth', () => {
    const cycle: Graph = { a: [['x'], ['y']], b: [['y'], ['x']] }
    const r = walk(cycle, 'x', { depth: 50, direction: 'down' })
    expect(r.at).toEqual({ x: 0, a: 1, y: 2, b: 3 })
    expect(r.nodes).toHaveLength(4)
    expect(r.arrows).toEqual(['a>y', 'b>x', 'x>a', 'y>b'])
  })

  it('truncates at maxNodes, says so, and returns no edge to a node it left out', () => {
    const fan: Graph = Object.fromEntries(
      Array.from({ length: 20 }, (_, i) => [`consumer_${i}`, [['hub'], [`out_${i}`]]]),
    )
    const r = walk(fan, 'hub', { depth: 5, direction: 'down', maxNodes: 8 })
    expect(r.truncated).toBe(true)
    expect(r.nodes).toHaveLength(8)
    const present = new Set(r.nodes.map((n) => n.id))
    for (const e of r.edges)
      expect([present.has(e.source), present.has(e.target)]).toEqual([true, true])
  })

  it('answers a node with no edges with itself alone, and an unknown id with nothing', () => {
    const s = seed({ lone: [[], ['island']] })
    const island = lineageNeighbourhood(s.db, { node: s.id('island'), depth: 3, direction: 'down' })
    expect(island.nodes.map((n) => n.name)).toEqual(['island'])
    expect(island.edges).toEqual([])
    const unknown = lineageNeighbourhood(s.db, { node: 'dataset:999', depth: 3, direction: 'both' })
    expect(unknown).toEqual({ root: 'dataset:999', nodes: [], edges: [], truncated: false })
  })

  it('describes each node with its kind, namespace, domain and type', () => {
    const s = seed(CHAIN)
    const r = lineageNeighbourhood(s.db, { node: s.id('load'), depth: 1, direction: 'both' })
    expect(r.nodes).toEqual([
      {
        id: s.id('load'),
        kind: 'job',
        namespace: JOB_NS,
        name: 'load',
        domain: 'sales',
        type: 'job',
        depth: 0,
      },
      {
        id: s.id('raw'),
        kind: 'dataset',
        namespace: NS,
        name: 'raw',
        domain: 'sales',
        type: null,
        depth: 1,
      },
      {
        id: s.id('stg'),
        kind: 'dataset',
        namespace: NS,
        name: 'stg',
        domain: 'sales',
        type: null,
        depth: 1,
      },
    ])
  })
})

describe('parseNodeId', () => {
  it.each([
    { input: 'dataset:12', expected: 'dataset:12' },
    { input: 'job:7', expected: 'job:7' },
    { input: 'job:007', expected: 'job:7' },
    { input: 'dataset:', expected: undefined },
    { input: 'dataset:-1', expected: undefined },
    { input: 'dataset:1.5', expected: undefined },
    { input: 'run:1', expected: undefined },
    { input: ' job:1', expected: undefined },
    { input: 'job:1234567890123456', expected: undefined },
  ])('$input → $expected', ({ input, expected }) => {
    expect(parseNodeId(input)).toBe(expected)
  })
})
