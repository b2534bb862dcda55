import { Hono } from 'hono'
import { nowOf, type Deps } from '../deps.ts'
import { describe } from '../openapi.ts'

/**
 * GET /api/clock: the time the server scores by — the demo's clock once the demo is loaded — so the
 * page says "3 min ago" on the same clock as the evaluations it shows.
 */
export const clockRoutes = (deps: Deps) =>
  new Hono().get(
    '/',
    describe('meta', 'the scoring clock (the demo clock once the demo is loaded)', {
      200: 'now on that clock, and whether it is the demo clock',
    }),
    (c) => c.json({ now: nowOf(deps).toISOString(), demo: deps.now !== undefined }),
  )
