import { Hono } from 'hono'
import { z } from 'zod'
import type { Store } from '../../db/store.ts'
import type { Deps } from '../deps.ts'
import { errorBody } from '../errors.ts'
import { describe } from '../openapi.ts'
import { VERSION } from '../version.ts'

const HealthSchema = z.object({ status: z.literal('ok'), version: z.string() })

/** How long the store may take to answer before the replica reports itself unhealthy. */
const STORE_TIMEOUT_MS = 3_000

/** Whether the store answers a trivial query within STORE_TIMEOUT_MS. */
async function storeAnswers(store: Store): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), STORE_TIMEOUT_MS)
  })
  try {
    return await Promise.race([store.ping().then(() => true), timeout])
  } catch {
    return false
  } finally {
    clearTimeout(timer)
  }
}

/**
 * GET /api/health: open to all (no token), for load balancers and `meshwatch status`. 200 while
 * the store answers; 503 when it does not (a replica that cannot reach PostgreSQL takes no traffic).
 */
export const healthRoutes = (deps: Pick<Deps, 'store'>) =>
  new Hono().get(
    '/',
    describe(
      'meta',
      'liveness and readiness: the server is up and its store answers',
      {
        200: { description: 'the server is up and its store answers', schema: HealthSchema },
        503: 'the store does not answer (PostgreSQL unreachable): take this replica out of rotation',
      },
      { open: true },
    ),
    async (c) => {
      if (!(await storeAnswers(deps.store)))
        return c.json(
          errorBody(
            'store_unavailable',
            `the store did not answer a query (within ${STORE_TIMEOUT_MS / 1000} s): this replica cannot serve`,
          ),
          503,
        )
      return c.json({ status: 'ok' as const, version: VERSION } satisfies z.infer<
        typeof HealthSchema
      >)
    },
  )
