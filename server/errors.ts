import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import { formatIssues, formatPath, type IssueLike } from '../common/format.ts'

/** The one JSON error shape of the API (and of its OpenAPI document). */
export const ApiErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    path: z.string().optional().describe('the JSON path of the offending field'),
  }),
})
export type ApiErrorBody = z.infer<typeof ApiErrorSchema>

export const errorBody = (code: string, message: string, path?: string): ApiErrorBody => ({
  error: path === undefined ? { code, message } : { code, message, path },
})

/** A refused request, thrown from anywhere under a route; the app's one onError answers it. */
export class ApiError extends Error {
  override name = 'ApiError'
  readonly status: ContentfulStatusCode
  readonly code: string
  readonly path: string | undefined
  constructor(
    status: ContentfulStatusCode,
    code: string,
    message: string,
    path?: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.status = status
    this.code = code
    this.path = path
  }
}

/** Throws a 4xx/5xx that the app's onError turns into the JSON error shape. */
export function fail(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  path?: string,
): never {
  throw new ApiError(status, code, message, path)
}

/** `$.outputs[0].name` style path of the first zod issue, and all issues as one sentence. */
export function describeIssues(error: { issues: readonly IssueLike[] }): {
  path: string
  message: string
} {
  const first = error.issues[0]
  return { path: first ? formatPath(first.path) : '$', message: formatIssues(error.issues) }
}
