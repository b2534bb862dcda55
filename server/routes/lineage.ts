import { Hono } from 'hono'
import { z } from 'zod'
import { parseNodeId } from '../../db/queries/lineage.ts'
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
      async (c) => {
        const q = c.req.valid('query')
        const node = parseNodeId(q.node)
        if (node === undefined) fail(400, 'invalid_request', 'bad node id', '$.node')
        const result = await deps.store.lineage.lineageNeighbourhood({
          node,
          depth: q.depth,
          direction: q.direction,
        })
        if (
          result.nodes.length === 0 ||
          (node.startsWith('dataset:') &&
            !(await deps.store.catalog.getDataset(Number(node.slice(8)))))
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
      async (c) =>
        c.json(
          await deps.store.cachedRead('overview', () => deps.store.overview.lineageOverview()),
        ),
    )
    .get(
      '/domains/:domain',
      describe('lineage', 'one domain expanded: its datasets and jobs', {
        200: 'its nodes and edges, edges to other domains marked foreign; with orchestration=true also the DAGs and tasks running its jobs and the orchestration edges (DAG → task → dbt model, task order), at most 2,000 jobs and 5,000 edges (truncated says when cut)',
        404: 'unknown domain',
      }),
      validate('param', DomainParamSchema),
      validate('query', DomainQuerySchema),
      async (c) => {
        const name = c.req.valid('param').domain
        const g = await deps.store.cachedRead(`domain:${name}`, () =>
          deps.store.overview.domainGraph(name),
        )
        if (g.nodes.length === 0)
          return c.json(errorBody('not_found', `unknown domain ${g.domain}`), 404)
        const orchestration =
          c.req.valid('query').orchestration === 'true'
            ? await orchestrationOf(deps.store, g.nodes)
            : null
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
      async (c) => {
        const q = c.req.valid('query')
        const node = parseNodeId(q.node)
        const r =
          node === undefined
            ? undefined
            : await deps.store.overview.lineageFocus({
                node,
                depth: q.depth,
                direction: q.direction,
              })
        if (!r || !r.nodes.some((n) => n.id === r.root))
          return c.json(errorBody('not_found', `unknown node ${q.node}`), 404)
        const orchestration =
          q.orchestration === 'true' ? await orchestrationOf(deps.store, r.nodes) : null
        return c.json({ ...r, orchestration })
      },
    )
    .get(
      '/search',
      describe('lineage', 'datasets and jobs whose name matches', { 200: 'the matches' }),
      validate('query', SearchQuerySchema),
      async (c) =>
        c.json({ results: await deps.store.overview.searchNodes(c.req.valid('query').q) }),
    )
    .get(
      '/products/:id',
      describe('lineage', 'the upstream and downstream products of a product', {
        200: 'its upstream and downstream products, with hops',
        404: 'unknown product',
      }),
      validate('param', ProductParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        if (!(await deps.store.catalog.getProduct(id)))
          return c.json(errorBody('not_found', `unknown product ${id}`), 404)
        return c.json(await deps.store.overview.productNeighbours(id))
      },
    )
