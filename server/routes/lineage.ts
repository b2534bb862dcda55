import { Hono } from 'hono'
import { z } from 'zod'
import { lineageNeighbourhood, parseNodeId } from '../../db/queries/lineage.ts'
import { getDataset } from '../../db/queries/catalog.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const LineageQuerySchema = z.object({
  node: z.string().refine((s) => parseNodeId(s) !== undefined, {
    message: 'expected dataset:<id> or job:<id>',
  }),
  depth: z.coerce.number().int().min(0).max(20).default(3),
  direction: z.enum(['up', 'down', 'both']).default('both'),
})

export const lineageRoutes = (deps: Deps) =>
  new Hono().get('/', validate('query', LineageQuerySchema), (c) => {
    const q = c.req.valid('query')
    const node = parseNodeId(q.node)
    if (node === undefined)
      return c.json(errorBody('invalid_request', 'bad node id', '$.node'), 400)
    const result = lineageNeighbourhood(deps.db, { node, depth: q.depth, direction: q.direction })
    if (
      result.nodes.length === 0 ||
      (node.startsWith('dataset:') && !getDataset(deps.db, Number(node.slice(8))))
    ) {
      return c.json(errorBody('not_found', `unknown node ${q.node}`), 404)
    }
    return c.json(result)
  })
