import { Hono } from 'hono'
import { z } from 'zod'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { effectivePolicies, governanceViolations } from '../evaluate.ts'
import { validate } from '../validate.ts'

const GovernanceQuerySchema = z.object({
  domain: z.string().min(1).optional(),
  waived: z.enum(['true', 'false']).optional(),
})

/** Governance violations of the whole mesh (or one domain), waived ones marked. */
export const governanceRoutes = (deps: Deps) =>
  new Hono().get(
    '/',
    describe('quality', 'governance policy violations of the mesh, waived ones marked', {
      200: 'the effective policies and the violations',
    }),
    validate('query', GovernanceQuerySchema),
    async (c) => {
      const q = c.req.valid('query')
      const violations = (await governanceViolations(deps)).filter(
        (v) =>
          (q.domain === undefined || v.domain === q.domain) &&
          (q.waived === undefined || String(v.waived) === q.waived),
      )
      return c.json({ policies: effectivePolicies(deps), violations })
    },
  )
