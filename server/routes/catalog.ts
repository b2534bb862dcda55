import { Hono } from 'hono'
import { z } from 'zod'
import {
  findDataset,
  getDataset,
  getProduct,
  listDomains,
  listProducts,
} from '../../db/queries/catalog.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const DatasetQuerySchema = z.object({ namespace: z.string().min(1), name: z.string().min(1) })

export const domainRoutes = (deps: Deps) =>
  new Hono().get('/', (c) => c.json({ domains: listDomains(deps.db) }))

export const productRoutes = (deps: Deps) =>
  new Hono()
    .get('/', validate('query', z.object({ domain: z.string().optional() })), (c) => {
      const { domain } = c.req.valid('query')
      return c.json({ products: listProducts(deps.db, domain === undefined ? {} : { domain }) })
    })
    .get('/:id', (c) => {
      const p = getProduct(deps.db, c.req.param('id'))
      if (!p) return c.json(errorBody('not_found', `unknown product ${c.req.param('id')}`), 404)
      return c.json(p)
    })

export const datasetRoutes = (deps: Deps) =>
  new Hono()
    .get('/', validate('query', DatasetQuerySchema), (c) => {
      const ref = c.req.valid('query')
      const id = findDataset(deps.db, ref)
      if (id === undefined) {
        return c.json(errorBody('not_found', `unknown dataset ${ref.namespace} ${ref.name}`), 404)
      }
      return c.json(getDataset(deps.db, id))
    })
    .get('/:id', validate('param', z.object({ id: z.coerce.number().int().positive() })), (c) => {
      const { id } = c.req.valid('param')
      const d = getDataset(deps.db, id)
      if (!d) return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
      return c.json(d)
    })
