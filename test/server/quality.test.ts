import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import type { Deps } from '../../server/deps.ts'
import { FIXTURES, loadDemo, type DemoDay } from '../../server/demo.ts'
import { createEvaluator, evaluateProducts } from '../../server/evaluate.ts'
import { storeBuiltOnce } from '../store-image.ts'
import { sqliteStore } from '../../db/store.ts'
import { dbOf } from '../store-deps.ts'

const CONFIG = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))

/** The recording time of what is loaded: the newest run end + 5 min (never the wall clock). */
function recordingTime(deps: Deps): Date {
  const row = dbOf(deps)
    .$client.prepare('select max(coalesce(ended_at, started_at)) as t from runs')
    .get() as { t: string }
  return new Date(Date.parse(row.t) + 5 * 60_000)
}

const loaded = new Map<string, () => Promise<Db>>()

/** The demo's `days` loaded (once per set of days, then copied), on a clock at their recording time. */
async function demo(days: DemoDay[], opts: { airflow?: boolean } = {}) {
  const airflow = opts.airflow ?? false
  const key = `${days.join()} airflow:${airflow}`
  const open =
    loaded.get(key) ??
    storeBuiltOnce(async () => {
      const db = openDb(':memory:')
      await loadDemo(
        { store: sqliteStore(db), meshwatch: CONFIG, now: () => new Date(0) },
        { days, airflow },
      )
      return db
    })
  loaded.set(key, open)
  let now = new Date(0)
  const deps: Deps = { store: sqliteStore(await open()), meshwatch: CONFIG, now: () => now }
  now = recordingTime(deps)
  return deps
}

const byId = async (deps: Deps) =>
  new Map((await evaluateProducts(deps)).evaluations.map((e) => [e.productId, e]))

describe('the demo mesh', () => {
  it('scores ok everywhere on the good day', async () => {
    const evals = await byId(await demo(['good']))
    expect(evals.size).toBe(9)
    // a dimension the demo has no data for (e.g. volume without history) is unknown, never a problem
    for (const e of evals.values())
      expect({
        id: e.productId,
        status: e.status,
        dims: e.dimensions.filter((d) => d.status !== 'ok' && d.status !== 'unknown'),
      }).toEqual({ id: e.productId, status: 'ok', dims: [] })
  })

  it('breaches exactly the expected products on the bad day, with their root causes', async () => {
    const evals = await byId(await demo(['good', 'bad']))
    const breached = [...evals.values()]
      .filter((e) => e.status !== 'ok')
      .map((e) => `${e.productId}:${e.status}`)
      .sort()
    expect(breached).toEqual([
      'finance.exposure.monthly_close_report:breach',
      'finance.revenue:breach',
      'marketing.customer_attribution:breach',
      'sales.exposure.sales_kpi_dashboard:breach',
      'sales.orders:breach',
    ])
    const orders = evals.get('sales.orders')
    expect(orders?.dimensions.filter((d) => d.status === 'breach').map((d) => d.dimension)).toEqual(
      ['tests', 'schema'],
    )
    expect(orders?.dimensions.find((d) => d.dimension === 'schema')?.reason).toMatch(
      /removed payment_method/,
    )
    expect(orders?.rootCause?.culprit).toMatchObject({ name: 'mesh.sales.orders', domain: 'sales' })
    expect(orders?.rootCause?.culprit.problem).toMatch(/accepted_values_orders_status/)

    // The stale finance source, without Airflow data: the source itself is the culprit.
    const revenue = evals.get('finance.revenue')
    expect(revenue?.dimensions.find((d) => d.dimension === 'freshness')?.status).toBe('breach')
    expect(revenue?.rootCause?.culprit).toMatchObject({
      name: 'mesh.finance_raw.raw_invoices',
      domain: 'finance',
    })

    // A failing sales test propagates to marketing's product (its SLA counts upstream tests).
    const attribution = evals.get('marketing.customer_attribution')
    expect(attribution?.dimensions.find((d) => d.dimension === 'tests')?.reason).toMatch(
      /upstream test accepted_values_orders_status.*mesh.sales.orders/,
    )
    expect(attribution?.rootCause?.chain.map((c) => [c.name, c.domain])).toEqual([
      ['mesh.marketing.customer_attribution', 'marketing'],
      ['mesh.marketing.marketing.customer_attribution', 'marketing'],
      ['mesh.sales.orders', 'sales'],
    ])
  })

  it("blames the stale finance source on the finance DAG's failed load task once Airflow is collected", async () => {
    const evals = await byId(await demo(['good', 'bad'], { airflow: true }))
    const rc = evals.get('finance.revenue')?.rootCause
    expect(rc?.culprit).toMatchObject({
      name: 'finance_ledger.load_ledger',
      type: 'airflow_task',
      domain: 'finance',
    })
    expect(rc?.chain.slice(-3).map((c) => c.name)).toEqual([
      'mesh.finance_raw.raw_invoices',
      'finance_ledger.load_ledger',
      'finance_ledger',
    ])
    expect(rc?.confidence).toBe('lineage')
    // sales' orders are built by a cron DAG that ran after its 06:00 slot: on schedule.
    expect(
      evals.get('sales.orders')?.dimensions.find((d) => d.dimension === 'freshness')?.reason,
    ).toMatch(/on schedule/)
  })
})

