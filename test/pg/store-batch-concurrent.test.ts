import { describe, expect, it } from 'vitest'
import type { Batch } from '../../collectors/batch.ts'
import { openDb } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { storeBatch } from '../../db/pg/queries/store-batch.ts'
import { foldBatches } from '../../db/queries/fold-batches.ts'
import * as lite from '../../db/queries/store-batch.ts'
import type { StoreOptions } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'
import { createDatabase } from './helpers.ts'
import { demoOpenLineageBatches, dumpPg, dumpSqlite } from './store-batch-fixtures.ts'

// Replicas ingesting at once: three writers on one PostgreSQL store overlapping batches (one demo
// project's dbt-ol events one by one, the same events in reverse, and all of them folded into one
// batch), each batch in its own transaction, all at the same time, a round per project. Every
// store succeeds and the store ends as a serial store of the same batches does (on SQLite): one
// project's events commute (a run's START and COMPLETE merge alike in either order), so any
// serial order is that store. A batch two writers deliver at once is kept once.
const NOW = '2026-01-05T00:00:00.000Z'

interface Delivery {
  batch: Batch
  opts: StoreOptions
}

const deliver = (batch: Batch, extra: Partial<StoreOptions> = {}): Delivery => ({
  batch,
  opts: { contentHash: hashBatch(batch), now: NOW, ...extra },
})

/**
 * What does not commute left out: the batches table is a set (writers racing commit in no fixed
 * order), and a test result's run is whichever run's event reported it first (a model's test is
 * in its own run's event and in the parent invocation's).
 */
const asSet = (
  dump: Record<string, Record<string, unknown>[]>,
): Record<string, Record<string, unknown>[]> => ({
  ...dump,
  batches: [...(dump.batches ?? [])].sort((a, b) =>
    String(a.content_hash) < String(b.content_hash) ? -1 : 1,
  ),
  assertions: (dump.assertions ?? []).map(({ run_id: _, ...a }) => a),
})

describe('storeBatch from several replicas at once', () => {
  it('stores overlapping batches from three writers at once as one writer does', async () => {
    const projects = demoOpenLineageBatches()
    expect(projects.length).toBeGreaterThan(2)
    for (const events of projects) {
      const forward = events.map((b) => deliver(b))
      const backward = [...forward].reverse()
      const { batch, schemas } = foldBatches(events)
      const folded = [deliver(batch, schemas ? { schemas } : {})]

      const db = openDb(':memory:')
      for (const d of [...forward, ...folded]) lite.storeBatch(db, d.batch, d.opts)
      const serial = asSet(dumpSqlite(db))
      expect(serial.runs?.length).toBeGreaterThan(3)

      const pool = await openPgPool(await createDatabase())
      try {
        const writer = async (list: readonly Delivery[]) => {
          const out: boolean[] = []
          for (const d of list)
            out.push((await storeBatch.storeBatch(pool, d.batch, d.opts)).duplicate)
          return out
        }
        const [a, b, c] = await Promise.all([writer(forward), writer(backward), writer(folded)])
        // each event kept once: by whichever writer got there first
        const firsts = forward.map((_, i) => [a[i], b[forward.length - 1 - i]])
        expect(firsts.filter(([x, y]) => x === y)).toEqual([])
        expect(c.every((dup) => !dup)).toBe(true)
        expect(asSet(await dumpPg(pool))).toEqual(serial)
      } finally {
        await pool.end()
      }
    }
  })
})
