import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { StoreBusyError } from '../../db/errors.ts'
import { getDataset, listDomains, listProducts } from '../../db/queries/catalog.ts'
import { lineageOverview } from '../../db/queries/overview.ts'
import { listTokens } from '../../db/queries/tokens.ts'
import { sqliteDbOf, sqliteStore, type Store, type StoreModule } from '../../db/store.ts'
import { loadDemo } from '../../server/demo.ts'

// db/store.ts on SQLite: the Store answers what the query modules answer, and its transactions
// commit whole or not at all. The busy store on a route (503 + Retry-After) is in
// test/server/ingest.test.ts ('a busy store'), where POST /api/batches runs in store.transaction.

const NOW = '2026-12-02T06:00:00.000Z'
const dir = mkdtempSync(join(tmpdir(), 'meshwatch-store-'))
let demo: Db
let store: Store

beforeAll(async () => {
  demo = openDb(join(dir, 'demo.db'))
  store = sqliteStore(demo)
  await loadDemo({ store }, { days: ['good'], airflow: false })
}, 120_000)
afterAll(() => {
  closeDb(demo)
  rmSync(dir, { recursive: true, force: true })
})

const token = (s: Store, name: string) => s.tokens.createToken({ name, scope: 'read', now: NOW })

describe('the SQLite store', () => {
  it('answers as the query modules do on the same demo store', async () => {
    const products = listProducts(demo)
    expect(products.length).toBeGreaterThan(3)
    expect(await store.catalog.listProducts()).toEqual(products)
    expect(await store.catalog.listDomains()).toEqual(listDomains(demo))
    expect(await store.catalog.getDataset(1)).toEqual(getDataset(demo, 1))
    expect(await store.overview.lineageOverview()).toEqual(lineageOverview(demo))
  })

  it('is one per connection, and gives its Db back (the ratchet)', () => {
    expect(sqliteStore(demo)).toBe(store)
    expect(sqliteDbOf(store)).toBe(demo)
  })

  it('offers only the Db-first functions of a module (not one taking any object)', () => {
    type M = StoreModule<{
      read(db: Db, id: number): string
      encode(batch: object): string
      pure(n: number): number
    }>
    expectTypeOf<keyof M>().toEqualTypeOf<'read'>()
    expectTypeOf<M['read']>().toEqualTypeOf<(id: number) => Promise<string>>()
  })
})

describe('store.transaction on SQLite', () => {
  let db: Db
  let s: Store
  beforeAll(() => {
    db = openDb(join(dir, 'tx.db'))
    s = sqliteStore(db)
  })
  afterAll(() => closeDb(db))
  const names = () => listTokens(db).map((t) => t.name)

  it('rolls back everything when fn throws, and passes the error on', async () => {
    const boom = new Error('boom')
    await expect(
      s.transaction(async (tx) => {
        await token(tx, 'a')
        await token(tx, 'b')
        throw boom
      }),
    ).rejects.toBe(boom)
    expect(names()).toEqual([])
  })

  it('rolls back a nested transaction alone (savepoint), the outer one commits', async () => {
    await s.transaction(async (tx) => {
      await token(tx, 'outer')
      await tx
        .transaction(async (inner) => {
          await token(inner, 'inner')
          throw new Error('inner fails')
        })
        .catch(() => undefined)
      await tx.transaction(async (inner) => void (await token(inner, 'inner kept')))
    })
    expect(names().sort()).toEqual(['inner kept', 'outer'])
  })

  it('makes a call from outside wait for the open transaction, so it is never part of it', async () => {
    const order: string[] = []
    let go!: () => void
    const gate = new Promise<void>((r) => (go = r))
    const tx = s.transaction(async (t) => {
      await token(t, 'pending')
      await gate
      order.push('commit')
    })
    await Promise.resolve()
    const outside = s.tokens.listTokens().then((rows) => {
      order.push('read')
      return rows.map((r) => r.name)
    })
    go()
    await tx
    expect(await outside).toContain('pending')
    expect(order).toEqual(['commit', 'read'])
  })

  it('answers a write lock held elsewhere with StoreBusyError, writing nothing', async () => {
    const file = join(dir, 'busy.db')
    const holder = openDb(file)
    const busy = openDb(file)
    busy.$client.pragma('busy_timeout = 0')
    holder.$client.exec('begin immediate')
    const e = await sqliteStore(busy)
      .transaction(async (t) => token(t, 'never'))
      .catch((x: unknown) => x)
    holder.$client.exec('rollback')
    expect(e).toBeInstanceOf(StoreBusyError)
    expect(listTokens(busy)).toEqual([])
    closeDb(holder)
    closeDb(busy)
  })

  it('caches a read until the store changes', async () => {
    let runs = 0
    const read = () => s.cachedRead('n', async () => ++runs)
    expect(await read()).toBe(1)
    expect(await read()).toBe(1)
    await token(s, 'change')
    expect(await read()).toBe(2)
  })
})
