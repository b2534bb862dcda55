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
import { cachedRead } from '../../db/queries/read-cache.ts'
import type { Deps } from '../deps.ts'
import { orchestrationOf } from '../lineage-orchestration.ts'
import { describe } from '../openapi.ts'
import { errorBody, fail } from '../errors.ts'
import { validate } from '../validate.ts'

const NodeIdSchema = z
  .string()
  .refine((s) => parseNodeId(s) !== undefined, { message: 'expected dataset:<id> or job:<id>' })
const DirectionSchema = z.enum(['up', 'down', 'both']).default('both')
// `orchestration=true`: the DAGs and tasks that run the graph's jobs, and their edges, beside it.
const OrchestrationSchema = z.enum(['true', 'false']).default('false')

const LineageQuerySchema = z.object({
  node: NodeIdSchema,
  depth: z.coerce.number().int().min(0).max(20).default(3),
  direction: DirectionSchema,
})
const FocusQuerySchema = z.object({
  node: NodeIdSchema,
  depth: z.coerce.number().int().min(1).max(20).default(4),
  direction: DirectionSchema,
  orchestration: OrchestrationSchema,
})
const DomainParamSchema = z.object({ domain: z.string().min(1).max(200) })
const DomainQuerySchema = z.object({ orchestration: OrchestrationSchema })
const SearchQuerySchema = z.object({ q: z.string().trim().min(1).max(200) })
const ProductParamSchema = z.object({ id: z.string().min(1) })

/**
 * The lineage graph: a node's neighbourhood, and the web view's domain overview, one domain
 * expanded, a node's focus, search, and a product's upstream and downstream products.
 */
export const lineageRoutes = (deps: Deps) =>
  new Hono()
    .get(
      '/',
      describe('lineage', 'the depth-limited neighbourhood of a node', {
        200: 'its nodes and edges',
        404: 'unknown node',
      }),
      validate('query', LineageQuerySchema),
      (c) => {
        const q = c.req.valid('query')
        const node = parseNodeId(q.node)
        if (node === undefined) fail(400, 'invalid_request', 'bad node id', '$.node')
        const result = lineageNeighbourhood(deps.db, {
          node,
          depth: q.depth,
          direction: q.direction,
        })
        if (
          result.nodes.length === 0 ||
          (node.startsWith('dataset:') && !getDataset(deps.db, Number(node.slice(8))))
        ) {
          return c.json(errorBody('not_found', `unknown node ${q.node}`), 404)
        }
        return c.json(result)
      },
    )
    .get(
      '/overview',
      describe('lineage', 'the mesh with each domain collapsed to one node', {
        200: 'the domains with their counts and status, and the edges between them',
      }),
      (c) => c.json(cachedRead(deps.db, 'overview', () => lineageOverview(deps.db))),
    )
    .get(
      '/domains/:domain',
      describe('lineage', 'one domain expanded: its datasets and jobs', {
        200: 'its nodes and edges, edges to other domains marked foreign; with orchestration=true also the DAGs and tasks running its jobs and the orchestration edges (DAG → task → dbt model, task order), at most 2,000 jobs and 5,000 edges (truncated says when cut)',
        404: 'unknown domain',
      }),
      validate('param', DomainParamSchema),
      validate('query', DomainQuerySchema),
      (c) => {
        const name = c.req.valid('param').domain
        const g = cachedRead(deps.db, `domain:${name}`, () => domainGraph(deps.db, name))
        if (g.nodes.length === 0)
          return c.json(errorBody('not_found', `unknown domain ${g.domain}`), 404)
        const orchestration =
          c.req.valid('query').orchestration === 'true' ? orchestrationOf(deps.db, g.nodes) : null
        return c.json({ ...g, orchestration })
      },
    )
    .get(
      '/focus',
      describe('lineage', 'a node’s neighbourhood across domains, as the web view draws it', {
        200: 'the root, its nodes and edges, and whether it was truncated; with orchestration=true also the DAGs and tasks running its jobs and the orchestration edges',
        404: 'unknown node',
      }),
      validate('query', FocusQuerySchema),
      (c) => {
        const q = c.req.valid('query')
        const node = parseNodeId(q.node)
        const r =
          node === undefined
            ? undefined
            : lineageFocus(deps.db, { node, depth: q.depth, direction: q.direction })
        if (!r || !r.nodes.some((n) => n.id === r.root))
          return c.json(errorBody('not_found', `unknown node ${q.node}`), 404)
        const orchestration = q.orchestration === 'true' ? orchestrationOf(deps.db, r.nodes) : null
        return c.json({ ...r, orchestration })
      },
    )
    .get(
      '/search',
      describe('lineage', 'datasets and jobs whose name matches', { 200: 'the matches' }),
      validate('query', SearchQuerySchema),
      (c) => c.json({ results: searchNodes(deps.db, c.req.valid('query').q) }),
    )
    .get(
      '/products/:id',
      describe('lineage', 'the upstream and downstream products of a product', {
        200: 'its upstream and downstream products, with hops',
        404: 'unknown product',
      }),
      validate('param', ProductParamSchema),
      (c) => {
        const { id } = c.req.valid('param')
        if (!getProduct(deps.db, id))
          return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        return c.json(productNeighbours(deps.db, id))
      },
    )
