import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { admin as pgAdmin } from '../../db/pg/queries/admin.ts'
import { tokens as pgTokens } from '../../db/pg/queries/tokens.ts'
import * as liteAdmin from '../../db/queries/admin.ts'
import * as liteTokens from '../../db/queries/tokens.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'
import { createDatabase } from './helpers.ts'

// db/queries/tokens.ts + admin.ts and their PostgreSQL modules: API tokens on empty stores, the
// admin reads on the demo's bad day and on empty stores, answers compared.

type T = typeof pgTokens
type A = typeof pgAdmin
let demo: { db: Db; pool: pg.Pool }
let empty: { db: Db; pool: pg.Pool }
let tokens: { sqlite: Bound<T>; pg: Bound<T> }

beforeAll(async () => {
  demo = await demoOnBoth()
  empty = { db: openDb(':memory:'), pool: await openPgPool(await createDatabase()) }
  tokens = { sqlite: bindSqlite<T>(liteTokens, empty.db), pg: bindPg(pgTokens, empty.pool) }
})
afterAll(async () => {
  for (const s of [demo, empty]) {
    closeDb(s.db)
    await s.pool.end()
  }
})

const T0 = '2026-12-01T00:00:00.000Z'
const T1 = '2026-12-02T00:00:00.000Z'

describe('API tokens on both engines', () => {
  it('create, list, verify and revoke alike (each engine its own random token)', async () => {
    expect(await onBoth(tokens, (m) => m.hasTokens())).toBe(false)
    const made = { sqlite: [] as string[], pg: [] as string[] }
    for (const opts of [
      { name: 'ci', scope: 'ingest' as const, domain: 'sales', now: T0 },
      { name: 'ro', scope: 'read' as const, now: T0, expiresAt: T1 },
      { name: 'root', scope: 'admin' as const, now: T0 },
    ]) {
      const info = await onBoth(tokens, async (m) => {
        const { token, info } = await m.createToken(opts)
        ;(m === tokens.sqlite ? made.sqlite : made.pg).push(token)
        expect(token).toMatch(/^mw_[\w-]{43}$/)
        return info
      })
      expect(info).toMatchObject({ name: opts.name, scope: opts.scope, revokedAt: null })
    }
    expect(await onBoth(tokens, (m) => m.hasTokens())).toBe(true)
    expect((await onBoth(tokens, (m) => m.listTokens())).map((t) => t.name)).toEqual([
      'root',
      'ro',
      'ci',
    ])
    const verify = (token: (e: typeof made.sqlite) => string, at: string) =>
      onBoth(tokens, (m) => m.verifyToken(token(m === tokens.sqlite ? made.sqlite : made.pg), at))
    expect(await verify((t) => t[0]!, T0)).toMatchObject({ ok: true, info: { domain: 'sales' } })
    expect(await verify((t) => t[1]!, T1)).toEqual({ ok: false, reason: 'expired' })
    expect(await verify(() => 'mw_nope', T0)).toEqual({ ok: false, reason: 'unknown' })
    expect(await verify(() => 'not-a-token', T0)).toEqual({ ok: false, reason: 'unknown' })
    const root = (await tokens.sqlite.listTokens())[0]!
    expect(await onBoth(tokens, (m) => m.revokeToken(root.id, T0))).toBe(true)
    expect(await onBoth(tokens, (m) => m.revokeToken(root.id, T1))).toBe(true)
    expect(await onBoth(tokens, (m) => m.revokeToken(999, T1))).toBe(false)
    expect(await verify((t) => t[2]!, T1)).toEqual({ ok: false, reason: 'revoked' })
    expect((await onBoth(tokens, (m) => m.listTokens()))[0]!.revokedAt).toBe(T0)
    // a scope the code does not know grants nothing more than read
    await empty.pool.query("update api_tokens set scope = 'superuser' where name = 'ci'")
    empty.db.$client.prepare("update api_tokens set scope = 'superuser' where name = 'ci'").run()
    expect((await onBoth(tokens, (m) => m.listTokens())).at(-1)?.scope).toBe('read')
  })
})

describe('admin reads on both engines', () => {
  const engines = (s: { db: Db; pool: pg.Pool }) => ({
    sqlite: bindSqlite<A>(liteAdmin, s.db),
    pg: bindPg(pgAdmin, s.pool),
  })

  it('count the demo store and an empty one alike', async () => {
    const d = engines(demo)
    const e = engines(empty)
    expect(await onBoth(d, (m) => m.isEmpty())).toBe(false)
    expect(await onBoth(e, (m) => m.isEmpty())).toBe(true)
    expect(await onBoth(d, (m) => m.storeCounts())).toMatchObject({ products: 9 })
    expect(await onBoth(e, (m) => m.storeCounts())).toEqual({
      domains: 0,
      datasets: 0,
      jobs: 0,
      products: 0,
    })
    expect((await onBoth(d, (m) => m.listDbtModelNames())).length).toBeGreaterThan(5)
    expect(await onBoth(e, (m) => m.listDbtModelNames())).toEqual([])
    expect(await onBoth(d, (m) => m.hasEvaluationSince('2000-01-01T00:00:00.000Z'))).toBe(true)
    expect(await onBoth(d, (m) => m.hasEvaluationSince('2100-01-01T00:00:00.000Z'))).toBe(false)
  })

  it('keep the demo clock anchor alike', async () => {
    const e = engines(empty)
    expect(await onBoth(e, (m) => m.getDemoAnchor())).toBeUndefined()
    await onBoth(e, (m) => m.setDemoAnchor({ recordedAt: T0, loadedAt: T1 }))
    await onBoth(e, (m) => m.setDemoAnchor({ recordedAt: T1, loadedAt: T1 }))
    expect(await onBoth(e, (m) => m.getDemoAnchor())).toEqual({ recordedAt: T1, loadedAt: T1 })
  })
})
