import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { overview as pgOverview } from '../../db/pg/queries/overview.ts'
import type { NodeId } from '../../db/queries/lineage.ts'
import * as liteOverview from '../../db/queries/overview.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/overview.ts and db/pg/queries/overview.ts on the demo store (its bad day: failing
// tests, breached products, failed runs): the overview, every domain's graph, focus walks,
// searches and product neighbours, answers compared.

type M = typeof pgOverview
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteOverview, db), pg: bindPg(pgOverview, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const all = <T>(sql: string) => db.$client.prepare(sql).all() as T[]
const nodeIds = (): NodeId[] => [
  ...all<{ id: number }>('select id from datasets order by id').map(
    (r): NodeId => `dataset:${r.id}`,
  ),
  ...all<{ id: number }>('select id from jobs order by id').map((r): NodeId => `job:${r.id}`),
]

describe('overview on both engines', () => {
  it('the overview: domains with counts and worst status, cross-domain edges', async () => {
    const o = await onBoth(both, (m) => m.lineageOverview())
    expect(o.domains.length).toBeGreaterThan(1)
    expect(new Set(o.domains.map((d) => d.status)).size).toBeGreaterThan(1)
    expect(o.edges.length).toBeGreaterThan(0)
  })

  it("each domain's graph, and one that does not exist", async () => {
    const { domains } = await both.sqlite.lineageOverview()
    for (const d of domains) {
      const g = await onBoth(both, (m) => m.domainGraph(d.name))
      expect(g.nodes.length).toBeGreaterThan(0)
    }
    expect(await onBoth(both, (m) => m.domainGraph('no-such'))).toEqual({
      domain: 'no-such',
      nodes: [],
      edges: [],
    })
  })

  it('describe nodes (statuses, products, integrations) and focus on each', async () => {
    const ids = nodeIds()
    const described = await onBoth(both, (m) => m.describeGraphNodes(ids))
    expect(new Set(described.map((n) => n.status)).size).toBeGreaterThan(2)
    expect(described.some((n) => n.products.length > 0)).toBe(true)
    expect(await onBoth(both, (m) => m.describeGraphNodes([]))).toEqual([])
    await onBoth(both, (m) => m.describeGraphNodes(['dataset:999999', 'job:999999']))
    for (const node of ids) {
      await onBoth(both, (m) => m.lineageFocus({ node, depth: 2, direction: 'both' }))
      await onBoth(both, (m) => m.lineageFocus({ node, depth: 5, direction: 'up', maxNodes: 4 }))
    }
  })

  it('search names case-blind with % and _ taken literally, products first', async () => {
    const names = all<{ name: string }>('select name from datasets union select name from jobs')
    let hits = 0
    for (const q of [
      '',
      'a',
      'ORDERS',
      'Orders',
      'stg_',
      '_',
      '%',
      '\\',
      'no-such-name',
      ...names.slice(0, 10).map((n) => n.name.slice(2, 7)),
    ])
      for (const limit of [3, 20])
        hits += (await onBoth(both, (m) => m.searchNodes(q, limit))).length
    expect(hits).toBeGreaterThan(50)
    expect(await onBoth(both, (m) => m.searchNodes('%'))).toEqual([])
  })

  it("each product's upstream and downstream products, with hops", async () => {
    let found = 0
    for (const { id } of all<{ id: string }>('select id from products order by id')) {
      const n = await onBoth(both, (m) => m.productNeighbours(id))
      found += n.upstream.length + n.downstream.length
      await onBoth(both, (m) => m.productNeighbours(id, 1))
    }
    expect(found).toBeGreaterThan(0)
    expect(await onBoth(both, (m) => m.productNeighbours('no.such'))).toEqual({
      upstream: [],
      downstream: [],
    })
  })
})
