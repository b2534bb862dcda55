import { zValidator } from '@hono/zod-validator'
import type { ValidationTargets } from 'hono'
import type { z } from 'zod'
import { describeIssues, errorBody } from './errors.ts'

/** zValidator answering with the API's JSON error shape (400, naming the field). */
export const validate = <T extends z.ZodType, Target extends keyof ValidationTargets>(
  target: Target,
  schema: T,
) =>
  zValidator(target, schema, (result, c) => {
    if (!result.success) {
      const { path, message } = describeIssues(result.error)
      return c.json(errorBody('invalid_request', `${target} ${message}`, path), 400)
    }
    return undefined
  })
