import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyBatch, type Batch, type Run } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { storeBatch } from '../../db/pg/queries/store-batch.ts'
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

describe('storeBatch on PostgreSQL', () => {
  let pool: pg.Pool
  let db: Db
  let clock = Date.parse('2026-01-01T00:00:00.000Z')
  const tick = () => new Date((clock += 60_000)).toISOString()

  beforeAll(async () => {
    pool = await openPgPool(await createDatabase())
    db = openDb(':memory:')
  })
  afterAll(async () => {
    await pool.end()
  })

  /** Stores `b` on both engines, expects the same result, then stores it again on both. */
  async function store(b: Batch, extra: Partial<StoreOptions> = {}): Promise<StoreResult> {
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
  }

  const expectSameStores = async () => expect(await dumpPg(pool)).toEqual(dumpSqlite(db))

  it('stores the demo dbt builds (good day, then bad day) as SQLite does', async () => {
    const batches = await demoDbtBatches()
    expect(batches.length).toBeGreaterThan(4)
    for (const b of batches) await store(b)
    await expectSameStores()
  })

  it('stores the recorded Airflow as SQLite does', async () => {
    await store(await demoAirflowBatch(db))
    await expectSameStores()
  })

  it("stores dbt-ol's events one by one, and folded, as SQLite does", async () => {
    const [first, second, ...rest] = demoOpenLineageBatches()
    for (const b of [...(first ?? []), ...(second ?? [])]) await store(b)
    for (const events of rest) {
      const { batch, schemas } = foldBatches(events)
      await store(batch, schemas ? { schemas } : {})
    }
    await expectSameStores()
  })

  it('stores JUnit reports as SQLite does', async () => {
    for (const b of demoJunitBatches()) await store(b)
    await expectSameStores()
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
    await expectSameStores()
    const r = await pool.query<{ run_id: string; state: string }>(
      `select run_id, state from runs where run_id in ('r1', 'r2', 'r3') order by run_id`,
    )
    expect(r.rows).toEqual([
      { run_id: 'r1', state: 'COMPLETE' },
      { run_id: 'r2', state: 'FAIL' },
      { run_id: 'r3', state: 'COMPLETE' },
    ])
  })
})
