import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import {
  loadOrchestrationJobs,
  loadProductFacts,
  type LoadFactsOptions,
} from '../../db/queries/quality.ts'
import { loadRootCauseGraph } from '../../db/queries/quality-graph.ts'
import { readStatement } from '../../db/queries/statements.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// The quality loaders on a real SQLite store: what the evaluators are given for a product, and
// what a root cause walks. A wrong fact here is a wrong score or a wrong culprit everywhere.
const NS = 'duckdb://mesh'
const NOW = new Date('2026-11-25T12:00:00Z')
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString()
const ds = (name: string) => ({ namespace: NS, name })
const job = (name: string) => ({ namespace: 'airflow', name })

/**
 * raw_a ─load_b→ b ─build_c→ c (product p.c) and far ─j_far1→ f1 ─j_far2→ f2 ─j_far3→ f3 ─j_far4→ raw_a:
 * a failing test on raw_a (2 dataset hops above c), a stale source src (read by load_b, 2 hops),
 * and a failing test on `far` (6 dataset hops above c).
 */
function mesh(): Batch {
  const b = emptyBatch('openlineage', 'test:quality-loaders')
  for (const name of ['raw_a', 'b', 'src', 'far', 'f1', 'f2', 'f3'])
    b.datasets.push({ ...ds(`mesh.${name}`), domain: 'sales', kind: 'model' })
  b.datasets.push({
    ...ds('mesh.c'),
    domain: 'sales',
    kind: 'model',
    access: 'public',
    contractEnforced: true,
  })
  b.jobs.push(
    {
      ...job('daily'),
      type: 'airflow_dag',
      domain: 'sales',
      schedule: { cron: '0 6 * * *', timezone: 'UTC' },
    },
    { ...job('daily.load_b'), type: 'airflow_task', domain: 'sales', parent: job('daily') },
    { ...job('daily.build_c'), type: 'airflow_task', domain: 'sales', parent: job('daily') },
  )
  const flow = (j: string, from: string[], to: string) => {
    if (!b.jobs.some((x) => x.name === j)) b.jobs.push({ ...job(j), type: 'job', domain: 'sales' })
    for (const f of from)
      b.edges.push({ job: job(j), dataset: ds(`mesh.${f}`), direction: 'input' })
    b.edges.push({ job: job(j), dataset: ds(`mesh.${to}`), direction: 'output' })
  }
  flow('daily.load_b', ['raw_a', 'src'], 'b')
  flow('daily.build_c', ['b'], 'c')
  flow('j_far1', ['far'], 'f1')
  flow('j_far2', ['f1'], 'f2')
  flow('j_far3', ['f2'], 'f3')
  flow('j_far4', ['f3'], 'raw_a')
  // build_c: a success 40 days ago (outside a 30-day window) and a failure 2 h ago.
  b.runs.push(
    {
      runId: 'c-old',
      job: job('daily.build_c'),
      state: 'COMPLETE',
      startedAt: at(960.5),
      endedAt: at(960),
      rowsAffected: 10,
    },
    {
      runId: 'c-now',
      job: job('daily.build_c'),
      state: 'FAIL',
      startedAt: at(2.5),
      endedAt: at(2),
      error: 'boom',
    },
    {
      runId: 'daily-1',
      job: job('daily'),
      state: 'FAIL',
      startedAt: at(3),
      endedAt: at(2),
      facets: { deadline: { missed: true } },
    },
  )
  const test = (dataset: string, key: string, status: 'pass' | 'fail', hoursAgo: number) => {
    b.assertions.push({
      key,
      dataset: ds(`mesh.${dataset}`),
      name: key,
      status,
      severity: 'error',
      observedAt: at(hoursAgo),
      origin: 'dbt',
    })
  }
  for (const [d, key] of [
    ['c', 'unique_c_id'],
    ['raw_a', 'not_null_raw_a_id'],
    ['far', 'unique_far_id'],
  ] as const)
    b.checks.push({
      key,
      dataset: ds(`mesh.${d}`),
      kind: 'unique',
      name: key,
      severity: 'error',
      origin: 'dbt',
    })
  // c's test failed, then passed: the latest result counts.
  test('c', 'unique_c_id', 'fail', 30)
  test('c', 'unique_c_id', 'pass', 3)
  test('raw_a', 'not_null_raw_a_id', 'fail', 4)
  test('far', 'unique_far_id', 'fail', 4)
  b.metrics.push(
    { dataset: ds('mesh.c'), name: 'row_count', value: 90, observedAt: at(26), runId: 'c-old' },
    { dataset: ds('mesh.c'), name: 'row_count', value: 100, observedAt: at(2) },
    {
      dataset: ds('mesh.src'),
      name: 'freshness_age_seconds',
      value: 90_000,
      status: 'error',
      observedAt: at(1),
    },
  )
  b.products.push({
    id: 'p.c',
    name: 'C',
    domain: 'sales',
    owner: 'team',
    origin: 'config',
    outputs: [ds('mesh.c')],
    sla: { freshness: { max_age_hours: 24 } },
  })
  return b
}

