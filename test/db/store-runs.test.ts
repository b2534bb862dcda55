import { describe, expect, it } from 'vitest'
import { emptyBatch, type Run, type RunState } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { runs } from '../../db/schema.ts'
import { hashBatch } from '../../server/ingest.ts'

// Run state as storeBatch keeps it when observations of one run arrive in several batches, in
// any order (OpenLineage START/COMPLETE posted separately, Airflow polled again, redelivery).

const JOB = { namespace: 'default', name: 'sales.orders' }
const RUN = '0190a4f2-0000-7000-8000-000000000001'

type Obs = Partial<Run> & { state: RunState }

function deliver(db: Db, observations: Obs[], now = '2026-01-01T00:00:00.000Z') {
  const b = emptyBatch('openlineage', 'test')
  b.jobs.push({ ...JOB, type: 'job' })
  for (const o of observations) b.runs.push({ runId: RUN, job: JOB, ...o })
  storeBatch(db, b, { contentHash: hashBatch(b), now })
}

const stored = (db: Db) => {
  const all = db.select().from(runs).all()
  expect(all).toHaveLength(1)
  const [row] = all
  if (!row) throw new Error('no run stored')
  return row
}

/** Each observation in its own batch, in the order given. */
function inBatches(...observations: Obs[]) {
  const db = openDb(':memory:')
  observations.forEach((o, i) => deliver(db, [o], `2026-01-01T00:00:0${i}.000Z`))
  return stored(db)
}

const START: Obs = {
  state: 'START',
  startedAt: '2026-01-01T10:00:00Z',
  nominalTime: '2026-01-01T00:00:00Z',
}
const COMPLETE: Obs = {
  state: 'COMPLETE',
  startedAt: '2026-01-01T10:00:05Z',
  endedAt: '2026-01-01T10:05:00Z',
  rowsAffected: 42,
}
const FAIL: Obs = { state: 'FAIL', endedAt: '2026-01-01T10:06:00Z', error: 'division by zero' }

describe('storing runs across batches', () => {
  it('START then COMPLETE: complete, started at the START, ended and counted by COMPLETE', () => {
    expect(inBatches(START, COMPLETE)).toMatchObject({
      runId: RUN,
      state: 'COMPLETE',
      startedAt: '2026-01-01T10:00:00Z',
      endedAt: '2026-01-01T10:05:00Z',
      nominalTime: '2026-01-01T00:00:00Z',
      rowsAffected: 42,
    })
  })

  it('COMPLETE then a late START: stays complete and keeps the earlier start time', () => {
    const row = inBatches(COMPLETE, START)
    expect(row.state).toBe('COMPLETE')
    expect(row.startedAt).toBe('2026-01-01T10:00:00Z')
    expect(row.endedAt).toBe('2026-01-01T10:05:00Z')
    expect(row.nominalTime).toBe('2026-01-01T00:00:00Z')
  })

  it.each<{ name: string; order: Obs[]; state: RunState }>([
    {
      name: 'RUNNING after COMPLETE',
      order: [START, COMPLETE, { state: 'RUNNING' }],
      state: 'COMPLETE',
    },
    { name: 'OTHER after START', order: [START, { state: 'OTHER' }], state: 'START' },
    { name: 'OTHER after FAIL', order: [FAIL, { state: 'OTHER' }], state: 'FAIL' },
    { name: 'FAIL after RUNNING', order: [START, { state: 'RUNNING' }, FAIL], state: 'FAIL' },
    {
      name: 'a terminal state after another: the later one',
      order: [COMPLETE, FAIL],
      state: 'FAIL',
    },
  ])('$name → $state', ({ order, state }) => {
    expect(inBatches(...order).state).toBe(state)
  })

  it('an OTHER carrying metadata adds it without changing the state', () => {
    const row = inBatches(START, {
      state: 'OTHER',
      parentRunId: 'parent-1',
      facets: { tags: { a: 1 } },
    })
    expect(row).toMatchObject({
      state: 'START',
      parentRunId: 'parent-1',
      facets: { tags: { a: 1 } },
    })
  })

  it('keeps fields a later observation leaves out, and a later error wins', () => {
    const row = inBatches(START, FAIL, { state: 'FAIL', error: 'retry also failed' })
    expect(row).toMatchObject({
      state: 'FAIL',
      startedAt: '2026-01-01T10:00:00Z',
      endedAt: '2026-01-01T10:06:00Z',
      error: 'retry also failed',
    })
  })

  it('merges facets by name: a later facet of the same name replaces, others stay', () => {
    const row = inBatches(
      { state: 'START', facets: { a: { v: 1 }, b: { v: 1 } } },
      { state: 'COMPLETE', facets: { b: { v: 2 }, c: { v: 2 } } },
    )
    expect(row.facets).toEqual({ a: { v: 1 }, b: { v: 2 }, c: { v: 2 } })
  })

  it('folds several observations of one run inside one batch the same way', () => {
    const db = openDb(':memory:')
    deliver(db, [COMPLETE, START, { state: 'OTHER', facets: { x: { v: 1 } } }])
    const row = stored(db)
    expect(row).toMatchObject({
      state: 'COMPLETE',
      startedAt: '2026-01-01T10:00:00Z',
      facets: { x: { v: 1 } },
    })
  })

  it('compares start times as instants, not strings', () => {
    // 11:00+02:00 is 09:00Z: earlier than 10:00Z though it sorts later as text.
    const row = inBatches(START, { state: 'RUNNING', startedAt: '2026-01-01T11:00:00+02:00' })
    expect(row.startedAt).toBe('2026-01-01T11:00:00+02:00')
  })

  it('keeps different runs of one job apart', () => {
    const db = openDb(':memory:')
    const b = emptyBatch('openlineage', 'test')
    b.jobs.push({ ...JOB, type: 'job' })
    b.runs.push(
      { runId: 'r1', job: JOB, state: 'COMPLETE' },
      { runId: 'r2', job: JOB, state: 'FAIL' },
    )
    storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-01-01T00:00:00.000Z' })
    const rows = db.select({ runId: runs.runId, state: runs.state }).from(runs).all()
    expect(rows.sort((a, b) => a.runId.localeCompare(b.runId))).toEqual([
      { runId: 'r1', state: 'COMPLETE' },
      { runId: 'r2', state: 'FAIL' },
    ])
  })
})
