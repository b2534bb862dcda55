import { Hono } from 'hono'
import { listRunEvents } from '../../db/queries/raw-events.ts'
import { runExists } from '../../db/queries/runs.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { eventWarnings } from '../openlineage.ts'

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
