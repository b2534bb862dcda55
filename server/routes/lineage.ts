import { Hono } from 'hono'
import { z } from 'zod'
import { getDataset, getProduct } from '../../db/queries/catalog.ts'
import { lineageNeighbourhood, parseNodeId } from '../../db/queries/lineage.ts'
import {
  domainGraph,
  lineageFocus,
  lineageOverview,
  productNeighbours,
  searchNodes,
} from '../../db/queries/overview.ts'
import type { Deps } from '../deps.ts'
import { errorBody, fail } from '../errors.ts'
import { validate } from '../validate.ts'

const NodeIdSchema = z
  .string()
  .refine((s) => parseNodeId(s) !== undefined, { message: 'expected dataset:<id> or job:<id>' })
const DirectionSchema = z.enum(['up', 'down', 'both']).default('both')

const LineageQuerySchema = z.object({
  node: NodeIdSchema,
  depth: z.coerce.number().int().min(0).max(20).default(3),
  direction: DirectionSchema,
})
const FocusQuerySchema = z.object({
  node: NodeIdSchema,
  depth: z.coerce.number().int().min(1).max(20).default(4),
  direction: DirectionSchema,
})
const DomainParamSchema = z.object({ domain: z.string().min(1).max(200) })
const SearchQuerySchema = z.object({ q: z.string().trim().min(1).max(200) })

/**
 * The lineage graph: a node's neighbourhood, and the web view's domain overview, one domain
 * expanded, a node's focus, search, and a product's upstream and downstream products.
 */
export const lineageRoutes = (deps: Deps) =>
  new Hono()
    .get('/', validate('query', LineageQuerySchema), (c) => {
      const q = c.req.valid('query')
      const node = parseNodeId(q.node)
      if (node === undefined) fail(400, 'invalid_request', 'bad node id', '$.node')
      const result = lineageNeighbourhood(deps.db, { node, depth: q.depth, direction: q.direction })
      if (
        result.nodes.length === 0 ||
        (node.startsWith('dataset:') && !getDataset(deps.db, Number(node.slice(8))))
      ) {
        return c.json(errorBody('not_found', `unknown node ${q.node}`), 404)
      }
      return c.json(result)
    })
    .get('/overview', (c) => c.json(lineageOverview(deps.db)))
    .get('/domains/:domain', validate('param', DomainParamSchema), (c) => {
      const g = domainGraph(deps.db, c.req.valid('param').domain)
      if (g.nodes.length === 0)
        return c.json(errorBody('not_found', `unknown domain ${g.domain}`), 404)
      return c.json(g)
    })
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
    .get('/search', validate('query', SearchQuerySchema), (c) =>
      c.json({ results: searchNodes(deps.db, c.req.valid('query').q) }),
    )
    .get('/products/:id', (c) => {
      const id = c.req.param('id')
      if (!getProduct(deps.db, id))
        return c.json(errorBody('not_found', `unknown product ${id}`), 404)
      return c.json(productNeighbours(deps.db, id))
    })
