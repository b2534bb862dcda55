import { Hono } from 'hono'
import { z } from 'zod'
import { getProduct } from '../../db/queries/catalog.ts'
import { parseNodeId } from '../../db/queries/lineage.ts'
import {
  domainGraph,
  lineageFocus,
  lineageOverview,
  productNeighbours,
  searchNodes,
} from '../../db/queries/overview.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const FocusQuerySchema = z.object({
  node: z
    .string()
    .refine((s) => parseNodeId(s) !== undefined, { message: 'expected dataset:<id> or job:<id>' }),
  depth: z.coerce.number().int().min(1).max(20).default(4),
  direction: z.enum(['up', 'down', 'both']).default('both'),
})

/** The web view's lineage: domain overview, one domain expanded, a node's focus, search, product neighbours. */
export const overviewRoutes = (deps: Deps) =>
  new Hono()
    .get('/overview', (c) => c.json(lineageOverview(deps.db)))
    .get(
      '/domains/:domain',
      validate('param', z.object({ domain: z.string().min(1).max(200) })),
      (c) => {
        const g = domainGraph(deps.db, c.req.valid('param').domain)
        if (g.nodes.length === 0)
          return c.json(errorBody('not_found', `unknown domain ${g.domain}`), 404)
        return c.json(g)
      },
    )
    .get('/focus', validate('query', FocusQuerySchema), (c) => {
      const q = c.req.valid('query')
      const node = parseNodeId(q.node)
      const r =
        node === undefined
          ? undefined
          : lineageFocus(deps.db, { node, depth: q.depth, direction: q.direction })
      if (!r || !r.nodes.some((n) => n.id === r.root))
        return c.json(errorBody('not_found', `unknown node ${q.node}`), 404)
      return c.json(r)
    })
    .get('/search', validate('query', z.object({ q: z.string().trim().min(1).max(200) })), (c) =>
      c.json({ results: searchNodes(deps.db, c.req.valid('query').q) }),
    )
    .get('/products/:id', (c) => {
      const id = c.req.param('id')
      if (!getProduct(deps.db, id))
        return c.json(errorBody('not_found', `unknown product ${id}`), 404)
      return c.json(productNeighbours(deps.db, id))
    })
