import { Hono } from 'hono'
import { z } from 'zod'
import { writerDomain } from '../authz.ts'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const IdParam = z.object({ id: z.coerce.number().int().positive() })
const InputsQuery = z.object({ namespace: z.string().min(1).max(1024).optional() })

/**
 * GET /api/datasets/column-lineage-inputs: what each dataset's stored column lineage was computed
 * from, for the datasets the caller may write.
 * GET /api/datasets/:id/column-lineage: the column edges into and out of the dataset
 * (`upstream`, `downstream`), and per column its sources down to the raw tables, its uses
 * across domains (with exposures) and where dbt-ol's facet and meshwatch's SQL lineage disagree.
 */
export const columnLineageRoutes = (deps: Deps) =>
  new Hono()
    // `collect dbt --server`: a model whose inputs hash as stored is claimed unchanged, not parsed
    .get(
      '/column-lineage-inputs',
      describe(
        'lineage',
        'what the stored column lineage of each dataset was computed from (`collect dbt --server` parses again only what changed)',
        {
          200: 'per dataset its namespace, name, the hash of its SQL, dialect and upstream columns, and its output columns; a domain-scoped token gets only its own and unowned datasets',
          400: 'bad query',
        },
      ),
      validate('query', InputsQuery),
      async (c) => {
        const { namespace } = c.req.valid('query')
        const domain = writerDomain(c)
        return c.json({
          inputs: await deps.store.columnLineageInputs.listWritableColumnLineageInputs({
            domain,
            namespace,
          }),
        })
      },
    )
    .get(
      '/:id/column-lineage',
      describe(
        'lineage',
        'the column lineage of a dataset, per column, to raw sources and consumers',
        {
          200: 'direct column edges in and out, and per column its upstream hops to the raw tables, its downstream uses across domains (with exposures), the sources of each hop, and where dbt-ol and meshwatch disagree',
          404: 'unknown dataset',
        },
      ),
      validate('param', IdParam),
      async (c) => {
        const { id } = c.req.valid('param')
        const dataset = await deps.store.catalog.getDataset(id)
        if (!dataset) return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
        const names = (dataset.columns ?? []).map((col) => col.name)
        return c.json({
          datasetId: id,
          ...(await deps.store.runs.datasetColumnLineage(id)),
          ...(await deps.store.columnLineage.datasetColumnTree(id, names)),
        })
      },
    )
