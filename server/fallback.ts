import type { ErrorHandler, Handler, MiddlewareHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { CollectorError } from '../collectors/batch.ts'
import { StoreBusyError, storeErrorOf } from '../db/errors.ts'
import { StoreUnsupportedError } from '../db/store.ts'
import { ForeignWriteError } from '../db/queries/authorize.ts'
import type { Logger } from './deps.ts'
import { ApiError, errorBody } from './errors.ts'
import { InvalidBatchError } from './ingest.ts'
import { redact } from './log.ts'

interface RouteInfo {
  method: string
  path: string
}

const patternOf = (path: string): RegExp =>
  new RegExp(
    `^${path
      .split('/')
      .map((seg) => {
        if (seg === '*') return '.*'
        if (seg.startsWith(':')) return seg.endsWith('?') ? '[^/]*' : '[^/]+'
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
      })
      .join('/')}/?$`,
  )

/** 405 with `Allow` when the path exists for other methods, else 404; both in the API's JSON shape. */
export function notFoundOrMethod(routes: () => readonly RouteInfo[]): NotFoundHandler {
  return (c) => {
    const allowed = new Set<string>()
    for (const r of routes()) {
      if (r.method === 'ALL' || r.path.endsWith('*')) continue
      if (patternOf(r.path).test(c.req.path)) allowed.add(r.method)
    }
    if (allowed.size > 0 && !allowed.has(c.req.method)) {
      c.header('Allow', [...allowed].sort().join(', '))
      return c.json(
        errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}`),
        405,
      )
    }
    return c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404)
  }
}

/**
 * GET of a page path when the page was never built (no web/dist): a small HTML page (404) that
 * says how to build it, instead of the API's JSON 404. The API itself keeps working. The page
 * does not show where the server looked (that is in the startup log).
 */
export function pageNotBuilt(): Handler {
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>meshwatch: the web page is not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>meshwatch: the web page is not built</h1>
<p>The server is running and its API answers under <a href="/api/health"><code>/api/</code></a>,
but its web page was never built (there is no <code>web/dist</code>).</p>
<p>Build it in the meshwatch checkout, then restart the server:</p>
<pre>npm run build:web</pre>
<p>(<code>npm start</code> builds the page and starts the server in one step.)</p>
</body>
</html>
`
  return (c) => c.html(html, 404)
}

/**
 * The app's one error path: every refused request is answered here, in the API's JSON shape.
 * ApiError (`fail`, validators, body limits), an invalid batch (422), a write to another domain's
 * rows (403), a bad collector input (422) and Hono's own HTTPExceptions (re-shaped to JSON);
 * a busy store (StoreBusyError) is a 503 to retry, what a PostgreSQL store cannot do yet
 * (StoreUnsupportedError, #16) a 501 naming it, and anything else is a generic 500 that is logged
 * (redacted, no stack in the response).
 */
export function handleError(log: Logger): ErrorHandler {
  return (err, c) => {
    if (err instanceof ApiError)
      return c.json(errorBody(err.code, err.message, err.path), err.status)
    if (err instanceof InvalidBatchError)
      return c.json(errorBody('invalid_batch', err.message, err.path), 422)
    if (err instanceof ForeignWriteError)
      return c.json(errorBody('forbidden', err.denial.message, err.denial.path), 403)
    if (err instanceof HTTPException) {
      if (err.res?.headers.get('content-type')?.includes('application/json'))
        return err.getResponse()
      return c.json(
        errorBody(codeOf(err.status), redact(err.message || 'request refused')),
        err.status as ContentfulStatusCode,
      )
    }
    if (err instanceof CollectorError) return c.json(errorBody('invalid_input', err.message), 422)
    if (storeErrorOf(err) instanceof StoreBusyError) {
      c.header('Retry-After', '1')
      return c.json(errorBody('busy', 'the store is busy; retry shortly'), 503)
    }
    if (err instanceof StoreUnsupportedError) {
      log.warn('not on PostgreSQL yet', { method: c.req.method, path: c.req.path, what: err.what })
      return c.json(errorBody('not_implemented', err.message), 501)
    }
    log.error('unhandled error', { method: c.req.method, path: c.req.path, error: describe(err) })
    return c.json(errorBody('internal', 'internal error'), 500)
  }
}

const codeOf = (status: number): string =>
  ({
    400: 'bad_request',
    401: 'unauthorized',
    403: 'forbidden',
    404: 'not_found',
    413: 'payload_too_large',
  })[status] ?? (status >= 500 ? 'internal' : 'bad_request')

const describe = (err: Error): string => `${err.name}: ${err.message}`

/**
 * Error bodies may quote the request (a JSON parse error shows a snippet of it): redact tokens,
 * Slack webhook URLs and URL passwords before they leave, as the logger does.
 */
export const redactErrors: MiddlewareHandler = async (c, next) => {
  await next()
  if (c.res.status < 400 || !c.res.headers.get('content-type')?.includes('application/json')) return
  const text = await c.res.clone().text()
  const clean = redact(text)
  if (clean === text) return
  const headers = new Headers(c.res.headers)
  headers.delete('content-length')
  c.res = new Response(clean, { status: c.res.status, headers })
}
