import { describe, expect, it } from 'vitest'
import type { Batch } from '../../../collectors/batch.ts'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { openDb } from '../../../db/client.ts'
import { loadProductFacts } from '../../../db/queries/quality.ts'
import { loadDemoContracts } from '../../../server/contracts/demo.ts'
import { attachContracts } from '../../../server/contracts/facts.ts'
import { DEMO_JOB_NAMESPACE, demoTargets, FIXTURES, loadDemo } from '../../../server/demo.ts'
import type { Deps } from '../../../server/deps.ts'
import { effectiveSlaOf, evaluateProducts } from '../../../server/evaluate.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { evaluateWithContracts } from '../../../server/quality/score.ts'
import { CONFIG, recordingTime, testClock } from '../alerts/helpers.ts'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { sqliteStore } from '../../../db/store.ts'
import { dbOf } from '../../store-deps.ts'

const YEAR_S = 365 * 86_400
/** The date `years` from `now` as a yyyymmdd partition key. */
const yyyymmdd = (now: Date, years: number) =>
  Number(
    new Date(Date.UTC(now.getUTCFullYear() + years, now.getUTCMonth(), 1))
      .toISOString()
      .slice(0, 10)
      .replace(/-/g, ''),
  )

/** The dataset the demo's orders contract binds to. */
function ordersDataset(deps: Deps): { namespace: string; name: string } {
  const row = dbOf(deps)
    .$client.prepare("select namespace, name from datasets where name like '%sales.orders' limit 1")
    .get() as { namespace: string; name: string } | undefined
  if (!row) throw new Error('no sales orders dataset')
  return row
}

// The demo's ODCS contracts (fixtures/contracts/demo, loaded with the demo) scored on the
// recorded good and bad days through the server's evaluator (evaluate.ts → score.ts).

function scored(deps: Deps, id: string, now: Date) {
  const { rows, facts } = loadProductFacts(dbOf(deps), {
    productIds: [id],
    now,
    windowDays: 30,
    upstreamDepth: 3,
  })
  attachContracts(dbOf(deps), facts)
  const [f] = facts
  const [row] = rows
  if (!f || !row) throw new Error(`no product ${id}`)
  const r = evaluateWithContracts(f, effectiveSlaOf(CONFIG, row), now)
  const checks = r.contracts.flatMap((c) => c.checks)
  const check = (name: string) => checks.find((c) => c.name === name)
  return { ...r, checks, check }
}

/** A recorded build re-collected a day later: every timestamp of its batch moved by `ms`. */
function later(b: Batch, ms: number): Batch {
  const shift = (v: unknown): unknown => {
    if (
      typeof v === 'string' &&
      /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(v) &&
      !Number.isNaN(Date.parse(v))
    )
      return new Date(Date.parse(v) + ms).toISOString()
    if (Array.isArray(v)) return v.map(shift)
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shift(x)]))
    return v
  }
  return shift(b) as Batch
}

async function goodThenBad() {
  const clock = testClock()
  const deps: Deps = { store: sqliteStore(openDb(':memory:')), meshwatch: CONFIG, now: clock.now }
  await loadDemo(deps, { days: ['good'], airflow: false })
  await loadDemoContracts(deps, FIXTURES)
  clock.set(recordingTime(dbOf(deps)))
  const good = scored(deps, 'sales.orders', clock.now())
  await evaluateProducts(deps)
  await loadDemo(deps, { days: ['bad'], airflow: false })
  clock.set(recordingTime(dbOf(deps)))
  await evaluateProducts(deps)
  return { deps, clock, good }
}

