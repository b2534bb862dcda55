import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyBatch, type Batch, type Run } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { storeBatch } from '../../db/pg/queries/store-batch.ts'
import { ForeignWriteError } from '../../db/queries/authorize.ts'
import { foldBatches } from '../../db/queries/fold-batches.ts'
import * as lite from '../../db/queries/store-batch.ts'
import type { StoreOptions, StoreResult } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'
import { createDatabase } from './helpers.ts'
import {
  demoAirflowBatch,
  demoDbtBatches,
  demoJunitBatches,
  demoOpenLineageBatches,
  otherOpenLineageBatches,
  dumpPg,
  dumpSqlite,
  rowVersions,
} from './store-batch-fixtures.ts'

// storeBatch on both engines, batch by batch: the same results, the same derived tables (by
// natural keys), and on PostgreSQL a batch stored again rewrites no row.

async function keysPg(pool: pg.Pool, ids: number[]): Promise<string[]> {
  const r = await pool.query<{ id: number; k: string }>(
    `select id, namespace || ' ' || name as k from datasets where id = any($1::int8[])`,
    [ids],
  )
  const byId = new Map(r.rows.map((x) => [x.id, x.k]))
  return ids.map((id) => byId.get(id) ?? `?${id}`)
}

function keysSqlite(db: Db, ids: number[]): string[] {
  const stmt = db.$client.prepare(`select namespace || ' ' || name as k from datasets where id = ?`)
  return ids.map((id) => (stmt.get(id) as { k: string } | undefined)?.k ?? `?${id}`)
}

interface Pair {
  db: Db
  pool: pg.Pool
  /** Stores `b` on both engines, expects the same result, then stores it again on both. */
  store(b: Batch, extra?: Partial<StoreOptions>): Promise<StoreResult>
  /** Both stores' derived tables by natural keys: PostgreSQL's, then SQLite's. */
  dumps(): Promise<[Record<string, unknown[]>, Record<string, unknown[]>]>
}

/** A new SQLite store and a new PostgreSQL one, written alike. */
async function makePair(): Promise<Pair> {
  const pool = await openPgPool(await createDatabase())
  const db = openDb(':memory:')
  let clock = Date.parse('2026-01-01T00:00:00.000Z')
  const tick = () => new Date((clock += 60_000)).toISOString()
  return {
    db,
    pool,
    async store(b, extra = {}) {
      const opts: StoreOptions = { contentHash: hashBatch(b), now: tick(), ...extra }
      const a = lite.storeBatch(db, b, opts)
      const p = await storeBatch.storeBatch(pool, b, opts)
      const { datasetIds: liteIds, batchId: _a, ...liteRest } = a
      const { datasetIds: pgIds, batchId: _p, ...pgRest } = p
      expect(pgRest).toEqual(liteRest)
      expect(await keysPg(pool, pgIds)).toEqual(keysSqlite(db, liteIds))

      // Delivered again: a duplicate on both.
      if (opts.keepRaw !== false) {
        const again = await storeBatch.storeBatch(pool, b, { ...opts, now: tick() })
        expect(again).toMatchObject({ duplicate: true, batchId: p.batchId })
      }
      // Derived again (a replay): the same rows, none of them rewritten on PostgreSQL.
      const before = await rowVersions(pool)
      const replay = { ...opts, keepRaw: false, now: tick() }
      lite.storeBatch(db, b, replay)
      await storeBatch.storeBatch(pool, b, replay)
      expect(await rowVersions(pool)).toEqual(before)
      return p
    },
    async dumps() {
      return [await dumpPg(pool), dumpSqlite(db)]
    },
  }
}

