import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { sqliteStore, type Store } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { loadDemoContracts } from '../../server/contracts/demo.ts'
import { FIXTURES, loadDemo } from '../../server/demo.ts'
import { createDatabase } from './helpers.ts'

// #16: the demo loader on the Store. The demo mesh (recorded dbt builds of both days, the demo
// Airflow, the two ODCS contracts) loaded by loadDemo + loadDemoContracts into a new PostgreSQL
// database and into SQLite, at the same clock: the same summary, and the same catalog, lineage
// and contracts through the API on both.

const NOW = new Date('2026-11-26T12:00:00Z')
let lite: Store
let onPg: Store
let pool: pg.Pool
const loaded: { summary: string; recordedAt: string; contracts: number }[] = []

async function load(store: Store) {
  const deps = { store, now: () => NOW }
  const r = await loadDemo(deps)
  loaded.push({ ...r, contracts: await loadDemoContracts(deps, FIXTURES) })
}

beforeAll(async () => {
  lite = sqliteStore(openDb(':memory:'))
  pool = await openPgPool(await createDatabase())
  onPg = pgStore(pool)
  await load(lite)
  await load(onPg)
}, 240_000)
afterAll(async () => {
  await lite.close()
  await onPg.close()
})

const URLS = [
  '/api/domains',
  '/api/products',
  '/api/products?domain=finance',
  '/api/products/sales.orders/history',
  '/api/lineage/overview',
  '/api/lineage/domains/sales',
  '/api/contracts',
  '/api/contracts/urn:meshwatch-demo:sales:orders',
  '/api/collectors',
  '/api/datasets/column-lineage-inputs',
  '/api/products/sales.orders/odps',
  '/api/products/finance.revenue/odcs',
]

/**
 * An answer by its content: the two loads number rows in their own order (PostgreSQL's set-based
 * upserts), so numeric ids and `dataset:<id>`/`job:<id>` node ids are left out and lists compared
 * as sorted; every name, namespace, domain, edge and value stays.
 */
function byContent(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(byContent).sort(byJson)
  if (typeof v === 'string') return v.replace(/^(dataset|job):\d+$/, '$1:#')
  if (!v || typeof v !== 'object') return v
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k, x]) => !(typeof x === 'number' && /^id$|Id$/.test(k)))
      .map(([k, x]) => [k, byContent(x)]),
  )
}

const byJson = (a: unknown, b: unknown) => {
  const x = JSON.stringify(a)
  const y = JSON.stringify(b)
  return x < y ? -1 : x > y ? 1 : 0
}

describe('loadDemo on a PostgreSQL store', () => {
  it('loads what it loads into SQLite: the same counts, recording time and contracts', () => {
    const [a, b] = loaded
    expect(a?.summary).toMatch(/^4 domains, \d+ datasets, \d+ jobs, \d+ products from 8 dbt builds/)
    expect(a?.contracts).toBe(2)
    expect(b).toEqual(a)
  })

  it('gives the same catalog, lineage and contracts through the API', async () => {
    const apps = [lite, onPg].map((store) => createApp({ store, now: () => NOW }))
    for (const url of URLS) {
      const [a, b] = await Promise.all(
        apps.map(async (app) => {
          const res = await app.request(url)
          const text = await res.text()
          const json = (res.headers.get('content-type') ?? '').includes('json')
          return { status: res.status, body: json ? byContent(JSON.parse(text)) : text }
        }),
      )
      expect(a?.status, url).toBe(200)
      expect(b, url).toEqual(a)
    }
  })
})
