import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { storeBatch } from '../../db/pg/queries/store-batch.ts'
import { ForeignWriteError } from '../../db/queries/authorize.ts'
import { hashBatch } from '../../server/ingest.ts'
import { createDatabase, someoneWaits } from './helpers.ts'

// A domain-scoped batch's ownership check races no other writer: writer B (a transaction held
// open by the test) gives a row to domain finance, and while B holds it, a sales token's batch
// naming that row is stored. Whatever the order the two commit in, the sales batch must see the
// row as B left it and be refused; without the check's locks (and its guard on rows it found
// absent) it read the row before B's change and wrote over it.
const NOW = '2026-01-05T00:00:00.000Z'
const NS = 'duckdb://mesh'

let pool: pg.Pool
beforeAll(async () => {
  pool = await openPgPool(await createDatabase())
})
afterAll(() => pool.end())

const options = (b: Batch, domain?: string) => ({
  contentHash: hashBatch(b),
  now: NOW,
  ...(domain ? { domain } : {}),
})

function claim(name: string, domain: string): Batch {
  const b = emptyBatch('openlineage', 'openlineage')
  b.datasets.push({ namespace: NS, name, domain, description: `${domain}'s` })
  b.edges.push({
    job: { namespace: 'j', name: `${domain}.job` },
    dataset: { namespace: NS, name },
    direction: 'output',
  })
  return b
}

/** B writes `change` in an open transaction; the sales batch is stored meanwhile; B commits. */
async function race(change: Batch): Promise<unknown> {
  const b = await pool.connect()
  try {
    await b.query('begin')
    await storeBatch.writeBatch(b, change, options(change))
    const a = claim(change.datasets[0]?.name ?? '', 'sales')
    const sales = storeBatch.storeBatch(pool, a, options(a, 'sales')).then(
      () => 'stored',
      (e: unknown) => e,
    )
    await someoneWaits(pool)
    await b.query('commit')
    return await sales
  } finally {
    b.release()
  }
}

const owner = async (name: string) =>
  (
    await pool.query<{ domain: string | null; description: string | null }>(
      'select domain, description from datasets where name = $1',
      [name],
    )
  ).rows[0]

describe('storeBatch on PostgreSQL checks a scoped batch against rows as they are locked', () => {
  it('refuses a batch naming a stored row another writer gives away meanwhile', async () => {
    const unowned = emptyBatch('openlineage', 'openlineage')
    unowned.datasets.push({ namespace: NS, name: 'shared.orders' })
    await storeBatch.storeBatch(pool, unowned, options(unowned))
    const outcome = await race(claim('shared.orders', 'finance'))
    expect(outcome).toBeInstanceOf(ForeignWriteError)
    expect((outcome as ForeignWriteError).denial).toMatchObject({
      what: 'dataset',
      path: '$.datasets[0]',
    })
    expect(await owner('shared.orders')).toEqual({ domain: 'finance', description: "finance's" })
  })

  it('refuses a batch naming a new row another writer creates meanwhile', async () => {
    const outcome = await race(claim('new.orders', 'finance'))
    expect(outcome).toBeInstanceOf(ForeignWriteError)
    expect(await owner('new.orders')).toEqual({ domain: 'finance', description: "finance's" })
    const edges = await pool.query<{ name: string }>(
      `select j.name from lineage_edges e join jobs j on j.id = e.job_id
         join datasets d on d.id = e.dataset_id where d.name = 'new.orders'`,
    )
    expect(edges.rows).toEqual([{ name: 'finance.job' }])
  })

  it('stores a batch of the same domain after the other writer commits', async () => {
    const b = await pool.connect()
    try {
      await b.query('begin')
      const first = claim('sales.orders', 'sales')
      await storeBatch.writeBatch(b, first, options(first))
      const again = claim('sales.orders', 'sales')
      again.datasets[0] = { namespace: NS, name: 'sales.orders', owner: 'ana' }
      const sales = storeBatch.storeBatch(pool, again, options(again, 'sales'))
      await someoneWaits(pool)
      await b.query('commit')
      expect((await sales).duplicate).toBe(false)
    } finally {
      b.release()
    }
    const r = await pool.query('select domain, owner from datasets where name = $1', [
      'sales.orders',
    ])
    expect(r.rows).toEqual([{ domain: 'sales', owner: 'ana' }])
  })
})