describe('contract scoring on the demo mesh', { timeout: 120_000 }, () => {
  it("names the demo's contract files by their place in the package, not by this machine's path", async () => {
    const { deps } = await goodThenBad()
    const { check } = scored(deps, 'sales.orders', new Date())
    expect(check('latency')).toBeDefined()
    const files = scored(deps, 'sales.orders', new Date()).contracts.map((c) => c.sourceFile)
    expect(files).toEqual(['fixtures/contracts/demo/sales-orders.odcs.yaml'])
  })

  it('breaks the promised column and status values on the bad day, and recovers when a good build is collected again', async () => {
    const { deps, clock, good } = await goodThenBad()
    expect(good.check('column orders.payment_method')).toMatchObject({ status: 'ok' })
    expect(good.check('invalidValues on orders.status')).toMatchObject({ status: 'ok' })

    const bad = scored(deps, 'sales.orders', clock.now())
    expect(bad.check('column orders.payment_method')).toMatchObject({
      status: 'breach',
      measured: 'missing',
      dimension: 'schema',
    })
    expect(bad.check('column orders.payment_method')?.reason).toContain(
      'contract urn:meshwatch-demo:sales:orders v1.2.0 promises column payment_method',
    )
    expect(bad.check('invalidValues on orders.status')).toMatchObject({
      status: 'breach',
      measured: '1',
    })
    expect(bad.evaluation.status).toBe('breach')

    const [sales] = demoTargets('good').filter((t) => t.project === 'sales')
    if (!sales) throw new Error('no good-day sales build')
    const batch = await readDbtTarget(sales.target, {
      projectDir: sales.projectDir,
      profilesDir: sales.projectDir,
      jobNamespace: DEMO_JOB_NAMESPACE,
      env: {},
    })
    await ingestBatch(deps, later(batch, 86_400_000))
    clock.set(recordingTime(dbOf(deps)))
    const fixed = scored(deps, 'sales.orders', clock.now())
    expect(fixed.check('column orders.payment_method')).toMatchObject({ status: 'ok' })
    expect(fixed.check('invalidValues on orders.status')).toMatchObject({ status: 'ok' })
  })

  it('measures timeToRepair from the breach episode and breaches reliability once the promise passed', async () => {
    const { deps, clock } = await goodThenBad()
    const open = scored(deps, 'finance.revenue', clock.now())
    expect(open.check('timeToRepair')).toMatchObject({ status: 'ok', dimension: 'reliability' })
    expect(open.check('timeToRepair')?.measured).toMatch(/^open for /)
    clock.advance(5 * 3_600_000)
    const overdue = scored(deps, 'finance.revenue', clock.now())
    expect(overdue.check('timeToRepair')).toMatchObject({ status: 'breach' })
    const reliability = overdue.evaluation.dimensions.find((d) => d.dimension === 'reliability')
    expect(reliability).toMatchObject({ status: 'breach' })
    expect(reliability?.reason).toContain('promised within 4 h')
  })

  it.each([
    {
      name: 'epoch seconds 4 years back',
      min: (now: Date) => now.getTime() / 1000 - 4 * YEAR_S,
      status: 'ok',
    },
    { name: 'a yyyymmdd key 1 year back', min: (now: Date) => yyyymmdd(now, -1), status: 'warn' },
  ])(
    'checks retention (3 y) against the oldest observed ordered_at: $name → $status',
    async ({ min, status }) => {
      const { deps, clock } = await goodThenBad()
      const now = clock.now()
      const event = {
        eventType: 'COMPLETE',
        eventTime: now.toISOString(),
        run: { runId: '0190a0a0-0000-7000-8000-0000000000aa' },
        job: { namespace: 'great_expectations', name: 'validate_orders' },
        inputs: [
          {
            ...ordersDataset(deps),
            inputFacets: {
              dataQualityMetrics: {
                _producer:
                  'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/common',
                _schemaURL:
                  'https://openlineage.io/spec/facets/1-0-2/DataQualityMetricsInputDatasetFacet.json',
                columnMetrics: { ordered_at: { nullCount: 0, min: Math.round(min(now)) } },
              },
            },
          },
        ],
        outputs: [],
        producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/common',
        schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/definitions/RunEvent',
      }
      const parsed = parseEvent(event)
      if (!parsed.ok) throw new Error(parsed.reason)
      await ingestBatch(deps, parsed.batch)
      const r = scored(deps, 'sales.orders', now)
      expect(r.check('retention')).toMatchObject({ status, measurable: true })
      expect(r.check('retention')?.reason).toMatch(/the oldest value of .*orders\.ordered_at/)
    },
  )

  it('lists every promise it cannot measure with why, and takes SLA values from the contract with their source', async () => {
    const { deps, clock } = await goodThenBad()
    const r = scored(deps, 'sales.orders', clock.now())
    expect(r.check('retention')).toMatchObject({ status: 'unknown', measurable: false })
    expect(r.check('retention')?.reason).toMatch(/^not measurable: /)
    expect(r.contracts[0]?.notMeasurable).toBeGreaterThan(0)
    // latency 24 h → freshness.max_age_hours, availability 99% → reliability.min_success_rate
    expect(r.sla.freshness.max_age_hours).toBe(24)
    expect(r.sla.sources.freshness.max_age_hours).toBe('contract')
    expect(r.sla.reliability.min_success_rate).toBe(0.99)
    expect(r.sla.sources.reliability.min_success_rate).toBe('contract')
    // meshwatch.yml's defaults keep what the contract does not say
    expect(r.sla.sources.reliability.window_days).toBe('meshwatch.yml')
    expect(r.check('latency')?.scoredBy).toEqual({
      field: 'freshness.max_age_hours',
      value: 24,
      source: 'contract',
    })
  })
})
