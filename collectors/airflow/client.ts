import pRetry from 'p-retry'
import { z } from 'zod'
import { formatIssue } from '../../common/format.ts'
import { CollectorError } from '../batch.ts'
import { API, VersionSchema, type ApiVersion, type Page } from './schema.ts'
import { credentialsInUrl, splitCredentials } from './url.ts'

export type AirflowAuth = { username: string; password: string } | { token: string }

export type AirflowClientOptions = {
  url: string
  auth: AirflowAuth
  apiVersion?: ApiVersion | undefined
  fetch?: typeof fetch | undefined
  /** Per request, default 30 s. */
  timeoutMs?: number | undefined
  /** Retries of a request that failed with a network error, a timeout, 429 or 5xx; default 2. */
  retries?: number | undefined
  /** First backoff delay, doubled per retry; default 500 ms. */
  retryDelayMs?: number | undefined
  /** Page size for limit/offset pagination; default 100 (v1's cap; v2's default is 50). */
  pageSize?: number | undefined
}

export type AirflowClient = {
  readonly version: ApiVersion
  readonly api: (typeof API)[ApiVersion]
  getJson<T extends z.ZodType>(path: string, schema: T, query?: Query): Promise<z.output<T>>
  postJson<T extends z.ZodType>(path: string, schema: T, body: unknown): Promise<z.output<T>>
  /** GET every page of a limit/offset collection, to the end. */
  getAll<T>(path: string, schema: z.ZodType<Page<T>>, query?: Query): Promise<T[]>
  /** POST every page of a `page_offset`/`page_limit` batch list endpoint. */
  postAll<T>(path: string, schema: z.ZodType<Page<T>>, body: Record<string, unknown>): Promise<T[]>
}

type Query = Record<string, string | number | undefined>

class HttpStatusError extends Error {
  override name = 'HttpStatusError'
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

const MAX_PAGES = 10_000

type Answer = { status: number; statusText: string; contentType: string; text: string }

/** Why a 2xx answer to /version is not Airflow's `{ version }`, or undefined when it is. */
function unknownShape(a: Answer): string | undefined {
  const type = a.contentType.split(';')[0]?.trim() || 'no content-type'
  let json: unknown
  try {
    json = JSON.parse(a.text)
  } catch {
    return `${type}, not JSON: ${excerpt(a.text)}`
  }
  const r = VersionSchema.safeParse(json)
  if (r.success) return undefined
  const issue = r.error.issues[0]
  const where = issue?.path.length ? '' : 'the body: '
  return `JSON, but ${where}${issue ? formatIssue(issue) : 'unexpected'}: ${excerpt(a.text)}`
}

const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, ' ').trim()
  return flat.length === 0
    ? '(empty body)'
    : JSON.stringify(flat.length > 120 ? `${flat.slice(0, 120)}…` : flat)
}