function seeded(): Db {
  const db = openDb(':memory:')
  const b = mesh()
  storeBatch(db, b, { contentHash: hashBatch(b), now: at(1) })
  return db
}

const OPTS: LoadFactsOptions = { now: NOW, windowDays: 30, upstreamDepth: 3 }

describe('loadProductFacts', () => {
  it('gives each product its outputs with producers, their DAG, runs, tests and metrics', () => {
    const db = seeded()
    const { rows, facts } = loadProductFacts(db, OPTS)
    expect(rows.map((r) => [r.id, r.sla])).toEqual([['p.c', { freshness: { max_age_hours: 24 } }]])
    const [p] = facts
    expect(p).toMatchObject({ id: 'p.c', name: 'C', domain: 'sales', owner: 'team' })
    const [out] = p?.outputs ?? []
    // the dataset row as stored: a boolean stays a boolean
    expect(out).toMatchObject({
      namespace: NS,
      name: 'mesh.c',
      kind: 'model',
      access: 'public',
      contractEnforced: true,
    })
    expect(out?.producers.map((j) => [j.name, j.type])).toEqual([['daily.build_c', 'airflow_task']])
    // the producer's parent DAG, its schedule parsed, its newest run in the window with facets
    expect(out?.dags).toHaveLength(1)
    expect(out?.dags[0]).toMatchObject({
      name: 'daily',
      schedule: { cron: '0 6 * * *', timezone: 'UTC' },
      lastSuccessAt: null,
      latestRun: { runId: 'daily-1', facets: { deadline: { missed: true } } },
    })
    // the failure inside the window, and the latest success however old (with no start)
    expect(out?.runs).toEqual([
      {
        jobId: expect.any(Number),
        state: 'FAIL',
        startedAt: at(2.5),
        endedAt: at(2),
        error: 'boom',
      },
      {
        jobId: expect.any(Number),
        state: 'COMPLETE',
        startedAt: null,
        endedAt: at(960),
        error: null,
      },
    ])
    expect(out?.assertions.map((a) => [a.key, a.status, a.observedAt])).toEqual([
      ['unique_c_id', 'pass', at(3)],
    ])
    // row counts oldest first (the old success's rows_affected is outside the window); a metric
    // recorded with a run id is a write
    expect(out?.volume.map((m) => [m.name, m.value])).toEqual([
      ['row_count', 90],
      ['row_count', 100],
    ])
    expect(out?.writeSignals).toEqual([at(26)])
    expect(out?.freshness).toBeNull()
  })

  it('finds failing tests and stale sources upstream within the depth, at their dataset hop', () => {
    const db = seeded()
    const up = (depth: number) =>
      loadProductFacts(db, { ...OPTS, upstreamDepth: depth })
        .facts[0]?.upstream.map((u) => [
          u.name,
          u.depth,
          u.assertions.map((a) => a.status),
          u.freshness?.status ?? null,
        ])
        .sort() ?? []
    expect(up(3)).toEqual([
      ['mesh.raw_a', 2, ['fail'], null],
      ['mesh.src', 2, [], 'error'],
    ])
    expect(up(1)).toEqual([])
    // far is 6 dataset hops above c: far → f1 → f2 → f3 → raw_a → b → c
    expect(up(6).map((u) => u[0])).toEqual(['mesh.far', 'mesh.raw_a', 'mesh.src'])
    expect(up(6).find((u) => u[0] === 'mesh.far')?.[1]).toBe(6)
  })

  it('loads only the products asked for', () => {
    const db = seeded()
    expect(loadProductFacts(db, { ...OPTS, productIds: ['nope'] }).facts).toEqual([])
    expect(loadProductFacts(db, { ...OPTS, productIds: ['p.c'] }).facts.map((f) => f.id)).toEqual([
      'p.c',
    ])
  })
})

