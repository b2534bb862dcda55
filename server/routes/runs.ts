import { Hono } from 'hono'
import { z } from 'zod'
import { getDataset } from '../../db/queries/catalog.ts'
import { listRunEvents } from '../../db/queries/raw-events.ts'
import {
  datasetColumnLineage,
  getJob,
  listDatasetVersions,
  listJobRuns,
  runExists,
} from '../../db/queries/runs.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { eventWarnings } from '../openlineage.ts'
import { validate } from '../validate.ts'

const IdParam = z.object({ id: z.coerce.number().int().positive() })
const RunsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().positive().optional(),
})

/** GET /api/jobs/:id/runs */
export const jobRoutes = (deps: Deps) =>
  new Hono().get('/:id/runs', validate('param', IdParam), validate('query', RunsQuery), (c) => {
    const { id } = c.req.valid('param')
    const job = getJob(deps.db, id)
    if (!job) return c.json(errorBody('not_found', `unknown job ${id}`), 404)
    const q = c.req.valid('query')
    const runs = listJobRuns(
      deps.db,
      id,
      q.before === undefined ? { limit: q.limit } : { limit: q.limit, before: q.before },
    )
    return c.json({
      job: { id: job.id, namespace: job.namespace, name: job.name, type: job.type },
      runs,
    })
  })

/**
 * GET /api/runs/:runId/events: the raw OpenLineage events of a run, in received order, each with
 * the warnings of what meshwatch could not read in it (dropped facets, by JSON path).
 */
export const runRoutes = (deps: Deps) =>
  new Hono().get('/:runId/events', (c) => {
    const runId = c.req.param('runId')
    if (!runExists(deps.db, runId))
      return c.json(errorBody('not_found', `unknown run ${runId}`), 404)
    const events = listRunEvents(deps.db, runId).map((e) => ({
      ...e,
      warnings: eventWarnings(e.event),
    }))
    return c.json({ runId, events })
  })

/** GET /api/datasets/:id/versions and /api/datasets/:id/column-lineage */
export const datasetHistoryRoutes = (deps: Deps) =>
  new Hono()
    .get('/:id/versions', validate('param', IdParam), (c) => {
      const { id } = c.req.valid('param')
      if (!getDataset(deps.db, id))
        return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
      return c.json({ datasetId: id, versions: listDatasetVersions(deps.db, id) })
    })
    .get('/:id/column-lineage', validate('param', IdParam), (c) => {
      const { id } = c.req.valid('param')
      if (!getDataset(deps.db, id))
        return c.json(errorBody('not_found', `unknown dataset ${id}`), 404)
      return c.json({ datasetId: id, ...datasetColumnLineage(deps.db, id) })
    })