describe('storeBatch on PostgreSQL merges a run another writer inserts meanwhile', () => {
  it('merges onto the run when its held insert finds it inserted since its read', async () => {
    const job = { namespace: 'merge', name: 'raced' }
    const run = (state: 'START' | 'COMPLETE', more: Record<string, string>) => {
      const b = emptyBatch('openlineage', 'openlineage')
      b.jobs.push({ ...job, type: 'job' })
      b.runs.push({ runId: 'raced-run', job, state, ...more })
      return b
    }
    const start = run('START', { startedAt: '2026-01-05T00:00:00Z' })
    const complete = run('COMPLETE', { endedAt: '2026-01-05T00:05:00Z' })
    // the job exists first, so only the run's insert waits for the open transaction
    const jobOnly = emptyBatch('openlineage', 'openlineage')
    jobOnly.jobs.push({ ...job, type: 'job' })
    await storeBatch.storeBatch(pool, jobOnly, options(jobOnly))
    const b = await pool.connect()
    try {
      await b.query('begin')
      await storeBatch.writeBatch(b, start, options(start))
      const later = storeBatch.storeBatch(pool, complete, options(complete))
      await someoneWaits(pool)
      await b.query('commit')
      expect((await later).duplicate).toBe(false)
    } finally {
      b.release()
    }
    const r = await pool.query(
      `select state, started_at, ended_at from runs where run_id = 'raced-run'`,
    )
    expect(r.rows).toEqual([
      { state: 'COMPLETE', started_at: '2026-01-05T00:00:00Z', ended_at: '2026-01-05T00:05:00Z' },
    ])
  })
})

describe('storeBatch on PostgreSQL moves earlier test results only off datasets its domain may write', () => {
  it("waits for a writer giving a result's dataset to another domain, then leaves the result", async () => {
    // an OpenLineage emitter's result of test not_null_x on raw.x (unowned), under its own key
    const seed = emptyBatch('openlineage', 'openlineage')
    seed.datasets.push(
      { namespace: NS, name: 'raw.x' },
      { namespace: NS, name: 'sales.y', domain: 'sales' },
    )
    seed.assertions.push({
      key: `openlineage:${NS}:raw.x:not_null_x`,
      dataset: { namespace: NS, name: 'raw.x' },
      name: 'not_null_x',
      status: 'fail',
      severity: 'error',
      observedAt: '2026-01-04T00:00:00Z',
      origin: 'openlineage',
    })
    await storeBatch.storeBatch(pool, seed, options(seed))
    // sales' dbt names that test on its own dataset: the result would move onto its check
    const dbt = emptyBatch('dbt', 'dbt:sales')
    dbt.datasets.push({ namespace: NS, name: 'sales.y', domain: 'sales' })
    dbt.checks.push({
      key: 'test.sales.not_null_x',
      dataset: { namespace: NS, name: 'sales.y' },
      kind: 'not_null',
      name: 'not_null_x',
      severity: 'error',
      origin: 'dbt',
    })
    const b = await pool.connect()
    try {
      await b.query('begin')
      const change = emptyBatch('openlineage', 'openlineage')
      change.datasets.push({ namespace: NS, name: 'raw.x', domain: 'finance' })
      await storeBatch.writeBatch(b, change, options(change))
      const sales = storeBatch.storeBatch(pool, dbt, options(dbt, 'sales'))
      try {
        await Promise.race([
          someoneWaits(pool),
          sales.then(() => {
            throw new Error("the sales batch was stored while raw.x's new owner was uncommitted")
          }),
        ])
      } finally {
        await b.query('commit')
      }
      expect((await sales).duplicate).toBe(false)
    } finally {
      b.release()
    }
    const r = await pool.query<{ key: string; name: string }>(
      `select a.key, d.name from assertions a join datasets d on d.id = a.dataset_id
        where a.name = 'not_null_x'`,
    )
    expect(r.rows).toEqual([{ key: `openlineage:${NS}:raw.x:not_null_x`, name: 'raw.x' }])
  })
})
