import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { sqliteStore } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { captureLog, CONFIG } from '../server/alerts/helpers.ts'
import { demoOnBoth } from './demo.ts'

// #16 (Tests): the API on both engines. The demo's bad day in SQLite, copied (ids kept) into a new
// PostgreSQL database; one app on each store, same clock and meshwatch.yml; every GET route of
// /api/openapi.json called with the demo's real ids and parameters on both, status and JSON body
// compared byte for byte. Nothing is normalised: copyStore keeps ids and both stores answer the
// same shapes. The routes whose code still needs SQLite's connection (#16's ratchet) answer a
// StoreUnsupportedError on PostgreSQL: KNOWN_GAPS names them, and the test asserts it is exactly
// the set of routes that differ (a route that starts to work must leave the list).

/**
 * GET routes (the OpenAPI path template) whose code still reads SQLite's connection, each with what
 * its StoreUnsupportedError names: on PostgreSQL they answer 501 naming it (never a 500).
 */
const KNOWN_GAPS: Record<string, string> = {
  '/api/products/{id}': 'data contracts (server/contracts/)',
}

type App = ReturnType<typeof createApp>
type Answer = { status: number; body: unknown }

let db: Db
let pool: pg.Pool
let lite: App
let onPg: App
const pgLog = captureLog()

