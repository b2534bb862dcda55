import { describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../db/client.ts'
import {
  deleteRawEvents,
  listRawEventsBefore,
  listRunEvents,
  pageRawEvents,
  storeRawEvents,
  type RawEventInput,
} from '../../db/queries/raw-events.ts'
import { pruneRawEvents, replayStore, prepareEvent } from '../../server/openlineage.ts'
import { sqliteStore } from '../../db/store.ts'

// Raw OpenLineage events: kept once each, in receipt order, and folded into lineage so that the
// store ends as if each event had been stored on its own, in order; retention deletes old raw
// events without losing what they implied.

const NS = 'duckdb://mesh'
const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python'
const SCHEMA_URL = 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json'
const EVENT_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent'

const schema = (cols: string[]) => ({
  schema: {
    _producer: PRODUCER,
    _schemaURL: SCHEMA_URL,
    fields: cols.map((name) => ({ name, type: 'INTEGER' })),
  },
})

interface Spec {
  type: 'START' | 'RUNNING' | 'COMPLETE' | 'FAIL'
  run: number
  job: string
  at: number
  inputs?: string[]
  outputs?: [string, string[]][]
}

function event(s: Spec): RawEventInput {
  const p = prepareEvent({
    eventType: s.type,
    eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, s.at)).toISOString(),
    run: { runId: `00000000-0000-7000-8000-${s.run.toString(16).padStart(12, '0')}` },
    job: { namespace: 'airflow', name: s.job },
    inputs: (s.inputs ?? []).map((name) => ({ namespace: NS, name })),
    outputs: (s.outputs ?? []).map(([name, cols]) => ({
      namespace: NS,
      name,
      facets: schema(cols),
    })),
    producer: PRODUCER,
    schemaURL: EVENT_URL,
  })
  if (!p.ok) throw new Error(p.reason)
  return p.item
}

// Two runs of a load job (the schema gains a column), a model reading its output, one run failing.
const STREAM: RawEventInput[] = [
  event({ type: 'START', run: 1, job: 'load', at: 1, inputs: ['raw.orders'] }),
  event({
    type: 'COMPLETE',
    run: 1,
    job: 'load',
    at: 2,
    inputs: ['raw.orders'],
    outputs: [['stg.orders', ['id']]],
  }),
  event({ type: 'START', run: 2, job: 'model', at: 3, inputs: ['stg.orders'] }),
  event({
    type: 'COMPLETE',
    run: 2,
    job: 'model',
    at: 4,
    inputs: ['stg.orders'],
    outputs: [['mart.orders', ['id']]],
  }),
  event({ type: 'START', run: 3, job: 'load', at: 5, inputs: ['raw.orders'] }),
  event({
    type: 'COMPLETE',
    run: 3,
    job: 'load',
    at: 6,
    outputs: [['stg.orders', ['id', 'amount']]],
  }),
  event({ type: 'START', run: 4, job: 'model', at: 7 }),
  event({ type: 'FAIL', run: 4, job: 'model', at: 8 }),
]

const NOW = '2026-01-02T00:00:00.000Z'

/** What the events implied, by natural keys (no row ids, which depend on insert order). */
function lineageOf(db: Db) {
  const q = <T = unknown>(s: string) => db.$client.prepare<[], T>(s).all()
  return {
    datasets: q(`select namespace, name, columns from datasets order by namespace, name`),
    jobs: q(`select namespace, name, type from jobs order by namespace, name`),
    edges: q(`select j.name as job, d.name as dataset, e.direction from lineage_edges e
      join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id order by 1, 2, 3`),
    runs: q(`select r.run_id, j.name as job, r.state, r.started_at, r.ended_at from runs r
      join jobs j on j.id = r.job_id order by r.run_id`),
    versions: q<{
      name: string
      columns: string
      observed_at: string
    }>(`select d.name, v.columns, v.observed_at from dataset_versions v
      join datasets d on d.id = v.dataset_id order by d.name, v.observed_at`),
  }
}

