import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { quality as pgQuality } from '../../db/pg/queries/quality.ts'
import * as liteQuality from '../../db/queries/quality.ts'
import { CONFIG } from '../server/alerts/helpers.ts'
import { demoOnBoth, productIdsOf } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/quality.ts and db/pg/queries/quality.ts: the evaluator's facts of the demo's bad
// day (runs, tests, metrics, schema versions, upstream problems, Airflow links) read from both
// engines, compared.

type M = typeof pgQuality
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }
let now: Date
let productIds: string[]
let datasetIds: number[]

beforeAll(async () => {
  ;({ db, pool, now } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteQuality, db), pg: bindPg(pgQuality, pool) }
  productIds = productIdsOf(db)
  datasetIds = (
    db.$client.prepare('select id from datasets order by id').all() as { id: number }[]
  ).map((r) => r.id)
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const key = (v: unknown) => JSON.stringify(v)
const bySorted = <T>(xs: readonly T[], k: (x: T) => unknown = key) =>
  [...xs].sort((a, b) => (key(k(a)) < key(k(b)) ? -1 : key(k(a)) > key(k(b)) ? 1 : 0))

/**
 * The facts with their set-like lists in one order. SQLite reads product_outputs (all products),
 * a dataset's output edges and the products table in rowid order, which is the order rows were
 * written in and has no PostgreSQL counterpart (PostgreSQL reads them in id order); the lists
 * built from them (producers, their runs and volumes, DAGs, upstream) follow. Everything else,
 * and every value, is compared as read.
 */
function canonical({ rows, facts }: Awaited<ReturnType<typeof liteQuality.loadProductFacts>>) {
  return {
    rows: bySorted(rows, (r) => r.id),
    facts: bySorted(
      facts.map((f) => ({
        ...f,
        upstream: bySorted(f.upstream, (u) => u.id),
        outputs: bySorted(
          f.outputs.map((o) => ({
            ...o,
            producers: bySorted(o.producers, (j) => j.id),
            dags: bySorted(o.dags, (j) => j.id),
            runs: bySorted(o.runs),
            volume: bySorted(o.volume),
          })),
          (o) => o.id,
        ),
      })),
      (f) => f.id,
    ),
  }
}

const opts = (over: Partial<liteQuality.LoadFactsOptions> = {}): liteQuality.LoadFactsOptions => ({
  now,
  windowDays: 30,
  upstreamDepth: 3,
  links: CONFIG.links,
  ...over,
})

describe("the evaluator's facts on both engines", () => {
  it('are the same for a list of products, with and without the upstream walk', async () => {
    const { facts } = await onBoth(both, async (m) =>
      canonical(await m.loadProductFacts(opts({ productIds }))),
    )
    expect(facts).toHaveLength(productIds.length)
    expect(facts.flatMap((f) => f.outputs.flatMap((o) => o.runs)).length).toBeGreaterThan(10)
    expect(facts.flatMap((f) => f.outputs.flatMap((o) => o.assertions)).length).toBeGreaterThan(10)
    expect(facts.some((f) => f.upstream.length > 0)).toBe(true)
    expect(facts.some((f) => f.outputs.some((o) => o.dags.length > 0))).toBe(true)
    await onBoth(both, async (m) =>
      canonical(await m.loadProductFacts(opts({ productIds, upstreamDepth: 0 }))),
    )
    await onBoth(both, (m) =>
      m.loadProductFacts(opts({ productIds: productIds.slice(2, 4), windowDays: 1 })),
    )
    expect(await onBoth(both, (m) => m.loadProductFacts(opts({ productIds: [] })))).toEqual({
      rows: [],
      facts: [],
    })
  })

  it('are the same for every product', async () => {
    const byId = async (m: Bound<M>) => canonical(await m.loadProductFacts(opts()))
    const all = await onBoth(both, byId)
    expect(all.rows.map((r) => r.id)).toEqual(productIds)
  })

  it('give the same latest tests, recent metrics and orchestration links', async () => {
    expect((await onBoth(both, (m) => m.latestAssertions(datasetIds))).size).toBeGreaterThan(3)
    expect((await onBoth(both, (m) => m.recentMetrics(datasetIds, 2))).size).toBeGreaterThan(0)
    await onBoth(both, (m) => m.recentMetrics(datasetIds, 31))
    expect(await onBoth(both, (m) => m.latestAssertions([]))).toEqual(new Map())
    const jobs = await onBoth(both, (m) => m.loadOrchestrationJobs(CONFIG.links))
    expect(jobs.tasks.length).toBeGreaterThan(0)
    await onBoth(both, (m) => m.loadOrchestrationJobs([{ job: 'no_such_job', writes: 'x' }]))
    const targets = db.$client.prepare('select id, name, kind from datasets order by id').all() as {
      id: number
      name: string
      kind: string | null
    }[]
    expect(
      (await onBoth(both, (m) => m.orchestrationLinks(targets, CONFIG.links))).size,
    ).toBeGreaterThan(0)
    await onBoth(both, (m) => m.orchestrationLinks(targets, CONFIG.links, jobs))
    expect(await onBoth(both, (m) => m.orchestrationLinks([], CONFIG.links))).toEqual(new Map())
  })
})
