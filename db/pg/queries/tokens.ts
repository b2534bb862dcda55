import { randomBytes } from 'node:crypto'
import type * as lite from '../../queries/tokens.ts'
import {
  hashToken,
  TOKEN_PREFIX,
  TOKEN_SCOPES,
  type TokenInfo,
  type TokenScope,
} from '../../queries/tokens.ts'
import type { PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { apiTokens } from '../schema.ts'

type TokenRow = typeof apiTokens.$inferSelect

const TOKEN = columnsOf(apiTokens)

const isScope = (s: string): s is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(s)

// As the SQLite module reads a row: a scope we do not know grants nothing rather than guessing.
function toInfo(row: TokenRow): TokenInfo {
  const { hash: _hash, ...rest } = row
  return { ...rest, scope: isScope(row.scope) ? row.scope : 'read' }
}

export const tokens = {
  async createToken(q, opts) {
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
    const r = await q.query<TokenRow>(
      `insert into api_tokens (name, hash, scope, domain, created_at, expires_at)
       values ($1, $2, $3, $4, $5, $6) returning ${TOKEN}`,
      [
        opts.name,
        hashToken(token),
        opts.scope,
        opts.domain ?? null,
        opts.now,
        opts.expiresAt ?? null,
      ],
    )
    return { token, info: toInfo(r.rows[0]!) }
  },

  async listTokens(q) {
    const r = await q.query<TokenRow>(`select ${TOKEN} from api_tokens order by id desc`)
    return r.rows.map(toInfo)
  },

  async revokeToken(q, id, now) {
    const r = await q.query(
      `update api_tokens set revoked_at = coalesce(revoked_at, $2) where id = $1`,
      [id, now],
    )
    return (r.rowCount ?? 0) > 0
  },

  async hasTokens(q) {
    const r = await q.query('select 1 from api_tokens limit 1')
    return r.rows.length > 0
  },

  async verifyToken(q, token, now) {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 256)
      return { ok: false, reason: 'unknown' }
    const r = await q.query<TokenRow>(`select ${TOKEN} from api_tokens where hash = $1`, [
      hashToken(token),
    ])
    const row = r.rows[0]
    if (!row) return { ok: false, reason: 'unknown' }
    if (row.revokedAt !== null) return { ok: false, reason: 'revoked' }
    if (row.expiresAt !== null && row.expiresAt <= now) return { ok: false, reason: 'expired' }
    return { ok: true, info: toInfo(row) }
  },
} satisfies PgModule<typeof lite>
