import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { latestSnapshotBatches } from '../../db/queries/gate.ts'
import { batchPayload, clearDerived, listBatchOrder } from '../../db/queries/replay.ts'
import { storeBatch, writeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// The kept batches are the store's source of truth: replay rebuilds every derived row from them,
// and the gate's baseline is the newest one of each project. Both on a real SQLite store.
const ds = (name: string) => ({ namespace: 'duckdb://mesh', name })

function project(scope: string, models: string[], kind: Batch['kind'] = 'dbt'): Batch {
  const b = emptyBatch(kind, scope)
  b.replaceEdges = true
  for (const m of models) {
    b.datasets.push({ ...ds(m), kind: 'model', columns: [{ name: 'id', type: 'int' }] })
    b.jobs.push({ namespace: 'dbt', name: m, type: 'dbt_model' })
    b.edges.push({ job: { namespace: 'dbt', name: m }, dataset: ds(m), direction: 'output' })
  }
  return b
}

const store = (db: Db, b: Batch, now: string) =>
  storeBatch(db, b, { contentHash: hashBatch(b), now })

const count = (db: Db, table: string) =>
  (db.$client.prepare(`select count(*) as n from ${table}`).get() as { n: number }).n

describe('kept batches', () => {
  it('give back the stored JSON text, in received order', () => {
    const db = openDb(':memory:')
    const a = project('dbt:a', ['m.a'])
    const b = project('dbt:b', ['m.b'])
    const ra = store(db, a, '2026-11-25T10:00:00.000Z')
    const rb = store(db, b, '2026-11-25T09:00:00.000Z')
    expect(listBatchOrder(db).map((x) => x.id)).toEqual([rb.batchId, ra.batchId])
    expect(JSON.parse(batchPayload(db, ra.batchId ?? -1) ?? 'null')).toEqual(a)
    expect(batchPayload(db, 999)).toBeUndefined()
  })

  it('clearDerived empties every derived table, keeps the batches, and restarts the ids', () => {
    const db = openDb(':memory:')
    const b = project('dbt:a', ['m.a', 'm.b'])
    store(db, b, '2026-11-25T10:00:00.000Z')
    const before = db.$client.prepare('select id, name from datasets order by id').all()
    db.$client.pragma('foreign_keys = OFF')
    db.transaction(() => clearDerived(db))
    for (const t of ['datasets', 'jobs', 'lineage_edges', 'dataset_versions', 'products', 'runs'])
      expect(count(db, t), t).toBe(0)
    expect(count(db, 'batches')).toBe(1)
    // a rebuild from the kept payload numbers rows as before
    db.transaction(() => {
      const kept = JSON.parse(batchPayload(db, listBatchOrder(db)[0]?.id ?? -1) ?? 'null') as Batch
      writeBatch(db, kept, {
        contentHash: hashBatch(kept),
        now: '2026-11-25T10:00:00.000Z',
        keepRaw: false,
      })
    })
    db.$client.pragma('foreign_keys = ON')
    expect(db.$client.prepare('select id, name from datasets order by id').all()).toEqual(before)
    expect(count(db, 'lineage_edges')).toBe(2)
    expect(db.$client.pragma('foreign_key_check')).toEqual([])
  })
})

describe('latestSnapshotBatches', () => {
  it('is the newest batch of each dbt project and Airflow instance, not OpenLineage events', () => {
    const db = openDb(':memory:')
    store(db, project('dbt:a', ['m.old']), '2026-11-25T08:00:00.000Z')
    const newest = project('dbt:a', ['m.new'])
    store(db, newest, '2026-11-25T09:00:00.000Z')
    store(db, project('dbt:b', ['m.b']), '2026-11-25T08:30:00.000Z')
    store(db, project('openlineage', ['m.ol'], 'openlineage'), '2026-11-25T10:00:00.000Z')
    const snaps = latestSnapshotBatches(db)
    expect(snaps.map((s) => [s.kind, s.scope]).sort()).toEqual([
      ['dbt', 'dbt:a'],
      ['dbt', 'dbt:b'],
    ])
    const a = snaps.find((s) => s.scope === 'dbt:a')
    expect(JSON.parse(a?.payload ?? 'null')).toEqual(newest)
  })
})
