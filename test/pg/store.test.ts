import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { StoreBusyError } from '../../db/errors.ts'
import { openStore, StoreOpenError } from '../../db/open-store.ts'
import type { PgConn } from '../../db/pg/module.ts'
import { pgConnOf } from '../../db/pg/store.ts'
import { StoreUnsupportedError, type Store } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { SILENT } from '../../server/deps.ts'
import { startServer } from '../../server/main.ts'
import { createDatabase } from './helpers.ts'

// db/pg/store.ts: the Store on a real PostgreSQL, opened the way serve opens it (openStore).

const NOW = '2026-12-02T06:00:00.000Z'
let url: string
let store: Store

beforeAll(async () => {
  url = await createDatabase()
  store = await openStore(url, { source: '--db' })
})
afterAll(async () => {
  await store.close()
})

const token = (name: string, tx: Store = store) =>
  tx.tokens.createToken({ name, scope: 'read', now: NOW })

describe('openStore on a postgres:// URL', () => {
  it('opens a migrated PostgreSQL store that answers', async () => {
    expect(store.engine).toBe('postgres')
    await store.ping()
    expect(await store.tokens.hasTokens()).toBe(false)
  })

  it('refuses a wrong password without printing it', async () => {
    const u = new URL(url)
    u.username = 'nobody_here'
    u.password = 'wr0ng-pa55'
    const e = await openStore(u.toString(), { source: 'MESHWATCH_DB' }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreOpenError)
    expect((e as Error).message).toMatch(/^MESHWATCH_DB "postgres:\/\/nobody_here:\*\*\*@/)
    expect((e as Error).message).not.toContain('wr0ng')
  })
})

describe('the PostgreSQL store', () => {
  it('answers a function not on PostgreSQL yet with StoreUnsupportedError naming it', async () => {
    // every SQLite query module's function is on PostgreSQL now: a name it lacks stands in
    const catalog = store.catalog as unknown as Record<string, () => Promise<unknown>>
    const e = await catalog.notYetOnPostgres!().catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreUnsupportedError)
    expect((e as Error).message).toBe('catalog.notYetOnPostgres is not on PostgreSQL yet')
    // a registered module answers (db/pg/queries/catalog.ts): no dataset 1 in an empty store
    expect(await store.catalog.getDataset(1)).toBeUndefined()
  })

  it('commits a transaction that resolves and rolls back one that throws', async () => {
    await store.transaction(async (tx) => void (await token('kept', tx)))
    const boom = new Error('boom')
    await expect(
      store.transaction(async (tx) => {
        await token('lost', tx)
        throw boom
      }),
    ).rejects.toBe(boom)
    expect((await store.tokens.listTokens()).map((t) => t.name)).toEqual(['kept'])
  })

  it('rolls back a nested transaction alone (a savepoint)', async () => {
    await store.transaction(async (tx) => {
      await token('outer', tx)
      await tx
        .transaction(async (inner) => {
          await token('inner', inner)
          throw new Error('inner fails')
        })
        .catch(() => {})
    })
    const names = (await store.tokens.listTokens()).map((t) => t.name)
    expect(names).toContain('outer')
    expect(names).not.toContain('inner')
  })

  it('re-runs a transaction that lost a deadlock, and both writers commit', async () => {
    const admin = new pg.Pool({ connectionString: url })
    await admin.query('create table if not exists t_dead (k int primary key, v int)')
    await admin.query('insert into t_dead values (1, 0), (2, 0) on conflict do nothing')
    let runs = 0
    // Two transactions lock 1 then 2 and 2 then 1, each waiting for the other at a barrier:
    // PostgreSQL cancels one (40P01), which the store re-runs.
    let arrived = 0
    let open!: () => void
    const barrier = new Promise<void>((r) => (open = r))
    const writer = (first: number, second: number) =>
      store.transaction(async (tx) => {
        runs++
        const q = connOf(tx)
        await q.query('update t_dead set v = v + 1 where k = $1', [first])
        if (++arrived === 2) open()
        await barrier
        await q.query('update t_dead set v = v + 1 where k = $1', [second])
      })
    await Promise.all([writer(1, 2), writer(2, 1)])
    expect(runs).toBe(3)
    const r = await admin.query<{ v: number }>('select v from t_dead order by k')
    expect(r.rows.map((x) => x.v)).toEqual([2, 2])
    await admin.end()
  })

  it('answers a lock it cannot take as StoreBusyError (55P03)', async () => {
    const admin = new pg.Pool({ connectionString: url })
    const holder = await admin.connect()
    await holder.query('begin')
    await holder.query('lock table api_tokens in access exclusive mode')
    const e = await store
      .transaction(async (tx) => {
        const q = connOf(tx)
        await q.query("set local lock_timeout = '50ms'")
        await q.query('select count(*) from api_tokens')
      })
      .catch((x: unknown) => x)
    await holder.query('rollback')
    holder.release()
    await admin.end()
    expect(e).toBeInstanceOf(StoreBusyError)
    expect((e as StoreBusyError).code).toBe('55P03')
  })
})

function connOf(tx: Store): PgConn {
  const q = pgConnOf(tx)
  if (!q) throw new Error('not a PostgreSQL store')
  return q
}

describe('the server on PostgreSQL', () => {
  it('authenticates from the PostgreSQL tokens: 401 without one, 403 for a write with a read token', async () => {
    const made = await store.tokens.createToken({ name: 'reader', scope: 'read', now: NOW })
    const app = createApp({ store, wallNow: () => new Date(NOW) })
    expect((await app.request('/api/domains')).status).toBe(401)
    const res = await app.request('/api/batches', {
      method: 'POST',
      headers: { authorization: `Bearer ${made.token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(403)
  })

  it('serve opens and migrates, then says what is not on PostgreSQL yet', async () => {
    const e = await startServer({
      dbFile: url,
      dbSource: '--db',
      port: 0,
      host: '127.0.0.1',
      demo: false,
      log: SILENT,
    }).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(StoreUnsupportedError)
    expect((e as Error).message).toMatch(/^serve: the evaluator .* is not on PostgreSQL yet$/)
  })
})