describe('storeBatch on PostgreSQL, on the demo mesh', () => {
  let pair: Pair
  const store = (b: Batch, extra?: Partial<StoreOptions>) => pair.store(b, extra)

  beforeAll(async () => {
    pair = await makePair()
  })
  afterAll(async () => {
    await pair.pool.end()
  })

  it('stores the demo dbt builds (good day, then bad day) as SQLite does', async () => {
    const batches = await demoDbtBatches()
    expect(batches.length).toBeGreaterThan(4)
    for (const b of batches) await store(b)
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
  })

  it('stores the recorded Airflow as SQLite does', async () => {
    await store(await demoAirflowBatch(pair.db))
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
  })

  it("stores dbt-ol's events one by one, and folded, as SQLite does", async () => {
    const [first, second, ...rest] = demoOpenLineageBatches()
    for (const b of [...(first ?? []), ...(second ?? [])]) await store(b)
    for (const events of rest) {
      const { batch, schemas } = foldBatches(events)
      await store(batch, schemas ? { schemas } : {})
    }
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
  })

  it('stores JUnit reports as SQLite does', async () => {
    for (const b of demoJunitBatches()) await store(b)
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
  })

  it("stores other producers' recorded events (symlinks, facets of every kind) as SQLite does", async () => {
    for (const b of otherOpenLineageBatches()) await store(b)
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
  })

  it('has filled every derived table by then', async () => {
    const dump = await dumpPg(pair.pool)
    const empty = Object.entries(dump).filter(([, rows]) => rows.length === 0)
    expect(empty.map(([t]) => t)).toEqual([])
  })

  it("merges a run's later observations as SQLite does, in or out of order", async () => {
    const job = { namespace: 'merge', name: 'job' }
    const run = (runId: string, state: Run['state'], at: string, more: Partial<Run> = {}) => {
      const b = emptyBatch('openlineage', 'openlineage')
      b.producedAt = at
      b.jobs.push({ ...job, type: 'job' })
      b.runs.push({ runId, job, state, ...more })
      return b
    }
    await store(run('r1', 'START', '2026-01-03T00:00:00Z', { startedAt: '2026-01-03T00:00:00Z' }))
    await store(
      run('r1', 'COMPLETE', '2026-01-03T00:05:00Z', {
        endedAt: '2026-01-03T00:05:00Z',
        facets: { a: { x: 1 } },
      }),
    )
    await store(run('r2', 'FAIL', '2026-01-03T00:09:00Z', { error: 'boom', rowsAffected: 3 }))
    // a START arriving after FAIL does not reopen the run, and its earlier start time wins
    await store(run('r2', 'START', '2026-01-03T00:01:00Z', { startedAt: '2026-01-03T00:01:00Z' }))
    await store(run('r1', 'OTHER', '2026-01-03T00:06:00Z', { facets: { b: { y: 2 } } }))
    const twice = run('r3', 'START', '2026-01-03T00:00:00Z', { startedAt: '2026-01-03T00:00:00Z' })
    twice.runs.push({ runId: 'r3', job, state: 'COMPLETE', endedAt: '2026-01-03T00:02:00Z' })
    await store(twice)
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
    const r = await pair.pool.query<{ run_id: string; state: string }>(
      `select run_id, state from runs where run_id in ('r1', 'r2', 'r3') order by run_id`,
    )
    expect(r.rows).toEqual([
      { run_id: 'r1', state: 'COMPLETE' },
      { run_id: 'r2', state: 'FAIL' },
      { run_id: 'r3', state: 'COMPLETE' },
    ])
  })
})

// The naming rules of test/db/resolve-nodes.test.ts, each on a new pair of stores.
const DBT = 'duckdb://mesh'
const WH = 'postgres://warehouse:5432'
const S3 = 's3://bucket'

function dbtOrders(columns?: { name: string; type: string }[]): Batch {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.datasets.push({
    namespace: DBT,
    name: 'mesh.sales.orders',
    domain: 'sales',
    kind: 'model',
    aliases: [{ namespace: WH, name: 'analytics.orders' }],
    ...(columns ? { columns } : {}),
  })
  return b
}

function olReads(ns: string, name: string, aliases?: { namespace: string; name: string }[]): Batch {
  const b = emptyBatch('openlineage', 'openlineage')
  b.datasets.push({ namespace: ns, name, ...(aliases ? { aliases } : {}) })
  b.edges.push({
    job: { namespace: 'spark', name: 'export' },
    dataset: { namespace: ns, name },
    direction: 'input',
  })
  return b
}

function asset(): Batch {
  const b = emptyBatch('airflow', 'airflow')
  b.datasets.push({
    namespace: WH,
    name: 'analytics.orders',
    kind: 'asset',
    description: 'an Airflow asset',
    domain: 'sales',
  })
  return b
}