describe('quality API', () => {
  it('shows the effective SLA of a product with where each value came from', async () => {
    const app = createApp(await demo(['good']))
    const res = await app.request('/api/products/sales.orders')
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      effectiveSla: Record<string, Record<string, { value: unknown; source: string }>>
      outputs: unknown[]
    }
    expect(body.outputs).toHaveLength(1)
    expect(body.effectiveSla.freshness?.max_age_hours).toEqual({ value: 24, source: 'dbt_meta' })
    expect(body.effectiveSla.tests?.min_pass_rate).toEqual({ value: 1, source: 'meshwatch.yml' })
    expect(body.effectiveSla.reliability?.window_days).toEqual({
      value: 7,
      source: 'meshwatch.yml',
    })
    expect(body.effectiveSla.schema?.settle_hours).toEqual({ value: 168, source: 'default' })
  })

  it('answers 404 for an unknown product on every quality route', async () => {
    const app = createApp({ store: sqliteStore(openDb(':memory:')) })
    for (const path of [
      '/api/products/nope',
      '/api/products/nope/history',
      '/api/products/nope/root-cause',
    ]) {
      expect((await app.request(path)).status).toBe(404)
    }
  })

  it('keeps a history that says since when the current status holds, re-scored on ingest', async () => {
    // Clocks after each day's recording (good ~20:29-20:34, bad ~20:30-20:34 per its artifacts).
    let now = new Date('2026-11-25T20:40:00Z')
    const store: Deps = {
      store: sqliteStore(openDb(':memory:')),
      meshwatch: CONFIG,
      now: () => now,
    }
    const evaluator = createEvaluator(store)
    const deps: Deps = { ...store, afterWrite: evaluator.afterWrite }
    const stop = evaluator.start(3_600_000)
    try {
      await loadDemo(deps, { days: ['good'] })
      now = new Date('2026-11-25T20:45:00Z')
      await loadDemo(deps, { days: ['bad'] })
      now = new Date('2026-11-25T21:00:00Z')
      await evaluateProducts(deps) // unchanged and inside the heartbeat: not stored again
      const app = createApp(deps)
      const res = await app.request('/api/products/sales.orders/history')
      const body = (await res.json()) as {
        status: string
        since: string
        evaluations: { status: string; evaluatedAt: string }[]
      }
      expect(body.status).toBe('breach')
      expect(body.since).toBe('2026-11-25T20:45:00.000Z')
      expect(body.evaluations.map((e) => e.status)).toEqual(['breach', 'ok'])
      expect(body.evaluations.at(-1)?.evaluatedAt).toBe('2026-11-25T20:40:00.000Z')
      const rc = (await (await app.request('/api/products/sales.orders/root-cause')).json()) as {
        rootCause: { culprit: { domain: string } }
      }
      expect(rc.rootCause.culprit.domain).toBe('sales')
    } finally {
      stop()
    }
  })

  it('lists governance violations with policy, severity, domain, target and waiver', async () => {
    const app = createApp(await demo(['good']))
    const body = (await (await app.request('/api/governance')).json()) as {
      policies: { id: string }[]
      violations: {
        policy: string
        severity: string
        domain: string
        target: string
        waived: boolean
      }[]
    }
    expect(body.policies.map((p) => p.id)).toContain('no-cross-domain-private-read')
    const key = (target: string) =>
      body.violations.find((v) => v.policy === 'product-key-unique-test' && v.target === target)
    expect(key('product:finance.exposure.monthly_close_report')).toMatchObject({
      severity: 'error',
      domain: 'finance',
      waived: true,
    })
    // product's waiver expired on 2026-10-31, so it no longer applies.
    expect(key('product:product.exposure.churn_propensity_model')).toMatchObject({
      severity: 'error',
      domain: 'product',
      waived: false,
    })
    expect(body.violations.some((v) => v.policy === 'product-has-owner')).toBe(false)
  })
})
