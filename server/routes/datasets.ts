import { Hono } from 'hono'
import { z } from 'zod'
import { findDataset, getDataset } from '../../db/queries/catalog.ts'
import { datasetColumnLineage, listDatasetVersions } from '../../db/queries/runs.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const DatasetQuerySchema = z.object({ namespace: z.string().min(1), name: z.string().min(1) })
const DatasetParamSchema = z.object({ id: z.coerce.number().int().positive() })

/** A dataset by id or by namespace + name, its versions (schema changes) and column lineage. */
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
    .get('/:id', validate('param', DatasetParamSchema), (c) => {
      const { id } = c.req.valid('param')
      const d = getDataset(deps.db, id)
      if (!d) return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
      return c.json(d)
    })
    .get('/:id/versions', validate('param', DatasetParamSchema), (c) => {
      const { id } = c.req.valid('param')
      if (!getDataset(deps.db, id))
        return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
      return c.json({ datasetId: id, versions: listDatasetVersions(deps.db, id) })
    })
    .get('/:id/column-lineage', validate('param', DatasetParamSchema), (c) => {
      const { id } = c.req.valid('param')
      if (!getDataset(deps.db, id))
        return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
      return c.json({ datasetId: id, ...datasetColumnLineage(deps.db, id) })
    })