/** One batch naming things twice: a dataset, a job, a check, a metric, a product. */
function repeats(): Batch {
  const b = emptyBatch('dbt', 'dbt:repeats')
  const d = { namespace: DBT, name: 'mesh.r.t' }
  b.datasets.push({ ...d, kind: 'model', owner: 'a' }, { ...d, owner: 'b', description: 'x' })
  const j = { namespace: 'r', name: 'j' }
  b.jobs.push(
    { ...j, type: 'dbt_model', owner: 'a' },
    { ...j, type: 'job', description: 'y', parent: { namespace: 'r', name: 'p' } },
    { namespace: 'r', name: 'p', type: 'dbt_project', parent: j },
  )
  const check = { dataset: d, kind: 'unique', name: 'u', origin: 'dbt' } as const
  b.checks.push({ ...check, key: 'k', severity: 'error' }, { ...check, key: 'k', severity: 'warn' })
  const at = '2026-03-01T00:00:00Z'
  b.metrics.push(
    { dataset: d, name: 'row_count', value: 1, observedAt: at },
    { dataset: d, name: 'row_count', value: 2, status: 'pass', observedAt: at },
  )
  const product = { id: 'p', domain: 'r', origin: 'config' } as const
  b.products.push(
    { ...product, name: 'P1', outputs: [d] },
    { ...product, name: 'P2', outputs: [{ namespace: DBT, name: 'mesh.r.other' }] },
  )
  return b
}

describe('storeBatch on PostgreSQL names nodes as SQLite does', () => {
  it.each([
    {
      name: 'an edge naming a known alias',
      batches: () => [dbtOrders(), olReads(WH, 'analytics.orders')],
    },
    {
      name: 'a dataset naming a node as its alias, then by its new name',
      batches: () => [
        dbtOrders(),
        olReads(S3, 'warehouse/orders', [{ namespace: DBT, name: 'mesh.sales.orders' }]),
        olReads(S3, 'warehouse/orders'),
      ],
    },
    {
      name: 'the name seen first as the node, described later by its alias',
      batches: () => [
        olReads(WH, 'analytics.orders'),
        dbtOrders(),
        dbtOrders([{ name: 'id', type: 'INTEGER' }]),
      ],
    },
    {
      name: 'an asset described by an alias filling gaps only',
      batches: () => [dbtOrders(), asset()],
    },
    { name: 'names repeated in one batch', batches: () => [repeats(), repeats()] },
  ])('$name', async ({ batches }) => {
    const pair = await makePair()
    try {
      for (const b of batches()) await pair.store(b)
      const [pgRows, liteRows] = await pair.dumps()
      expect(pgRows).toEqual(liteRows)
    } finally {
      await pair.pool.end()
    }
  })
})

describe('storeBatch on PostgreSQL authorizes a domain-scoped batch as SQLite does', () => {
  let pair: Pair
  beforeAll(async () => {
    pair = await makePair()
  })
  afterAll(async () => {
    await pair.pool.end()
  })

  /** `b` stored by a token of `domain` on both engines: the same denial, or the same result. */
  async function storeAs(b: Batch, domain: string): Promise<'refused' | 'stored'> {
    const opts: StoreOptions = {
      contentHash: hashBatch(b),
      now: '2026-02-01T00:00:00.000Z',
      domain,
    }
    const outcome = async (f: () => Promise<StoreResult>) => {
      try {
        const { batchId: _, datasetIds: __, ...r } = await f()
        return { stored: r }
      } catch (e) {
        if (e instanceof ForeignWriteError) return { denial: e.denial }
        throw e
      }
    }
    const a = await outcome(async () => lite.storeBatch(pair.db, b, opts))
    const before = await rowVersions(pair.pool)
    const p = await outcome(() => storeBatch.storeBatch(pair.pool, b, opts))
    expect(p).toEqual(a)
    // refused: nothing written, not even the batch
    if ('denial' in p) expect(await rowVersions(pair.pool)).toEqual(before)
    return 'denial' in p ? 'refused' : 'stored'
  }

  it('refuses and applies the demo batches per domain alike', async () => {
    const good = await demoDbtBatches()
    const half = good.length / 2
    for (const b of good.slice(0, half)) await pair.store(b)
    const outcomes: string[] = []
    for (const b of [
      ...good.slice(half),
      await demoAirflowBatch(pair.db),
      ...demoOpenLineageBatches().flat().slice(0, 12),
    ])
      for (const domain of ['sales', 'finance', 'marketing', 'product'])
        outcomes.push(await storeAs(b, domain))
    // both kinds of outcome were exercised
    expect(new Set(outcomes)).toEqual(new Set(['refused', 'stored']))
    const [pgRows, liteRows] = await pair.dumps()
    expect(pgRows).toEqual(liteRows)
  })
})
