import type { ValidationTargets } from 'hono'
import { validator } from 'hono-openapi'
import type { z } from 'zod'
import { describeIssues, fail } from './errors.ts'

/**
 * A route's input check: the zod schema it validates with is the one the OpenAPI document
 * describes (hono-openapi's validator). Bad input is a 400 naming the field, thrown to the app's
 * onError.
 */
export const validate = <T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) =>
  validator(target, schema, (result) => {
    if (!result.success) {
      const { path, message } = describeIssues({
        issues: result.error.map((i) => ({
          message: i.message,
          path: (i.path ?? []).map((p) => (typeof p === 'object' ? p.key : p)),
        })),
      })
      fail(400, 'invalid_request', `${target} ${message}`, path)
    }
  })
