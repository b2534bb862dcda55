import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { qualityGraph as pgQualityGraph } from '../../db/pg/queries/quality-graph.ts'
import * as liteQualityGraph from '../../db/queries/quality-graph.ts'
import { demoOnBoth, productIdsOf } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/quality-graph.ts and db/pg/queries/quality-graph.ts on the demo store's bad day
// (failing tests, stale sources, failed Airflow tasks): every product's root-cause graph, deep,
// shallow and cut short, and the governance facts, answers compared.

type M = typeof pgQualityGraph
let db: Db
let pool: pg.Pool
let now: Date
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool, now } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteQualityGraph, db), pg: bindPg(pgQualityGraph, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

describe('quality graph on both engines', () => {
  it("every product's root-cause graph: lineage, orchestration, parents, runs, tests", async () => {
    const ids = productIdsOf(db)
    const vias = new Set<string>()
    let failing = 0
    let cut = 0
    for (const id of ids) {
      const g = await onBoth(both, (m) => m.loadRootCauseGraph(id, { depth: 6, now }))
      for (const e of g?.edges ?? []) vias.add(e.via)
      failing += g?.nodes.filter((n) => n.latestRun && n.assertions === undefined).length ?? 0
      failing += g?.nodes.filter((n) => n.assertions?.some((a) => a.status !== 'pass')).length ?? 0
      await onBoth(both, (m) => m.loadRootCauseGraph(id, { depth: 1, now }))
      const small = await onBoth(both, (m) =>
        m.loadRootCauseGraph(id, {
          depth: 6,
          maxNodes: 3,
          now,
          links: [{ job: 'no_such_job', writes: 'orders' }],
        }),
      )
      if (small?.truncated) cut++
    }
    expect([...vias].sort()).toEqual(['lineage', 'orchestration', 'parent'])
    expect(failing).toBeGreaterThan(0)
    expect(cut).toBeGreaterThan(0)
    expect(
      await onBoth(both, (m) => m.loadRootCauseGraph('no.such', { depth: 3, now })),
    ).toBeUndefined()
  })

  it("many products' graphs in one call are each product's graph alone", async () => {
    const ids = productIdsOf(db)
    // depths differ by product, an unknown product sits among them
    const wants = [...ids, 'no.such'].map((productId, i) => ({ productId, depth: 1 + (i % 3) * 3 }))
    const many = await onBoth(both, (m) => m.loadRootCauseGraphs(wants, { now }))
    expect(many.filter((g) => g === undefined)).toHaveLength(1)
    expect(
      many.some((g) => g?.nodes.some((n) => n.assertions?.some((a) => a.status !== 'pass'))),
    ).toBe(true)
    for (const [i, w] of wants.entries())
      expect(many[i]).toEqual(
        await both.pg.loadRootCauseGraph(w.productId, { depth: w.depth, now }),
      )
  })

  it('the governance facts', async () => {
    const facts = await onBoth(both, (m) => m.loadGovernanceFacts())
    expect(facts.products.length).toBeGreaterThan(5)
    expect(facts.dags.length).toBeGreaterThan(0)
    expect(facts.products.some((p) => p.outputs.some((o) => o.uniqueColumns.length > 0))).toBe(true)
  })
})
