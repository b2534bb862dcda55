import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { loadDemo } from '../../server/demo.ts'
import { imageOf, openImage, type StoreImage } from '../store-image.ts'
import { datasetState, DEMO_NS, FINANCE_JOB, FINANCE_REVENUE, JOB_NS } from './demo-store.ts'
import { NOW, rowCounts, setupApp } from './helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// Property-based: a finance ingest token sends batches and OpenLineage events whose aliases, run
// ids, check keys and batch scopes are drawn from sales' stored rows, finance's own and new ones; inputs are
// drawn from sales' datasets (reads). Invariants: never a 5xx; naming any sales row is refused
// with 403 naming domain sales and writing nothing; naming none is accepted (no false deny);
// either way not one of sales' rows changes (input edges aside).

const RUNS = Number(process.env.FUZZ_RUNS ?? 40)
const T = NOW.toISOString()
const FACET = {
  _producer: 'https://github.com/meshwatch/test',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/Facet.json',
}

type Ref = { namespace: string; name: string }
interface Rows {
  salesDatasets: Ref[]
  financeDatasets: Ref[]
  salesRuns: string[]
  financeRuns: string[]
  salesKeys: string[]
  financeKeys: string[]
}

let template: StoreImage
let rows: Rows

beforeAll(async () => {
  const db = openDb(':memory:')
  await loadDemo(
    { store: sqliteStore(db), now: () => new Date(NOW.getTime() - 86_400_000) },
    { airflow: false },
  )
  const all = <T>(q: string) => db.$client.prepare(q).all() as T[]
  const refs = (domain: string) =>
    all<Ref>(`select namespace, name from datasets where domain = '${domain}' order by id`)
  const runIds = (domain: string) =>
    all<{ id: string }>(
      `select r.run_id as id from runs r join jobs j on j.id = r.job_id where j.domain = '${domain}' order by r.id`,
    ).map((r) => r.id)
  const keys = (domain: string) =>
    all<{ k: string }>(
      `select c.key as k from checks c join datasets d on d.id = c.dataset_id where d.domain = '${domain}' order by c.key`,
    ).map((r) => r.k)
  rows = {
    salesDatasets: refs('sales'),
    financeDatasets: refs('finance'),
    salesRuns: runIds('sales'),
    financeRuns: runIds('finance'),
    salesKeys: keys('sales'),
    financeKeys: keys('finance'),
  }
  template = imageOf(db)
  closeDb(db)
}, 120_000) // the demo load: seconds on a quiet machine, more under load

/** A fresh copy of the demo store (loaded once) and an app with a finance token on it. */
function fresh() {
  const app = setupApp({ db: openImage(template) })
  return { ...app, finance: { authorization: `Bearer ${app.token('ingest', 'finance').token}` } }
}

/** Everything of sales' that a write could change, input edges aside. */
function salesSnapshot(db: Db) {
  const datasets = (
    db.$client
      .prepare(`select namespace, name from datasets where domain = 'sales' order by id`)
      .all() as Ref[]
  ).map((r) => ({ ...datasetState(db, r), edges: undefined }))
  const q = (s: string) => db.$client.prepare(s).all()
  return {
    datasets,
    runs: q(
      `select r.run_id, r.state, r.job_id, r.error from runs r join jobs j on j.id = r.job_id where j.domain = 'sales' order by r.run_id`,
    ),
    jobs: q(
      `select namespace, name, type, parent_id, description from jobs where domain = 'sales' order by id`,
    ),
    outputEdges: q(
      `select e.job_id, e.dataset_id from lineage_edges e join datasets d on d.id = e.dataset_id where d.domain = 'sales' and e.direction = 'output' order by 1, 2`,
    ),
    products: q(`select id, name, domain, sla from products where domain = 'sales' order by id`),
    domain: q(`select name, owner, description from domains where name = 'sales'`),
  }
}

/** A pick from sales' rows (foreign), finance's own, or a new name; `foreign` says which. */
type Pick<T> = { value: T; foreign: boolean }
const pick = <T>(sales: () => T[], own: () => T[], fresh: fc.Arbitrary<T>): fc.Arbitrary<Pick<T>> =>
  fc.oneof(
    fc.nat().map((i) => ({ value: sales()[i % sales().length] as T, foreign: true })),
    fc.nat().map((i) => ({ value: own()[i % own().length] as T, foreign: false })),
    fresh.map((value) => ({ value, foreign: false })),
  )

const newName = fc
  .integer({ min: 0, max: 5 })
  .map((i): Ref => ({ namespace: 's3://finance-fuzz', name: `t${i}` }))
const newRun = fc
  .integer({ min: 0, max: 5 })
  .map((i) => `01900000-0000-7000-8000-0000000f${String(i).padStart(4, '0')}`)
const newKey = fc.integer({ min: 0, max: 5 }).map((i) => `test.finance.fuzz_${i}`)
const alias = pick(
  () => rows.salesDatasets,
  () => rows.financeDatasets,
  newName,
)
const runId = pick(
  () => rows.salesRuns,
  () => rows.financeRuns,
  newRun,
)
const checkKey = pick(
  () => rows.salesKeys,
  () => rows.financeKeys,
  newKey,
)
const salesInput = fc.nat().map((i) => rows.salesDatasets[i % rows.salesDatasets.length] as Ref)

