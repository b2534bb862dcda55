import { Hono } from 'hono'
import { z } from 'zod'
import { describe } from '../openapi.ts'
import { VERSION } from '../version.ts'

const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() })

/** GET /api/health: open to all (no token), for load balancers and `meshwatch status`. */
export const healthRoutes = () =>
  new Hono().get(
    '/',
    describe(
      'meta',
      'liveness',
      { 200: { description: 'the server is up', schema: HealthSchema } },
      { open: true },
    ),
    (c) =>
      c.json({ status: 'ok' as const, version: VERSION } satisfies z.infer<typeof HealthSchema>),
  )
