import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** The one JSON error shape of the API. */
export interface ApiErrorBody {
  error: { code: string; message: string; path?: string }
}

export const errorBody = (code: string, message: string, path?: string): ApiErrorBody => ({
  error: path === undefined ? { code, message } : { code, message, path },
})

/** Throws a 4xx/5xx that the app's onError turns into the JSON error shape. */
export function fail(
  status: ContentfulStatusCode,
  code: string,
  message: string,
  path?: string,
): never {
  throw new HTTPException(status, {
    res: new Response(JSON.stringify(errorBody(code, message, path)), {
      status,
      headers: { 'content-type': 'application/json' },
    }),
  })
}

/** `$.outputs[0].name` style path of the first zod issue, and all issues as one sentence. */
export function describeIssues(error: {
  issues: readonly { path: readonly PropertyKey[]; message: string }[]
}): { path: string; message: string } {
  const first = error.issues[0]
  const path = first ? formatPath(first.path) : '$'
  const message = error.issues
    .slice(0, 5)
    .map((i) => `${formatPath(i.path)}: ${i.message}`)
    .join('; ')
  return { path, message }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : `${acc}.${String(p)}`),
    '$',
  )
}