beforeAll(async () => {
  const both = await demoOnBoth()
  ;({ db, pool } = both)
  const now = () => both.now
  lite = createApp({ store: sqliteStore(db), meshwatch: CONFIG, now, wallNow: now })
  onPg = createApp({ store: pgStore(pool), meshwatch: CONFIG, now, wallNow: now, log: pgLog.log })
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

async function answer(app: App, url: string): Promise<Answer> {
  const res = await app.request(url)
  const text = await res.text()
  const json = (res.headers.get('content-type') ?? '').includes('json')
  return { status: res.status, body: json ? JSON.parse(text) : text }
}

const ids = (sql: string): (string | number)[] =>
  db.$client
    .prepare(sql)
    .raw()
    .all()
    .map((r) => (r as [string | number])[0])

const q = encodeURIComponent

/** Every GET route's calls: the demo's real ids (all of them) and the parameters' variants. */
function calls(): Record<string, string[]> {
  const products = ids('select id from products order by id') as string[]
  const datasets = ids('select id from datasets order by id') as number[]
  const jobs = ids('select id from jobs order by id') as number[]
  const runs = ids('select run_id from runs order by id') as string[]
  const domains = ids('select name from domains order by name') as string[]
  const incidents = ids('select id from incidents order by id') as number[]
  const contracts = ids('select id from contracts order by id') as string[]
  const projects = ids("select name from jobs where type = 'dbt_project' order by id") as string[]
  const ds = ids('select namespace || char(0) || name from datasets order by id') as string[]
  const nodes = [...datasets.map((d) => `dataset:${d}`), ...jobs.map((j) => `job:${j}`)]
  const tags = ids('select distinct tags from datasets where tags is not null limit 3') as string[]
  const words = ['orders', 'sales', 'rev', 'mesh', 'zzz-none']
  const dirs = ['up', 'down', 'both']
  const all = <T>(xs: T[], f: (x: T) => string[]): string[] => xs.flatMap(f)
  return {
    '/api/health': ['/api/health'],
    '/api/clock': ['/api/clock'],
    '/api/domains': ['/api/domains'],
    '/api/domains/overview': [
      '/api/domains/overview',
      '/api/domains/overview?days=1',
      '/api/domains/overview?days=365',
    ],
    '/api/domains/{name}': all([...domains, 'no-such'], (d) => [
      `/api/domains/${q(d)}`,
      `/api/domains/${q(d)}?days=2`,
    ]),
    '/api/products': [
      '/api/products',
      ...all([...domains, 'no-such'], (d) => [`/api/products?domain=${q(d)}`]),
    ],
    '/api/products/{id}': all([...products, 'no.such'], (p) => [`/api/products/${q(p)}`]),
    '/api/products/{id}/history': all(products, (p) => [
      `/api/products/${q(p)}/history`,
      `/api/products/${q(p)}/history?limit=1`,
    ]),
    '/api/products/{id}/root-cause': all([...products, 'no.such'], (p) => [
      `/api/products/${q(p)}/root-cause`,
    ]),
    '/api/products/{id}/odps': all([...products, 'no.such'], (p) => [`/api/products/${q(p)}/odps`]),
    '/api/products/{id}/odcs': all([...products, 'no.such'], (p) => [`/api/products/${q(p)}/odcs`]),
    '/api/governance': [
      '/api/governance',
      '/api/governance?waived=true',
      '/api/governance?waived=false',
      ...all(domains, (d) => [`/api/governance?domain=${q(d)}`]),
    ],
    '/api/datasets/column-lineage-inputs': [
      '/api/datasets/column-lineage-inputs',
      '/api/datasets/column-lineage-inputs?namespace=duckdb%3A%2F%2Fmesh.duckdb',
      '/api/datasets/column-lineage-inputs?namespace=none',
    ],
    '/api/datasets/{id}/column-lineage': all([...datasets, 999999], (d) => [
      `/api/datasets/${d}/column-lineage`,
    ]),
    '/api/datasets': [
      ...all(ds, (x) => {
        const [ns, name] = x.split('\0')
        return [`/api/datasets?namespace=${q(ns!)}&name=${q(name!)}`]
      }),
      '/api/datasets?namespace=none&name=none',
    ],
    '/api/datasets/{id}': all([...datasets, 999999], (d) => [`/api/datasets/${d}`]),
    '/api/datasets/{id}/versions': all([...datasets, 999999], (d) => [
      `/api/datasets/${d}/versions`,
    ]),
    '/api/lineage': [
      ...all(nodes, (n) => [`/api/lineage?node=${n}`]),
      ...all(nodes.slice(0, 6), (n) =>
        all(dirs, (dir) =>
          [0, 1, 5].map((depth) => `/api/lineage?node=${n}&depth=${depth}&direction=${dir}`),
        ),
      ),
      '/api/lineage?node=dataset:999999',
    ],
    '/api/lineage/overview': ['/api/lineage/overview'],
    '/api/lineage/domains/{domain}': all([...domains, 'no-such'], (d) => [
      `/api/lineage/domains/${q(d)}`,
      `/api/lineage/domains/${q(d)}?orchestration=true`,
    ]),
    '/api/lineage/focus': [
      ...all(nodes, (n) => [
        `/api/lineage/focus?node=${n}`,
        `/api/lineage/focus?node=${n}&orchestration=true`,
      ]),
      ...all(nodes.slice(0, 4), (n) =>
        all(dirs, (dir) =>
          [1, 2].map((depth) => `/api/lineage/focus?node=${n}&depth=${depth}&direction=${dir}`),
        ),
      ),
      '/api/lineage/focus?node=job:999999',
    ],
    '/api/lineage/search': all(words, (w) => [`/api/lineage/search?q=${q(w)}`]),
    '/api/lineage/products/{id}': all([...products, 'no.such'], (p) => [
      `/api/lineage/products/${q(p)}`,
    ]),
    '/api/jobs/{id}/runs': [
      ...all([...jobs, 999999], (j) => [`/api/jobs/${j}/runs`]),
      ...all(jobs.slice(0, 4), (j) => [
        `/api/jobs/${j}/runs?limit=1`,
        `/api/jobs/${j}/runs?limit=2&before=1000`,
      ]),
    ],
    '/api/runs': [
      ...all([...products, 'no.such'], (p) => [
        `/api/runs?product=${q(p)}`,
        `/api/runs?product=${q(p)}&limit=1`,
      ]),
      ...all(tags, (t) => [`/api/runs?product=${q(products[0]!)}&tag=${q(t)}`]),
    ],
    '/api/runs/{runId}/timeline': [
      ...all([...runs, 'no-such'], (r) => [`/api/runs/${q(r)}/timeline`]),
      ...all(runs.slice(0, 3), (r) => [`/api/runs/${q(r)}/timeline?history=1`]),
    ],
    '/api/runs/{runId}': all([...runs, 'no-such'], (r) => [`/api/runs/${q(r)}`]),
    '/api/runs/{runId}/events': all([...runs, 'no-such'], (r) => [`/api/runs/${q(r)}/events`]),
    '/api/gate/baseline': all([...projects, 'no-such'], (p) => [
      `/api/gate/baseline?project=${q(p)}`,
    ]),
    '/api/alerts': [
      '/api/alerts',
      '/api/alerts?limit=1',
      ...['pending', 'delivered', 'failed'].map((s) => `/api/alerts?status=${s}`),
      ...all(domains, (d) => [`/api/alerts?domain=${q(d)}`]),
      ...all(products, (p) => [`/api/alerts?productId=${q(p)}`]),
    ],
    '/api/incidents': [
      '/api/incidents',
      '/api/incidents?limit=1',
      '/api/incidents?since=2026-01-01T00:00:00Z',
      '/api/incidents?since=2030-01-01T00:00:00Z',
      ...['open', 'acknowledged', 'resolved', 'muted'].map((s) => `/api/incidents?status=${s}`),
      ...all(domains, (d) => [`/api/incidents?domain=${q(d)}`]),
      ...all(products, (p) => [`/api/incidents?product=${q(p)}`]),
    ],
    '/api/incidents/stats': [
      '/api/incidents/stats',
      '/api/incidents/stats?days=1',
      '/api/incidents/stats?days=366',
    ],
    '/api/incidents/{id}': all([...incidents, 999999], (i) => [`/api/incidents/${i}`]),
    '/api/collectors': ['/api/collectors'],
    '/api/contracts': ['/api/contracts', ...all(domains, (d) => [`/api/contracts?domain=${q(d)}`])],
    '/api/contracts/{id}': all([...contracts, 'no-such'], (c) => [
      `/api/contracts/${q(String(c))}`,
    ]),
    '/api/search': [
      ...all(words, (w) => [`/api/search?q=${q(w)}`, `/api/search?q=${q(w)}&limit=1`]),
      ...all(products.slice(0, 3), (p) => [`/api/search?q=${q(p)}`]),
    ],
    '/api/openapi.json': ['/api/openapi.json'],
    '/api/docs': ['/api/docs'],
  }
}

describe('the API on SQLite and on PostgreSQL, on the demo store', () => {
  it('every GET route answers the same status and JSON on both, but the known gaps', async () => {
    const spec = (await answer(lite, '/api/openapi.json')).body as {
      paths: Record<string, Record<string, unknown>>
    }
    const routes = Object.keys(spec.paths).filter((p) => spec.paths[p]!.get)
    const byRoute = calls()
    // Every GET route of the document is called, and nothing it does not list.
    expect(Object.keys(byRoute).sort()).toEqual([...routes].sort())

    const differing = new Map<string, { url: string; sqlite: Answer; pg: Answer }>()
    let compared = 0
    const statuses = new Set<number>()
    for (const [route, urls] of Object.entries(byRoute)) {
      expect(urls.length, route).toBeGreaterThan(0)
      for (const url of urls) {
        const logged = pgLog.lines.length
        const [a, b] = [await answer(lite, url), await answer(onPg, url)]
        expect(a.status, url).toBeLessThan(500)
        statuses.add(a.status)
        compared++
        if (JSON.stringify(a) === JSON.stringify(b)) continue
        differing.set(route, differing.get(route) ?? { url, sqlite: a, pg: b })
        const what = KNOWN_GAPS[route]
        // Outside the known gaps a difference fails here, showing both answers in full.
        if (what === undefined) expect({ url, ...b }).toEqual({ url, ...a })
        // A known gap differs only by PostgreSQL's refusal (the ratchet), never by a wrong answer.
        expect(b, url).toEqual({
          status: 501,
          body: { error: { code: 'not_implemented', message: `${what} is not on PostgreSQL yet` } },
        })
        expect(pgLog.lines.slice(logged).join(''), url).toContain('not on PostgreSQL yet')
      }
    }
    // The known gaps are exactly the routes that differ: one that now answers the same must go.
    expect([...differing.keys()].sort()).toEqual(Object.keys(KNOWN_GAPS).sort())
    expect(statuses.has(200) && statuses.has(404)).toBe(true)
    expect(compared).toBeGreaterThan(300)
  })
})
