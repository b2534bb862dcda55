import type { Context, MiddlewareHandler } from 'hono'
import type { TokenScope } from '../db/queries/tokens.ts'
import { wallNowOf, type Deps } from './deps.ts'
import { errorBody } from './errors.ts'
import { isIncidentAction, SLACK_ACTIONS_PATH } from './incidents/paths.ts'

export const AUTH_MODES = ['auto', 'required', 'off'] as const
export type AuthMode = (typeof AUTH_MODES)[number]

export interface AuthSettings {
  /** auto (default): required as soon as any token exists; required: always; off: never. */
  mode: AuthMode
  /** GET/HEAD without a token, for a public web view. Writes still need a token. */
  publicRead: boolean
}

export const DEFAULT_AUTH: AuthSettings = { mode: 'auto', publicRead: false }

/** Who is calling: a token, or nobody when auth is off / the route is public. */
export interface Principal {
  tokenId: number | null
  scope: TokenScope
  /** Set for a domain-scoped ingest token: it may only write that domain's datasets and jobs. */
  domain: string | null
}

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal
  }
}

/** Routes a remote collector or OpenLineage emitter POSTs to; every other write needs admin. */
export const INGEST_PATHS: readonly string[] = [
  '/api/batches',
  '/api/v1/lineage',
  '/api/v1/lineage/batch',
  '/api/contracts',
]
const OPEN_PATHS: readonly string[] = ['/api/health']
const RANK: Record<TokenScope, number> = { read: 0, ingest: 1, admin: 2 }

const UNRESTRICTED: Principal = { tokenId: null, scope: 'admin', domain: null }
const PUBLIC_READER: Principal = { tokenId: null, scope: 'read', domain: null }

export function requiredScope(method: string, path: string): TokenScope {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return 'read'
  const p = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path
  // A domain's token acts on its incidents; the route checks the incident's domain.
  return method === 'POST' && (INGEST_PATHS.includes(p) || isIncidentAction(p)) ? 'ingest' : 'admin'
}

/**
 * Bearer-token authentication and scope checks for /api/*. OpenLineage clients' `api_key` auth
 * sends `Authorization: Bearer <key>`, so the same tokens work for them.
 */
export function authenticate(deps: Deps): MiddlewareHandler {
  const settings = deps.auth ?? DEFAULT_AUTH
  return async (c, next) => {
    if (OPEN_PATHS.includes(c.req.path) || c.req.path === SLACK_ACTIONS_PATH) return next()
    const enforced =
      settings.mode === 'required' ||
      (settings.mode === 'auto' && (await deps.store.tokens.hasTokens()))
    if (!enforced) {
      c.set('principal', UNRESTRICTED)
      return next()
    }
    const need = requiredScope(c.req.method, c.req.path)
    const header = c.req.header('authorization')
    if (header === undefined || header.trim() === '') {
      if (need === 'read' && settings.publicRead) {
        c.set('principal', PUBLIC_READER)
        return next()
      }
      return unauthorized(c, 'a token is required: send Authorization: Bearer <token>')
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header)
    if (!m?.[1]) return unauthorized(c, 'the Authorization header must be "Bearer <token>"', true)
    // Never the demo clock: it runs at the recording's time, where an expired token is still young.
    const check = await deps.store.tokens.verifyToken(m[1], wallNowOf(deps).toISOString())
    if (!check.ok) {
      const why = { unknown: 'is not valid', revoked: 'was revoked', expired: 'has expired' }[
        check.reason
      ]
      return unauthorized(c, `the token ${why}`, true)
    }
    const { info } = check
    if (RANK[info.scope] < RANK[need]) {
      c.header(
        'WWW-Authenticate',
        `Bearer realm="meshwatch", error="insufficient_scope", scope="${need}"`,
      )
      return c.json(
        errorBody(
          'forbidden',
          `${c.req.method} ${c.req.path} needs a ${need} token; this one is ${info.scope}`,
        ),
        403,
      )
    }
    c.set('principal', { tokenId: info.id, scope: info.scope, domain: info.domain })
    return next()
  }
}

function unauthorized(c: Context, message: string, invalid = false) {
  c.header(
    'WWW-Authenticate',
    `Bearer realm="meshwatch"${invalid ? ', error="invalid_token"' : ''}`,
  )
  return c.json(errorBody('unauthorized', message), 401)
}
