import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import {
  createToken,
  hasTokens,
  hashToken,
  listTokens,
  revokeToken,
  TOKEN_PREFIX,
  verifyToken,
} from '../../db/queries/tokens.ts'
import { apiTokens } from '../../db/schema.ts'

const NOW = '2026-03-01T12:00:00.000Z'

describe('API tokens in the store', () => {
  it('returns the plain token once and stores only its sha256', () => {
    const db = openDb(':memory:')
    const { token, info } = createToken(db, {
      name: 'ci',
      scope: 'ingest',
      domain: 'sales',
      now: NOW,
    })
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true)
    expect(token.length).toBeGreaterThan(40)
    const [row] = db.select().from(apiTokens).all()
    expect(row?.hash).toBe(hashToken(token))
    expect(JSON.stringify(db.$client.prepare('select * from api_tokens').all())).not.toContain(
      token,
    )
    expect(info).toEqual({
      id: row?.id,
      name: 'ci',
      scope: 'ingest',
      domain: 'sales',
      createdAt: NOW,
      expiresAt: null,
      revokedAt: null,
    })
    expect(Object.keys(listTokens(db)[0] ?? {})).not.toContain('hash')
  })

  it('gives every token a different value', () => {
    const db = openDb(':memory:')
    const a = createToken(db, { name: 'a', scope: 'read', now: NOW })
    const b = createToken(db, { name: 'a', scope: 'read', now: NOW })
    expect(a.token).not.toBe(b.token)
  })

  it('verifies a live token and says why another one is refused', () => {
    const db = openDb(':memory:')
    const live = createToken(db, { name: 'live', scope: 'admin', now: NOW })
    const expiring = createToken(db, {
      name: 'expiring',
      scope: 'read',
      expiresAt: '2026-03-02T00:00:00.000Z',
      now: NOW,
    })
    const revoked = createToken(db, { name: 'revoked', scope: 'read', now: NOW })
    expect(revokeToken(db, revoked.info.id, NOW)).toBe(true)

    expect(verifyToken(db, live.token, NOW)).toEqual({ ok: true, info: live.info })
    expect(verifyToken(db, expiring.token, '2026-03-01T23:59:59.999Z').ok).toBe(true)
    // Expiry is exclusive: at expiresAt the token is already refused.
    expect(verifyToken(db, expiring.token, '2026-03-02T00:00:00.000Z')).toEqual({
      ok: false,
      reason: 'expired',
    })
    expect(verifyToken(db, revoked.token, NOW)).toEqual({ ok: false, reason: 'revoked' })
  })

  it.each([
    { name: 'a token never issued', token: `${TOKEN_PREFIX}${'A'.repeat(43)}` },
    { name: 'a value without the prefix', token: 'A'.repeat(46) },
    { name: 'an over-long value', token: `${TOKEN_PREFIX}${'A'.repeat(300)}` },
    { name: 'the empty string', token: '' },
  ])('refuses $name as unknown', ({ token }) => {
    const db = openDb(':memory:')
    createToken(db, { name: 'x', scope: 'admin', now: NOW })
    expect(verifyToken(db, token, NOW)).toEqual({ ok: false, reason: 'unknown' })
  })

  it('refuses the hash itself presented as a token', () => {
    const db = openDb(':memory:')
    const { token } = createToken(db, { name: 'x', scope: 'admin', now: NOW })
    expect(verifyToken(db, `${TOKEN_PREFIX}${hashToken(token)}`, NOW).ok).toBe(false)
    expect(verifyToken(db, hashToken(token), NOW).ok).toBe(false)
  })

  it('keeps the first revocation time when revoked twice, and says false for an unknown id', () => {
    const db = openDb(':memory:')
    const { info } = createToken(db, { name: 'x', scope: 'read', now: NOW })
    revokeToken(db, info.id, '2026-03-02T00:00:00.000Z')
    revokeToken(db, info.id, '2026-03-09T00:00:00.000Z')
    expect(listTokens(db)[0]?.revokedAt).toBe('2026-03-02T00:00:00.000Z')
    expect(revokeToken(db, info.id + 100, NOW)).toBe(false)
  })

  it('still has tokens after the last one is revoked, so the API does not fall open', () => {
    const db = openDb(':memory:')
    expect(hasTokens(db)).toBe(false)
    const { info } = createToken(db, { name: 'only', scope: 'admin', now: NOW })
    revokeToken(db, info.id, NOW)
    expect(hasTokens(db)).toBe(true)
  })

  it('lists tokens newest first', () => {
    const db = openDb(':memory:')
    for (const name of ['first', 'second', 'third'])
      createToken(db, { name, scope: 'read', now: NOW })
    expect(listTokens(db).map((t) => t.name)).toEqual(['third', 'second', 'first'])
  })

  it('grants only read to a stored row whose scope it does not know', () => {
    const db = openDb(':memory:')
    const { token, info } = createToken(db, { name: 'x', scope: 'admin', now: NOW })
    db.$client.prepare('update api_tokens set scope = ? where id = ?').run('superuser', info.id)
    const check = verifyToken(db, token, NOW)
    expect(check.ok && check.info.scope).toBe('read')
  })
})