const batchCase = fc.record({
  aliases: fc.array(alias, { maxLength: 3 }),
  runs: fc.array(
    fc.record({
      id: runId,
      job: fc.constantFrom(FINANCE_JOB, { namespace: JOB_NS, name: 'finance.fuzz_job' }),
    }),
    { maxLength: 3 },
  ),
  checks: fc.array(checkKey, { maxLength: 2 }),
  results: fc.array(checkKey, { maxLength: 2 }),
  reads: fc.array(salesInput, { maxLength: 2 }),
  scope: fc.constantFrom<Pick<string>>(
    { value: 'dbt:sales', foreign: true },
    { value: 'dbt:finance', foreign: false },
    { value: 'finance-fuzz', foreign: false },
  ),
})
type BatchCase = typeof batchCase extends fc.Arbitrary<infer T> ? T : never

function batchOf(c: BatchCase) {
  const target = { namespace: DEMO_NS, name: 'mesh.finance.fuzz' }
  return {
    kind: 'dbt',
    scope: c.scope.value,
    datasets: [{ ...target, domain: 'finance', aliases: c.aliases.map((a) => a.value) }],
    runs: c.runs.map((r) => ({ runId: r.id.value, job: r.job, state: 'FAIL' })),
    edges: c.reads.map((d) => ({ job: FINANCE_JOB, dataset: d, direction: 'input' })),
    checks: c.checks.map((k, i) => ({
      key: k.value,
      dataset: FINANCE_REVENUE,
      kind: 'unique',
      name: `fuzz_${i}`,
      severity: 'error',
      origin: 'dbt',
    })),
    assertions: c.results.map((k, i) => ({
      key: k.value,
      dataset: FINANCE_REVENUE,
      name: `fuzz_${i}`,
      status: 'fail',
      severity: 'error',
      observedAt: T,
      origin: 'dbt',
    })),
  }
}

const eventCase = fc.record({
  aliases: fc.array(alias, { maxLength: 3 }),
  run: runId,
  reads: fc.array(salesInput, { maxLength: 2 }),
  claims: fc.boolean(),
})
type EventCase = typeof eventCase extends fc.Arbitrary<infer T> ? T : never

function eventOf(c: EventCase) {
  const claims = {
    schema: { ...FACET, fields: [{ name: 'pwned', type: 'int' }] },
    documentation: { ...FACET, description: 'pwned' },
  }
  return {
    eventType: 'COMPLETE',
    eventTime: T,
    producer: 'https://github.com/meshwatch/test',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: c.run.value },
    job: FINANCE_JOB,
    inputs: c.reads.map((d) => ({
      ...d,
      ...(c.claims
        ? { facets: claims, inputFacets: { inputStatistics: { ...FACET, rowCount: 0 } } }
        : {}),
    })),
    outputs: [
      {
        namespace: DEMO_NS,
        name: 'mesh.finance.fuzz',
        facets: {
          symlinks: {
            ...FACET,
            identifiers: c.aliases.map((a) => ({ ...a.value, type: 'TABLE' })),
          },
        },
      },
    ],
  }
}

type ErrorJson = { error?: { code: string; message: string; path?: string } }

async function check(
  res: Response,
  foreign: boolean,
  db: Db,
  before: ReturnType<typeof rowCounts>,
  sales: unknown,
) {
  const body = (await res.json()) as ErrorJson
  expect(res.status, JSON.stringify(body)).toBeLessThan(500)
  if (foreign) {
    expect(res.status, JSON.stringify(body)).toBe(403)
    expect(body.error?.code).toBe('forbidden')
    expect(body.error?.message).toContain('domain sales')
    expect(body.error?.path).toMatch(/^\$/)
    expect(rowCounts(db)).toEqual(before)
  } else {
    expect([200, 201], JSON.stringify(body)).toContain(res.status)
  }
  expect(salesSnapshot(db)).toEqual(sales)
}

describe('fuzzing domain authorization with sales’ aliases, run ids and check keys', () => {
  it('POST /api/batches', async () => {
    await fc.assert(
      fc.asyncProperty(batchCase, async (c) => {
        const { db, post, finance } = fresh()
        const before = rowCounts(db)
        const sales = salesSnapshot(db)
        const foreign = [
          c.scope,
          ...c.aliases,
          ...c.runs.map((r) => r.id),
          ...c.checks,
          ...c.results,
        ].some((p) => p.foreign)
        await check(await post('/api/batches', batchOf(c), finance), foreign, db, before, sales)
        db.$client.close()
      }),
      { numRuns: RUNS },
    )
  })

  it('POST /api/v1/lineage and /api/v1/lineage/batch', async () => {
    await fc.assert(
      fc.asyncProperty(eventCase, fc.boolean(), async (c, asBatch) => {
        const { db, post, finance } = fresh()
        const before = rowCounts(db)
        const sales = salesSnapshot(db)
        const foreign = [...c.aliases, c.run].some((p) => p.foreign)
        const event = eventOf(c)
        const res = asBatch
          ? await post('/api/v1/lineage/batch', [event], finance)
          : await post('/api/v1/lineage', event, finance)
        await check(res, foreign, db, before, sales)
        db.$client.close()
      }),
      { numRuns: RUNS },
    )
  })
})
