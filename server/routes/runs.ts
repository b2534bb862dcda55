import { Hono } from 'hono'
import { z } from 'zod'
import { executionParameters, parameterChanges } from '../../collectors/openlineage/run-facets.ts'
import { runTagsOf } from '../../common/tags.ts'
import type { Deps } from '../deps.ts'
import { redactJson } from '../log.ts'
import { describe } from '../openapi.ts'
import { errorBody } from '../errors.ts'
import { eventWarnings } from '../openlineage.ts'
import { validate } from '../validate.ts'

const RunParamSchema = z.object({ runId: z.string().min(1) })
const RunsQuerySchema = z.object({
  product: z.string().min(1),
  limit: z.coerce.number().int().min(1).max(200).default(10),
  /** Only the runs carrying this run tag (TagsRunFacet): `key:value`, or a key for any value. */
  tag: z.string().min(1).max(512).optional(),
})
const TimelineQuerySchema = z.object({
  history: z.coerce.number().int().min(1).max(200).default(20),
})

/**
 * GET /api/runs/:runId: a run, its job, the parameters it ran with (ExecutionParametersRunFacet,
 * secret values withheld) and, when the job's previous run carried them too, what changed since.
 */
async function runDetail(deps: Deps, runId: string): Promise<Response> {
  const found = await deps.store.runs.getRunWithPrevious(runId)
  if (!found) return Response.json(errorBody('not_found', `unknown run ${runId}`), { status: 404 })
  const { run, job, previous } = found
  const parameters = executionParameters(run.facets)
  const before = previous ? executionParameters(previous.facets) : []
  const { facets, jobId, ...fields } = run
  return Response.json({
    run: {
      ...fields,
      job: job ? { id: job.id, namespace: job.namespace, name: job.name, type: job.type } : null,
      facetNames: Object.keys(facets ?? {}).sort(),
      tags: runTagsOf(facets),
    },
    parameters,
    previousRun: previous
      ? { runId: previous.runId, state: previous.state, startedAt: previous.startedAt }
      : null,
    parameterChanges:
      previous && parameters.length > 0 && before.length > 0
        ? parameterChanges(before, parameters)
        : null,
  })
}

/**
 * GET /api/runs/:runId/events: the raw OpenLineage events of a run, in received order, each with
 * the warnings of what meshwatch could not read in it (dropped facets, by JSON path).
 */
export const runRoutes = (deps: Deps) =>
  new Hono()
    .get(
      '/',
      describe('runs', "the runs of the jobs that write a product's outputs, newest first", {
        200: 'each run with its job, the parent job (DAG, dbt invocation), duration, state and tags (only those carrying ?tag=)',
        404: 'unknown product',
      }),
      validate('query', RunsQuerySchema),
      async (c) => {
        const q = c.req.valid('query')
        if (!(await deps.store.catalog.getProduct(q.product)))
          return c.json(errorBody('not_found', `unknown product ${q.product}`), 404)
        return c.json({
          product: q.product,
          runs: await deps.store.runs.listProductRuns(q.product, q.limit, q.tag),
        })
      },
    )
    .get(
      '/:runId/timeline',
      describe('runs', 'the timeline of the DAG run (or dbt invocation) a run belongs to', {
        200: 'the root run, its steps with tries, expected times and nested dbt models, and the last runs of its job',
        404: 'unknown run',
      }),
      validate('param', RunParamSchema),
      validate('query', TimelineQuerySchema),
      async (c) => {
        const { runId } = c.req.valid('param')
        const t = await deps.store.runTimeline.runTimeline(runId, c.req.valid('query').history)
        if (!t) return c.json(errorBody('not_found', `unknown run ${runId}`), 404)
        return c.json(t)
      },
    )
    .get(
      '/:runId',
      describe('runs', 'a run, its job, the parameters it ran with and what changed since', {
        200: 'the run, its parameters (secret values withheld), the previous run and the changes',
        404: 'unknown run',
      }),
      validate('param', RunParamSchema),
      async (c) => runDetail(deps, c.req.valid('param').runId),
    )
    .get(
      '/:runId/events',
      describe('runs', 'the raw OpenLineage events of a run, in received order', {
        200: 'the events, each with the warnings of what could not be read in it',
        404: 'unknown run',
      }),
      validate('param', RunParamSchema),
      async (c) => {
        const { runId } = c.req.valid('param')
        if (!(await deps.store.runs.runExists(runId)))
          return c.json(errorBody('not_found', `unknown run ${runId}`), 404)
        // warnings are read from the event as stored; what is shown has its secrets withheld
        const events = (await deps.store.rawEvents.listRunEvents(runId)).map((e) => ({
          ...e,
          event: redactJson(e.event),
          warnings: eventWarnings(e.event),
        }))
        return c.json({ runId, events })
      },
    )
