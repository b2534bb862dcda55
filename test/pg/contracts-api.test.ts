import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { sqliteStore, type Store } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { loadDemo } from '../../server/demo.ts'
import { imageOf, openImage } from '../store-image.ts'
import { copyStore } from './demo.ts'
import { createDatabase } from './helpers.ts'

// #16: the contract routes on PostgreSQL. The demo mesh (its recorded dbt builds) in SQLite,
// copied into a new PostgreSQL database per test; an app on each store. A contract is a write to
// its domain (authorization per object): a domain token's upload naming another domain, another
// domain's contract id or dataset is refused with 403 and nothing of the upload is stored; what
// an admin stores reads back the same on both engines (GET /api/contracts, /api/contracts/:id).

const FIXTURES = fileURLToPath(new URL('../../fixtures/contracts', import.meta.url))
const file = (f: string) => ({ file: f, text: readFileSync(join(FIXTURES, f), 'utf8') })
const ORDERS = 'demo/sales-orders.odcs.yaml'
const REVENUE = 'demo/finance-revenue.odcs.yaml'
const NOW = new Date('2026-11-26T12:00:00Z')
type Json = Record<string, any>

let demo: Db
const open: { close(): Promise<void> }[] = []

beforeAll(async () => {
  demo = openDb(':memory:')
  await loadDemo({ store: sqliteStore(demo), now: () => NOW }, { airflow: false })
})
afterAll(async () => {
  for (const s of open) await s.close()
  closeDb(demo)
})

/** The demo store on PostgreSQL (a new database), an app on it and three tokens made there. */
async function onPg() {
  const pool: pg.Pool = await openPgPool(await createDatabase())
  await copyStore(demo, pool)
  const store = pgStore(pool)
  open.push(store)
  return { store, ...(await appOn(store)) }
}

async function appOn(store: Store) {
  const app = createApp({ store, now: () => NOW })
  const token = async (scope: 'ingest' | 'admin', domain?: string) => ({
    authorization: `Bearer ${(await store.tokens.createToken({ name: `${scope}${domain ?? ''}`, scope, domain, now: NOW.toISOString() })).token}`,
  })
  const post = (headers: Record<string, string>, ...files: string[]) =>
    app.request('/api/contracts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ contracts: files.map(file) }),
    })
  return {
    app,
    post,
    admin: await token('admin'),
    sales: await token('ingest', 'sales'),
    finance: await token('ingest', 'finance'),
  }
}

const stored = async (store: Store) => (await store.contracts.currentContracts()).length

describe('POST /api/contracts on PostgreSQL', () => {
  it("refuses a domain token's contract for another domain with 403, storing none of the upload", async () => {
    const { store, post, finance, sales } = await onPg()
    const res = await post(finance, REVENUE, ORDERS)
    const body = (await res.json()) as Json
    expect(res.status).toBe(403)
    expect(body.error).toMatchObject({ code: 'forbidden', path: '$.contracts[1].domain' })
    expect(body.error.message).toContain('is for domain sales')
    expect(await stored(store)).toBe(0)
    expect((await post(sales, ORDERS)).status).toBe(201)
    expect(await stored(store)).toBe(1)
  })

  it("refuses a contract binding another domain's dataset, and taking over another domain's contract id", async () => {
    const { store, post, app, finance, sales } = await onPg()
    const stolen = file(ORDERS)
    stolen.text = stolen.text
      .replace('domain: sales', 'domain: finance')
      .replace('dataProduct: orders\n', '')
    const res = await app.request('/api/contracts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...finance },
      body: JSON.stringify({ contracts: [stolen] }),
    })
    const body = (await res.json()) as Json
    expect(res.status).toBe(403)
    expect(body.error.path).toBe('$.contracts[0].schema[0]')
    expect(body.error.message).toContain(
      'dataset duckdb://mesh.duckdb mesh.sales.orders belongs to domain sales',
    )
    expect(await stored(store)).toBe(0)

    expect((await post(finance, REVENUE)).status).toBe(201)
    const takeover = file(REVENUE)
    takeover.text = takeover.text
      .replace('domain: finance', 'domain: sales')
      .replace('dataProduct: revenue\n', '')
      .replace('schema: finance', 'schema: nowhere')
    const again = await app.request('/api/contracts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...sales },
      body: JSON.stringify({ contracts: [takeover] }),
    })
    expect(again.status).toBe(403)
    expect(((await again.json()) as Json).error.message).toContain(
      'contract urn:meshwatch-demo:finance:revenue belongs to domain finance',
    )
    expect(
      (await store.contracts.contractVersions('urn:meshwatch-demo:finance:revenue')).length,
    ).toBe(1)
  })

  it('stores, redelivers and reads back contracts as SQLite does', async () => {
    const pgSide = await onPg()
    const liteSide = await appOn(sqliteStore(openImage(imageOf(demo))))
    for (const side of [liteSide, pgSide]) {
      expect((await side.post(side.admin, ORDERS, REVENUE)).status).toBe(201)
      expect((await side.post(side.admin, ORDERS, REVENUE)).status).toBe(200)
    }
    const read = async (side: typeof liteSide, url: string) => {
      const res = await side.app.request(url, { headers: side.admin })
      return { status: res.status, body: (await res.json()) as Json }
    }
    for (const url of [
      '/api/contracts',
      '/api/contracts?domain=sales',
      '/api/contracts/urn:meshwatch-demo:sales:orders',
      '/api/contracts/urn:meshwatch-demo:finance:revenue',
      '/api/contracts/no-such',
    ]) {
      const a = await read(liteSide, url)
      expect(await read(pgSide, url), url).toEqual(a)
    }
    const list = (await read(pgSide, '/api/contracts')).body
    expect(list.contracts.map((c: Json) => c.binding.bound)).toEqual([true, true])
  })
})
