import { createHash, randomBytes } from 'node:crypto'
import { desc, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { apiTokens } from '../schema.ts'

export const TOKEN_SCOPES = ['read', 'ingest', 'admin'] as const
export type TokenScope = (typeof TOKEN_SCOPES)[number]

/** Recognisable by secret scanners and by log redaction (server/log.ts). */
export const TOKEN_PREFIX = 'mw_'

export interface TokenInfo {
  id: number
  name: string
  scope: TokenScope
  domain: string | null
  createdAt: string
  expiresAt: string | null
  revokedAt: string | null
}

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex')

const isScope = (s: string): s is TokenScope => (TOKEN_SCOPES as readonly string[]).includes(s)

function toInfo(row: typeof apiTokens.$inferSelect): TokenInfo {
  // A row with a scope we do not know grants nothing rather than guessing.
  const scope = isScope(row.scope) ? row.scope : 'read'
  const { hash: _hash, ...rest } = row
  return { ...rest, scope }
}

/** Creates a token; the plain value is returned once and only its sha256 is stored. */
export function createToken(
  db: Db,
  opts: {
    name: string
    scope: TokenScope
    domain?: string | undefined
    expiresAt?: string | undefined
    now: string
  },
): { token: string; info: TokenInfo } {
  // 32 random bytes: 256 bits, so a plain sha256 (no salt, no KDF) is enough to store it.
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`
  const row = db
    .insert(apiTokens)
    .values({
      name: opts.name,
      hash: hashToken(token),
      scope: opts.scope,
      domain: opts.domain ?? null,
      createdAt: opts.now,
      expiresAt: opts.expiresAt ?? null,
    })
    .returning()
    .get()
  return { token, info: toInfo(row) }
}

export function listTokens(db: Db): TokenInfo[] {
  return db.select().from(apiTokens).orderBy(desc(apiTokens.id)).all().map(toInfo)
}

/** Marks a token revoked; false when there is no such token. Revoking twice keeps the first time. */
export function revokeToken(db: Db, id: number, now: string): boolean {
  const r = db
    .update(apiTokens)
    .set({ revokedAt: sql`coalesce(${apiTokens.revokedAt}, ${now})` })
    .where(eq(apiTokens.id, id))
    .run()
  return r.changes > 0
}

/** Any token ever created (revoked and expired ones included): revoking the last one must not open the API. */
export function hasTokens(db: Db): boolean {
  return db.select({ id: apiTokens.id }).from(apiTokens).limit(1).get() !== undefined
}

export type TokenCheck =
  { ok: true; info: TokenInfo } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' }

/** Looks a presented token up by its hash and says whether it may be used at `now`. */
export function verifyToken(db: Db, token: string, now: string): TokenCheck {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 256) return { ok: false, reason: 'unknown' }
  const row = db
    .select()
    .from(apiTokens)
    .where(eq(apiTokens.hash, hashToken(token)))
    .get()
  if (!row) return { ok: false, reason: 'unknown' }
  if (row.revokedAt !== null) return { ok: false, reason: 'revoked' }
  if (row.expiresAt !== null && row.expiresAt <= now) return { ok: false, reason: 'expired' }
  return { ok: true, info: toInfo(row) }
}
