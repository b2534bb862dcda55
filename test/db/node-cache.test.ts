import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { storeRawEvents, type RawEventInput } from '../../db/queries/raw-events.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { prepareEvent } from '../../server/openlineage.ts'

// The node cache lets a stream of events that repeat the same datasets skip their upserts. It must
// never skip one that would change the store: after another connection's write, after another
// write on this connection, or after a transaction that rolled back.
const NS = 'duckdb://mesh'
const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python'
const SCHEMA_URL = 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json'

let n = 0
function event(columns: string[]): RawEventInput {
  n++
  const p = prepareEvent({
    eventType: 'COMPLETE',
    eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    run: { runId: `00000000-0000-7000-8000-${n.toString(16).padStart(12, '0')}` },
    job: { namespace: 'airflow', name: 'dag.task' },
    outputs: [
      {
        namespace: NS,
        name: 'mesh.raw.orders',
        facets: {
          schema: {
            _producer: PRODUCER,
            _schemaURL: SCHEMA_URL,
            fields: columns.map((name) => ({ name, type: 'INTEGER' })),
          },
        },
      },
    ],
    producer: PRODUCER,
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  })
  if (!p.ok) throw new Error(p.reason)
  return p.item
}

const columnsOf = (db: Db) =>
  db.$client
    .prepare(`select columns from datasets where namespace = ? and name = ?`)
    .pluck()
    .get(NS, 'mesh.raw.orders')
const descriptionOf = (db: Db) =>
  db.$client
    .prepare(`select description from datasets where namespace = ? and name = ?`)
    .pluck()
    .get(NS, 'mesh.raw.orders')
const versions = (db: Db) =>
  db.$client.prepare('select count(*) from dataset_versions').pluck().get()
const NOW = '2026-01-02T00:00:00.000Z'

/** A dbt-like snapshot that rewrites the dataset's columns and description. */
function rewrite(db: Db, columns: string[], description: string) {
  const b = emptyBatch('dbt', 'dbt:test')
  b.datasets.push({
    namespace: NS,
    name: 'mesh.raw.orders',
    description,
    columns: columns.map((name) => ({ name, type: 'TEXT' })),
  })
  storeBatch(db, b, { contentHash: `rewrite-${columns.join()}-${description}`, now: NOW })
}

describe('node cache', () => {
  it('writes a dataset again after another connection changed it', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'meshwatch-cache-')), 'store.db')
    const ours = openDb(file)
    const other = openDb(file)
    try {
      storeRawEvents(ours, [event(['id'])], NOW)
      storeRawEvents(ours, [event(['id'])], NOW) // cached from here on
      rewrite(other, ['id', 'name'], 'from dbt')
      storeRawEvents(ours, [event(['id'])], NOW)
      expect(JSON.parse(String(columnsOf(ours)))).toEqual([{ name: 'id', type: 'INTEGER' }])
      // id → id,name (TEXT) → id again: three schema versions, none missed.
      expect(versions(ours)).toBe(3)
    } finally {
      closeDb(other)
      closeDb(ours)
    }
  })

  it('writes a dataset again after another write on the same connection', () => {
    const db = openDb(':memory:')
    storeRawEvents(db, [event(['id'])], NOW)
    storeRawEvents(db, [event(['id'])], NOW)
    rewrite(db, ['id', 'name'], 'from dbt')
    storeRawEvents(db, [event(['id'])], NOW)
    expect(JSON.parse(String(columnsOf(db)))).toEqual([{ name: 'id', type: 'INTEGER' }])
    expect(descriptionOf(db)).toBe('from dbt')
    expect(versions(db)).toBe(3)
  })

  it('does not trust what a rolled-back transaction cached', () => {
    const db = openDb(':memory:')
    storeRawEvents(db, [event(['id'])], NOW)
    // A chunk whose derivations fail after the dataset's upsert: nothing of it is kept, and
    // the cache must not claim the dataset now has columns id,extra.
    const bad = event(['id', 'extra'])
    bad.batch.metrics.push({
      dataset: { namespace: NS, name: 'mesh.raw.orders' },
      name: 'row_count',
      value: Number.NaN,
      observedAt: NOW,
    })
    expect(() => storeRawEvents(db, [bad], NOW)).toThrow(/NOT NULL constraint failed/)
    db.$client.prepare(`update datasets set columns = null where name = 'mesh.raw.orders'`).run()
    storeRawEvents(db, [event(['id', 'extra'])], NOW)
    expect(JSON.parse(String(columnsOf(db)))).toEqual([
      { name: 'id', type: 'INTEGER' },
      { name: 'extra', type: 'INTEGER' },
    ])
  })

  it('skips the upserts of unchanged nodes in a stream of repeated events', () => {
    const db = openDb(':memory:')
    const updatedAt = () =>
      db.$client
        .prepare(`select updated_at from datasets where name = 'mesh.raw.orders'`)
        .pluck()
        .get()
    storeRawEvents(db, [event(['id'])], '2026-01-02T00:00:00.000Z')
    storeRawEvents(db, [event(['id'])], '2026-01-03T00:00:00.000Z')
    // Unchanged: not rewritten (updated_at is when it last changed).
    expect(updatedAt()).toBe('2026-01-02T00:00:00.000Z')
    storeRawEvents(db, [event(['id', 'name'])], '2026-01-04T00:00:00.000Z')
    expect(updatedAt()).toBe('2026-01-04T00:00:00.000Z')
    expect(versions(db)).toBe(2)
  })
})
