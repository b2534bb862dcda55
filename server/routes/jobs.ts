import { Hono } from 'hono'
import { z } from 'zod'
import { runTagsOf } from '../../common/tags.ts'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { validate } from '../validate.ts'

const JobParamSchema = z.object({ id: z.coerce.number().int().positive() })
const RunsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  before: z.coerce.number().int().positive().optional(),
})

/** GET /api/jobs/:id/runs: a job's runs, newest first, paged with `before`. */
export const jobRoutes = (deps: Deps) =>
  new Hono().get(
    '/:id/runs',
    describe('runs', 'the runs of a job, newest first', {
      200: 'the job and its runs, each with its tags (TagsRunFacet)',
      404: 'unknown job',
    }),
    validate('param', JobParamSchema),
    validate('query', RunsQuerySchema),
    async (c) => {
      const { id } = c.req.valid('param')
      const job = await deps.store.runs.getJob(id)
      if (!job) return c.json(errorBody('not_found', `unknown job ${id}`), 404)
      const q = c.req.valid('query')
      const runs = await deps.store.runs.listJobRuns(
        id,
        q.before === undefined ? { limit: q.limit } : { limit: q.limit, before: q.before },
      )
      return c.json({
        job: { id: job.id, namespace: job.namespace, name: job.name, type: job.type },
        runs: runs.map((r) => ({ ...r, tags: runTagsOf(r.facets) })),
      })
    },
  )
