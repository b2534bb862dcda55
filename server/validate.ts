import { zValidator } from '@hono/zod-validator'
import type { ValidationTargets } from 'hono'
import type { z } from 'zod'
import { describeIssues, fail } from './errors.ts'

/** zValidator that refuses bad input with a 400 naming the field, answered by the app's onError. */
export const validate = <T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) =>
  zValidator(target, schema, (result) => {
    if (!result.success) {
      const { path, message } = describeIssues(result.error)
      fail(400, 'invalid_request', `${target} ${message}`, path)
    }
  })
