import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { lineage as pgLineage } from '../../db/pg/queries/lineage.ts'
import * as liteLineage from '../../db/queries/lineage.ts'
import type { Direction, NodeId } from '../../db/queries/lineage.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/lineage.ts (a walk of one query per hop) and db/pg/queries/lineage.ts (one recursive
// statement) on the demo store: every node's neighbourhood in each direction and depth, and
// walks cut short by maxNodes, answers compared.

type M = typeof pgLineage
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteLineage, db), pg: bindPg(pgLineage, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const nodes = (): NodeId[] => [
  ...(db.$client.prepare('select id from datasets order by id').all() as { id: number }[]).map(
    (r): NodeId => `dataset:${r.id}`,
  ),
  ...(db.$client.prepare('select id from jobs order by id').all() as { id: number }[]).map(
    (r): NodeId => `job:${r.id}`,
  ),
]
const DIRECTIONS: Direction[] = ['up', 'down', 'both']

describe('lineage on both engines', () => {
  it('walk every node up, down and both ways at depths 0 to 6', async () => {
    let deep = 0
    for (const node of nodes())
      for (const direction of DIRECTIONS)
        for (const depth of [0, 1, 2, 3, 6]) {
          const got = await onBoth(both, (m) => m.lineageNeighbourhood({ node, depth, direction }))
          expect(got.truncated).toBe(false)
          if (got.nodes.some((n) => n.depth >= 3)) deep++
        }
    expect(deep).toBeGreaterThan(20)
  })

  it('stop at maxNodes as SQLite does: the same nodes kept, the same edges, truncated said', async () => {
    let cut = 0
    for (const node of nodes())
      for (const direction of DIRECTIONS)
        for (const maxNodes of [1, 2, 3, 5, 8]) {
          const got = await onBoth(both, (m) =>
            m.lineageNeighbourhood({ node, depth: 10, direction, maxNodes }),
          )
          if (got.truncated) cut++
        }
    expect(cut).toBeGreaterThan(20)
  })

  it('a node not in the store has no neighbourhood', async () => {
    for (const node of ['dataset:999999', 'job:999999'] as const)
      expect(
        await onBoth(both, (m) => m.lineageNeighbourhood({ node, depth: 3, direction: 'both' })),
      ).toEqual({ root: node, nodes: [], edges: [], truncated: false })
  })
})
