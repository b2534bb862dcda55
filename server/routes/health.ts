import { Hono } from 'hono'
import { VERSION } from '../version.ts'

/** GET /api/health: open to all (no token), for load balancers and `meshwatch status`. */
export const healthRoutes = () =>
  new Hono().get('/', (c) => c.json({ status: 'ok', version: VERSION }))
