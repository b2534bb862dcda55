import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { foldBatches } from '../../db/queries/fold-batches.ts'
import { mergeRun } from '../../db/queries/merge.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// foldBatches is what makes a bulk OpenLineage import one write per node instead of one per event:
// its contract is that storing the fold leaves the store as storing each batch in turn would.
const NS = 'postgres://db:5432'
const ds = (name: string) => ({ namespace: NS, name })
const job = (name: string) => ({ namespace: 'etl', name })
const t = (minute: number) => new Date(Date.UTC(2026, 10, 25, 12, minute)).toISOString()

function event(minute: number, fill: (b: Batch) => void): Batch {
  const b = emptyBatch('openlineage', 'openlineage')
  b.producedAt = t(minute)
  fill(b)
  return b
}

/** Events of two runs over shared datasets: facets arriving late, a schema change, a type refined. */
function events(): Batch[] {
  return [
    event(0, (b) => {
      b.jobs.push({ ...job('load_orders'), type: 'job' })
      b.datasets.push({ ...ds('raw.orders') }, { ...ds('stg.orders'), meta: { a: 1 } })
      b.edges.push(
        { job: job('load_orders'), dataset: ds('raw.orders'), direction: 'input' },
        { job: job('load_orders'), dataset: ds('stg.orders'), direction: 'output' },
      )
      b.runs.push({ runId: 'r1', job: job('load_orders'), state: 'START', startedAt: t(0) })
    }),
    event(5, (b) => {
      b.jobs.push({ ...job('load_orders'), type: 'airflow_task', domain: 'sales' })
      b.datasets.push(
        { ...ds('raw.orders'), columns: [{ name: 'id', type: 'int' }] },
        { ...ds('stg.orders'), domain: 'sales', meta: { b: 2 } },
      )
      b.edges.push({ job: job('load_orders'), dataset: ds('stg.orders'), direction: 'output' })
      b.runs.push({ runId: 'r1', job: job('load_orders'), state: 'COMPLETE', endedAt: t(5) })
      b.metrics.push({ dataset: ds('stg.orders'), name: 'row_count', value: 10, observedAt: t(5) })
    }),
    event(9, (b) => {
      // a plain 'job' does not undo the refined type; a later schema is a new version
      b.jobs.push({ ...job('load_orders'), type: 'job', owner: 'ana' })
      b.datasets.push({ ...ds('raw.orders'), columns: [{ name: 'id', type: 'bigint' }] })
      b.runs.push(
        { runId: 'r1', job: job('load_orders'), state: 'START', startedAt: t(1) },
        { runId: 'r2', job: job('load_orders'), state: 'FAIL', startedAt: t(8), error: 'x' },
      )
    }),
  ]
}

function snapshot(db: Db) {
  const q = (text: string) => db.$client.prepare(text).all()
  return {
    // Not meta: the fold adds a later event's meta keys to the earlier ones, the upsert replaces
    // meta whole (a bulk import and the same events POSTed one at a time disagree there; reported).
    datasets: q(
      'select namespace, name, domain, kind, columns from datasets order by namespace, name',
    ),
    jobs: q('select namespace, name, type, domain, owner from jobs order by name'),
    edges: q(`select j.name as job, d.name as dataset, e.direction from lineage_edges e
      join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id order by 1, 2, 3`),
    versions: q(`select d.name, v.columns, v.observed_at from dataset_versions v
      join datasets d on d.id = v.dataset_id order by d.name, v.id`),
    runs: q('select run_id, state, started_at, ended_at, error from runs order by run_id'),
    metrics: q('select name, value, observed_at from metrics order by id'),
  }
}

describe('foldBatches', () => {
  it('stores as the same batches stored one at a time would', () => {
    const list = events()
    const oneByOne = openDb(':memory:')
    for (const b of list) storeBatch(oneByOne, b, { contentHash: hashBatch(b), now: t(30) })
    const folded = openDb(':memory:')
    const { batch, schemas } = foldBatches(list)
    storeBatch(folded, batch, { contentHash: hashBatch(batch), now: t(30), schemas })

    const expected = snapshot(oneByOne)
    expect(snapshot(folded)).toEqual(expected)
    // and what that is: the refined type kept, both schemas versioned, the run closed however
    // late its START came
    expect(expected.jobs).toEqual([
      {
        namespace: 'etl',
        name: 'load_orders',
        type: 'airflow_task',
        domain: 'sales',
        owner: 'ana',
      },
    ])
    expect(
      expected.datasets.find((d) => (d as { name: string }).name === 'stg.orders'),
    ).toMatchObject({
      domain: 'sales',
    })
    expect(expected.versions).toEqual([
      {
        name: 'raw.orders',
        columns: JSON.stringify([{ name: 'id', type: 'int' }]),
        observed_at: t(5),
      },
      {
        name: 'raw.orders',
        columns: JSON.stringify([{ name: 'id', type: 'bigint' }]),
        observed_at: t(9),
      },
    ])
    expect(expected.runs).toEqual([
      { run_id: 'r1', state: 'COMPLETE', started_at: t(0), ended_at: t(5), error: null },
      { run_id: 'r2', state: 'FAIL', started_at: t(8), ended_at: null, error: 'x' },
    ])
    expect(batch.edges).toHaveLength(2)
  })

  it('passes a single snapshot batch of another collector through unfolded', () => {
    const b = emptyBatch('dbt', 'dbt:sales')
    b.datasets.push(ds('a'), ds('a'))
    expect(foldBatches([b])).toEqual({ batch: b })
  })
})

describe('mergeRun', () => {
  const base = { runId: 'r', job: job('j') }
  it('never reopens a finished run and lets OTHER change no state', () => {
    const done = mergeRun(
      { ...base, state: 'START', startedAt: t(2) },
      { ...base, state: 'COMPLETE', endedAt: t(5) },
    )
    expect(done).toMatchObject({ state: 'COMPLETE', startedAt: t(2), endedAt: t(5) })
    expect(mergeRun(done, { ...base, state: 'START', startedAt: t(1) })).toMatchObject({
      state: 'COMPLETE',
      startedAt: t(1),
      endedAt: t(5),
    })
    expect(mergeRun(done, { ...base, state: 'OTHER' }).state).toBe('COMPLETE')
    expect(mergeRun({ ...base, state: 'RUNNING' }, { ...base, state: 'OTHER' }).state).toBe(
      'RUNNING',
    )
    // a terminal state after another terminal one: the later-received wins
    expect(mergeRun(done, { ...base, state: 'FAIL', error: 'late' })).toMatchObject({
      state: 'FAIL',
      error: 'late',
    })
  })

  it('replaces facets of the same name and keeps the others', () => {
    const r = mergeRun(
      { ...base, state: 'START', facets: { a: { v: 1 }, b: { v: 1 } } },
      { ...base, state: 'RUNNING', facets: { b: { v: 2 } } },
    )
    expect(r.facets).toEqual({ a: { v: 1 }, b: { v: 2 } })
    expect(mergeRun({ ...base, state: 'START' }, { ...base, state: 'RUNNING' })).not.toHaveProperty(
      'facets',
    )
  })
})