describe('loadRootCauseGraph', () => {
  it('walks upstream with lineage, parent and declared job-dependency edges', () => {
    const db = seeded()
    const extra = emptyBatch('openlineage', 'test:deps')
    extra.jobs.push(
      { ...job('ingest'), type: 'job', domain: 'sales' },
      {
        ...job('daily.build_c'),
        type: 'airflow_task',
        domain: 'sales',
        parent: job('daily'),
        meta: { upstreamJobs: [{ namespace: 'airflow', name: 'ingest' }] },
      },
    )
    storeBatch(db, extra, { contentHash: hashBatch(extra), now: at(1) })
    const orchestration = loadOrchestrationJobs(db)
    const id = (name: string) =>
      readStatement<{ id: number }>(db, 'select id from jobs where name = ?').all(name)[0]?.id
    expect(orchestration.dependencies).toEqual([[id('ingest'), id('daily.build_c')]])

    const g = loadRootCauseGraph(db, 'p.c', { depth: 8, now: NOW, orchestration })
    expect(g).toBeDefined()
    const name = new Map(g?.nodes.map((n) => [n.id, n.name]))
    const edges = g?.edges.map((e) => `${name.get(e.source)} > ${name.get(e.target)} (${e.via})`)
    expect(edges).toEqual(
      expect.arrayContaining([
        'mesh.b > daily.build_c (lineage)',
        'daily.build_c > mesh.c (lineage)',
        'mesh.raw_a > daily.load_b (lineage)',
        'daily > daily.build_c (parent)',
        'ingest > daily.build_c (orchestration)',
      ]),
    )
    const node = (n: string) => g?.nodes.find((x) => x.name === n)
    expect(node('daily.build_c')).toMatchObject({
      kind: 'job',
      lastSuccessAt: at(960),
      latestRun: { state: 'FAIL', at: at(2), error: 'boom' },
      latestFailure: { at: at(2), error: 'boom' },
    })
    expect(node('daily')?.schedule).toEqual({ cron: '0 6 * * *', timezone: 'UTC' })
    expect(node('mesh.raw_a')?.assertions?.map((a) => a.status)).toEqual(['fail'])
    expect(node('mesh.src')?.freshness?.status).toBe('error')
    // without the preloaded orchestration jobs, the same graph
    const alone = loadRootCauseGraph(db, 'p.c', { depth: 8, now: NOW })
    expect(alone?.edges.length).toBe(g?.edges.length)
  })

  it('is undefined for a product that does not exist', () => {
    expect(loadRootCauseGraph(seeded(), 'nope', { depth: 8, now: NOW })).toBeUndefined()
  })
})

describe('readStatement', () => {
  it('compiles a text once per connection and reads what was written since', () => {
    const db = seeded()
    const text = 'select count(*) as n from datasets'
    const s = readStatement<{ n: number }>(db, text)
    expect(readStatement(db, text)).toBe(s)
    expect(s.all()).toEqual([{ n: 8 }])
    const other = openDb(':memory:')
    expect(readStatement(other, text)).not.toBe(s)
    expect(readStatement<{ n: number }>(other, text).all()).toEqual([{ n: 0 }])
    const b = emptyBatch('openlineage', 'test:more')
    b.datasets.push(ds('mesh.new'))
    storeBatch(db, b, { contentHash: hashBatch(b), now: at(1) })
    expect(s.all()).toEqual([{ n: 9 }])
  })
})
