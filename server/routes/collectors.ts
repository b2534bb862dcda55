import { Hono } from 'hono'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'

/** What each polling collector last did: its cursor, last success, and last error (never secrets). */
export const collectorRoutes = (deps: Deps) =>
  new Hono().get(
    '/',
    describe('collectors', 'what each polling collector last did', {
      200: 'each collector’s cursor, last attempt, last success and last error (never secrets)',
    }),
    async (c) =>
      c.json({
        collectors: (await deps.store.collectors.listCollectorStates()).map((s) => ({
          name: s.name,
          cursor: s.cursor,
          lastAttemptAt: s.lastAttemptAt,
          lastSuccessAt: s.lastSuccessAt,
          lastError: s.lastError,
          ok: s.lastError === null,
        })),
      }),
  )
