import { Hono } from 'hono'
import { z } from 'zod'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const DatasetQuerySchema = z.object({ namespace: z.string().min(1), name: z.string().min(1) })
const DatasetParamSchema = z.object({ id: z.coerce.number().int().positive() })

/** A dataset by id or by namespace + name and its versions (schema changes); column lineage: column-lineage.ts. */
export const datasetRoutes = (deps: Deps) =>
  new Hono()
    .get(
      '/',
      describe('catalog', 'a dataset by namespace and name', {
        200: 'the dataset: columns, aliases, producers, consumers, checks, recent results and metrics',
        404: 'unknown dataset',
      }),
      validate('query', DatasetQuerySchema),
      async (c) => {
        const ref = c.req.valid('query')
        const id = await deps.store.catalog.findDataset(ref)
        if (id === undefined) {
          return c.json(errorBody('not_found', `unknown dataset ${ref.namespace} ${ref.name}`), 404)
        }
        return c.json(await deps.store.catalog.getDataset(id))
      },
    )
    .get(
      '/:id',
      describe('catalog', 'a dataset by id', {
        200: 'the dataset: columns, aliases, producers, consumers, checks, recent results and metrics',
        404: 'unknown dataset',
      }),
      validate('param', DatasetParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        const d = await deps.store.catalog.getDataset(id)
        if (!d) return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
        return c.json(d)
      },
    )
    .get(
      '/:id/versions',
      describe('catalog', 'the schema history of a dataset', {
        200: 'its versions, oldest first',
        404: 'unknown dataset',
      }),
      validate('param', DatasetParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        if (!(await deps.store.catalog.getDataset(id)))
          return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
        return c.json({ datasetId: id, versions: await deps.store.runs.listDatasetVersions(id) })
      },
    )
