import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../collectors/batch.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { storeBatch } from '../../db/pg/queries/store-batch.ts'
import { createDatabase, someoneWaits } from './helpers.ts'
import { demoDbtBatches, dumpPg } from './store-batch-fixtures.ts'

// Replicas re-storing what is stored do not wait for each other (#16): a row a batch leaves as it
// is (a domain, a check, a product, a dataset, a job) is not written, so not locked. Writer A
// holds its transaction open after writing a demo dbt project's domains, datasets, jobs, checks
// and products again; writer B stores the same again meanwhile and must commit before A does.
// With an upsert whose update does nothing (ON CONFLICT DO UPDATE … WHERE false still locks the
// row it finds), B waited for A's commit on the project's domain row.
const NOW = '2026-01-05T00:00:00.000Z'

let pool: pg.Pool
beforeAll(async () => {
  pool = await openPgPool(await createDatabase())
})
afterAll(() => pool.end())

/** The project's described rows (no runs: a run named by two writers is merged under its lock). */
const described = (b: Batch): Batch => ({
  ...b,
  runs: [],
  assertions: [],
  metrics: [],
})

describe('storeBatch on PostgreSQL leaves rows a batch does not change unlocked', () => {
  it("stores a project's unchanged rows while another writer holds the same rows' batch open", async () => {
    const [dbt] = await demoDbtBatches()
    if (!dbt) throw new Error('no demo dbt batch')
    const batch = described(dbt)
    expect(batch.domains.length).toBeGreaterThan(0)
    expect(batch.checks.length).toBeGreaterThan(0)
    expect(batch.products.length).toBeGreaterThan(0)
    await storeBatch.storeBatch(pool, batch, { contentHash: 'first', now: NOW })
    const before = await dumpPg(pool)

    const a = await pool.connect()
    try {
      await a.query('begin')
      await storeBatch.writeBatch(a, batch, { contentHash: 'a', now: NOW })
      // B either commits, or waits for a lock A holds: the first of the two
      const b = storeBatch
        .storeBatch(pool, batch, { contentHash: 'b', now: NOW })
        .then(() => 'stored')
      const outcome = await Promise.race([b, someoneWaits(pool).then(() => 'waited')])
      await a.query('commit')
      await b
      expect(outcome).toBe('stored')
    } finally {
      a.release()
    }
    // the same rows, and the two new batches kept
    const after = await dumpPg(pool)
    expect({ ...after, batches: [] }).toEqual({ ...before, batches: [] })
    expect(after.batches?.map((x) => x.content_hash)).toEqual(['first', 'a', 'b'])
  })
})