/** Connects to Airflow at `url`: detects the API version (unless forced) and authenticates lazily. */
export async function createAirflowClient(opts: AirflowClientOptions): Promise<AirflowClient> {
  if (splitCredentials(opts.url).hadCredentials) {
    throw new CollectorError(credentialsInUrl(opts.url, 'the username and password as auth'))
  }
  const base = opts.url.replace(/\/+$/, '')
  const doFetch = opts.fetch ?? fetch
  const timeoutMs = opts.timeoutMs ?? 30_000
  const pageSize = opts.pageSize ?? 100
  let bearer: string | undefined = 'token' in opts.auth ? opts.auth.token : undefined

  const authMode = (version: ApiVersion): string => {
    if ('token' in opts.auth) return 'a bearer token'
    const user = `user '${opts.auth.username}'`
    return version === 'v2'
      ? `username/password via POST ${base}/auth/token as ${user}`
      : `HTTP basic auth as ${user}`
  }

  /**
   * One request with retries (network error, timeout, 429, 5xx): the answer of any other status,
   * body included. Throws CollectorError once retries are spent (429: HttpStatusError).
   */
  async function answer(url: string, init: RequestInit, what: string): Promise<Answer> {
    const attempt = async (): Promise<Answer> => {
      let res: Response
      try {
        res = await doFetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) })
      } catch (e) {
        const timedOut = e instanceof Error && e.name === 'TimeoutError'
        throw new Error(timedOut ? `timed out after ${timeoutMs} ms` : String(e), { cause: e })
      }
      if (res.status === 429 || res.status >= 500) {
        await res.body?.cancel()
        throw new HttpStatusError(res.status, `HTTP ${res.status} ${res.statusText}`.trim())
      }
      const contentType = res.headers.get('content-type') ?? ''
      return { status: res.status, statusText: res.statusText, contentType, text: await res.text() }
    }
    try {
      return await pRetry(attempt, {
        retries: opts.retries ?? 2,
        minTimeout: opts.retryDelayMs ?? 500,
        factor: 2,
        randomize: false,
      })
    } catch (e) {
      if (e instanceof HttpStatusError && e.status >= 400 && e.status < 500) throw e
      throw new CollectorError(`Airflow ${what} failed: ${e instanceof Error ? e.message : e}`, {
        cause: e,
      })
    }
  }

  /** The JSON of a 2xx answer; HttpStatusError for any other status. */
  async function send(url: string, init: RequestInit, what: string): Promise<unknown> {
    const a = await answer(url, init, what)
    if (a.status < 200 || a.status >= 300) {
      throw new HttpStatusError(a.status, `HTTP ${a.status} ${a.statusText}`.trim())
    }
    try {
      return JSON.parse(a.text)
    } catch (e) {
      throw new CollectorError(`Airflow ${what}: response is not JSON`, { cause: e })
    }
  }

  const version = opts.apiVersion ?? (await detectVersion())
  const api = API[version]

  /**
   * GET /api/v2/version, then /api/v1/version. A 401/403 still tells the version. When neither
   * answers in the published shape, the error tells "no API here" (404s) from "answered, but not
   * in a shape meshwatch knows" (a 2xx HTML page, JSON without `version`), naming each answer.
   */
  async function detectVersion(): Promise<ApiVersion> {
    const seen: string[] = []
    let answered = false
    for (const v of ['v2', 'v1'] as const) {
      const path = `${API[v].prefix}/version`
      const url = `${base}${path}`
      let a: Answer
      try {
        a = await answer(url, { method: 'GET' }, `GET ${url}`)
      } catch (e) {
        if (!(e instanceof HttpStatusError)) throw e
        seen.push(`GET ${path}: HTTP ${e.status}`)
        continue
      }
      // the endpoint exists but wants credentials: that is still this version
      if (a.status === 401 || a.status === 403) return v
      if (a.status < 200 || a.status >= 300) {
        seen.push(`GET ${path}: HTTP ${a.status}`)
        continue
      }
      const unknown = unknownShape(a)
      if (unknown === undefined) return v
      answered = true
      seen.push(`GET ${path}: HTTP ${a.status} ${unknown}`)
    }
    if (answered) {
      throw new CollectorError(
        `${base} answered, but not in a shape meshwatch knows as the Airflow REST API version: ${seen.join('; ')}`,
      )
    }
    const hint = /\/api\/v\d+$/.test(base)
      ? `; drop the trailing ${/\/api\/v\d+$/.exec(base)?.[0]} from the URL`
      : '; give the root URL of the Airflow API server (Airflow 3) or webserver (Airflow 2)'
    throw new CollectorError(`no Airflow REST API at ${base}: ${seen.join('; ')}${hint}`)
  }

  function authFailed(status: number, cause: unknown): CollectorError {
    return new CollectorError(
      `Airflow at ${base} refused the credentials (HTTP ${status}) using ${authMode(version)}`,
      { cause },
    )
  }

  async function authHeader(): Promise<string> {
    if ('token' in opts.auth) return `Bearer ${opts.auth.token}`
    if (version === 'v1') {
      const { username, password } = opts.auth
      return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`
    }
    if (bearer) return `Bearer ${bearer}`
    const url = `${base}/auth/token`
    const body = JSON.stringify({ username: opts.auth.username, password: opts.auth.password })
    const init = { method: 'POST', body, headers: { 'content-type': 'application/json' } }
    let json: unknown
    try {
      json = await send(url, init, `POST ${url}`)
    } catch (e) {
      if (e instanceof HttpStatusError) throw authFailed(e.status, e)
      throw e
    }
    bearer = parseAt(
      z.object({ access_token: z.string().min(1) }),
      json,
      `POST ${url}`,
    ).access_token
    return `Bearer ${bearer}`
  }

  async function call(method: 'GET' | 'POST', path: string, query?: Query, body?: unknown) {
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) qs.set(k, String(v))
    const url = `${base}${api.prefix}${path}${qs.size ? `?${qs}` : ''}`
    const what = `${method} ${url}`
    const headers: Record<string, string> = { accept: 'application/json' }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const init = () => ({
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    try {
      headers.authorization = await authHeader()
      return { json: await send(url, init(), what), what }
    } catch (e) {
      if (!(e instanceof HttpStatusError)) throw e
      if (e.status === 401 && bearer && !('token' in opts.auth)) {
        bearer = undefined // an expired token: log in once more
        headers.authorization = await authHeader()
        try {
          return { json: await send(url, init(), what), what }
        } catch (e2) {
          if (e2 instanceof HttpStatusError) throw statusError(e2, what)
          throw e2
        }
      }
      throw statusError(e, what)
    }
  }

  function statusError(e: HttpStatusError, what: string): CollectorError {
    if (e.status === 401 || e.status === 403) return authFailed(e.status, e)
    return new CollectorError(`Airflow ${what} failed: ${e.message}`, { cause: e })
  }

  async function collect<T>(
    fetchPage: (offset: number, limit: number) => Promise<Page<T>>,
  ): Promise<T[]> {
    const all: T[] = []
    for (let n = 0; n < MAX_PAGES; n++) {
      const { items, total } = await fetchPage(all.length, pageSize)
      all.push(...items)
      const done = total === undefined ? items.length < pageSize : all.length >= total
      if (done || items.length === 0) return all
    }
    throw new CollectorError(`Airflow pagination did not end after ${MAX_PAGES} pages`)
  }

  return {
    version,
    api,
    async getJson(path, schema, query) {
      const { json, what } = await call('GET', path, query)
      return parseAt(schema, json, what)
    },
    async postJson(path, schema, body) {
      const { json, what } = await call('POST', path, undefined, body)
      return parseAt(schema, json, what)
    },
    getAll(path, schema, query) {
      return collect(async (offset, limit) => {
        const { json, what } = await call('GET', path, { ...query, limit, offset })
        return parseAt(schema, json, what)
      })
    },
    postAll(path, schema, body) {
      return collect(async (offset, limit) => {
        const page = { ...body, page_offset: offset, page_limit: limit }
        const { json, what } = await call('POST', path, undefined, page)
        return parseAt(schema, json, what)
      })
    },
  }
}

/** Validates one response; the error names the endpoint and the offending field. */
export function parseAt<T extends z.ZodType>(schema: T, json: unknown, what: string): z.output<T> {
  const r = schema.safeParse(json)
  if (r.success) return r.data
  throw new CollectorError(`Airflow ${what}: unexpected response\n${z.prettifyError(r.error)}`, {
    cause: r.error,
  })
}