describe('raw OpenLineage events in the store', () => {
  it('keeps each event once, says which were new, and stores its lineage', () => {
    const db = openDb(':memory:')
    const first = storeRawEvents(db, STREAM.slice(0, 2), NOW)
    expect(first.stored).toEqual([true, true])
    const again = storeRawEvents(
      db,
      [STREAM[1] as RawEventInput, STREAM[2] as RawEventInput, STREAM[2] as RawEventInput],
      NOW,
    )
    expect(again.stored).toEqual([false, true, false])
    expect(pageRawEvents(db, 0, 100)).toHaveLength(3)
    expect(lineageOf(db).edges).toEqual([
      { job: 'load', dataset: 'raw.orders', direction: 'input' },
      { job: 'load', dataset: 'stg.orders', direction: 'output' },
      { job: 'model', dataset: 'stg.orders', direction: 'input' },
    ])
  })

  it('ends the same whether events are stored one at a time or folded in one call', () => {
    const one = openDb(':memory:')
    for (const e of STREAM) storeRawEvents(one, [e], NOW)
    const folded = openDb(':memory:')
    storeRawEvents(folded, STREAM, NOW)
    expect(lineageOf(folded)).toEqual(lineageOf(one))
    expect(lineageOf(folded).runs).toMatchObject([
      { job: 'load', state: 'COMPLETE' },
      { job: 'model', state: 'COMPLETE' },
      { job: 'load', state: 'COMPLETE' },
      { job: 'model', state: 'FAIL' },
    ])
    expect(lineageOf(folded).datasets).toContainEqual({
      namespace: NS,
      name: 'stg.orders',
      columns: JSON.stringify([
        { name: 'id', type: 'INTEGER' },
        { name: 'amount', type: 'INTEGER' },
      ]),
    })
    expect(lineageOf(folded).versions.filter((v) => v.name === 'stg.orders')).toHaveLength(2)
  })

  it("lists a run's events in receipt order with their bodies", () => {
    const db = openDb(':memory:')
    storeRawEvents(db, STREAM, NOW)
    const events = listRunEvents(db, '00000000-0000-7000-8000-000000000004')
    expect(events.map((e) => e.eventType)).toEqual(['START', 'FAIL'])
    expect(events[1]?.event).toMatchObject({ eventType: 'FAIL', job: { name: 'model' } })
    expect(listRunEvents(db, 'no-such-run')).toEqual([])
  })

  it('pages raw events by id after a cursor', () => {
    const db = openDb(':memory:')
    storeRawEvents(db, STREAM, NOW)
    const first = pageRawEvents(db, 0, 3)
    const rest = pageRawEvents(db, first.at(-1)?.id ?? 0, 100)
    expect(first).toHaveLength(3)
    expect(rest).toHaveLength(STREAM.length - 3)
    expect([...first, ...rest].map((r) => r.id)).toEqual(
      [...first, ...rest].map((r) => r.id).sort((a, b) => a - b),
    )
  })

  it('lists for retention only what was received before the cutoff, stopping at the first newer event', () => {
    const db = openDb(':memory:')
    storeRawEvents(db, STREAM.slice(0, 3), '2026-01-01T00:00:00.000Z')
    storeRawEvents(db, STREAM.slice(3, 5), '2026-01-05T00:00:00.000Z')
    // A clock set back: received "earlier" but after the newer ones, so not before the cutoff in id order.
    storeRawEvents(db, STREAM.slice(5), '2026-01-01T00:00:00.000Z')
    const old = listRawEventsBefore(db, '2026-01-03T00:00:00.000Z', 0, 100)
    expect(old.map((r) => r.receivedAt)).toEqual(Array(3).fill('2026-01-01T00:00:00.000Z'))
    expect(listRawEventsBefore(db, '2026-01-03T00:00:00.000Z', 0, 2)).toHaveLength(2)
    expect(listRawEventsBefore(db, '2025-12-31T00:00:00.000Z', 0, 100)).toEqual([])
    deleteRawEvents(
      db,
      old.map((r) => r.id),
    )
    expect(pageRawEvents(db, 0, 100)).toHaveLength(STREAM.length - 3)
  })

  it('prunes old raw events without losing their lineage, and a replay rebuilds the same store', async () => {
    const db = openDb(':memory:')
    storeRawEvents(db, STREAM.slice(0, 4), '2026-01-01T00:00:00.000Z')
    storeRawEvents(db, STREAM.slice(4), '2026-01-05T00:00:00.000Z')
    const before = lineageOf(db)
    expect(await pruneRawEvents(sqliteStore(db), '2026-01-03T00:00:00.000Z')).toEqual({ pruned: 4 })
    expect(pageRawEvents(db, 0, 100)).toHaveLength(STREAM.length - 4)
    expect(lineageOf(db)).toEqual(before)
    await replayStore(sqliteStore(db), NOW)
    const after = lineageOf(db)
    expect({ ...after, versions: [] }).toEqual({ ...before, versions: [] })
    // The schema versions survive in order, but a replay dates those a compacted batch carried at
    // that batch's time (its last event), not at the event that first showed them.
    const cols = (l: typeof before) => l.versions.map((v) => `${v.name} ${v.columns}`)
    expect(cols(after)).toEqual(cols(before))
  })
})
