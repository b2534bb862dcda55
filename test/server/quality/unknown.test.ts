import { copyFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { openDb } from '../../../db/client.ts'
import { listAlerts } from '../../../db/queries/alerts.ts'
import { evaluationHistory } from '../../../db/queries/quality-store.ts'
import { decide, type OpenEpisode } from '../../../server/alerts/plan.ts'
import { createApp } from '../../../server/app.ts'
import type { Deps } from '../../../server/deps.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { evaluateProduct, summarize } from '../../../server/quality/score.ts'
import { hoursAgo, NOW, output, product, run, sla } from './helpers.ts'
import { sqliteStore } from '../../../db/store.ts'
import { dbOf } from '../../store-deps.ts'

const passing = (name: string) => ({
  key: `test.${name}`,
  name,
  status: 'pass',
  severity: 'error',
  observedAt: hoursAgo(1),
  column: null,
})

describe('a product with nothing observed is unknown, not "100 ok"', () => {
  it('no runs, no tests, no row counts, no schema: every dimension unknown, no score', () => {
    const e = evaluateProduct(product([output()]), sla(), NOW)
    expect(e.status).toBe('unknown')
    expect(e.score).toBeNull()
    expect(e.dimensions.map((d) => [d.dimension, d.status, d.score])).toEqual([
      ['freshness', 'unknown', null],
      ['tests', 'unknown', null],
      ['volume', 'unknown', null],
      ['schema', 'unknown', null],
      ['reliability', 'unknown', null],
    ])
    for (const d of e.dimensions) expect(d.reason).toMatch(/^no data yet: /)
    expect(summarize(e)).toMatch(/^unknown: freshness: no data yet/)
  })

  it('a product without outputs is unknown too', () => {
    const e = evaluateProduct(product([]), sla(), NOW)
    expect([e.status, e.score]).toEqual(['unknown', null])
  })

  it('scores the dimensions with data as before and leaves the rest unknown', () => {
    const o = output({ runs: [run('COMPLETE', 2)], assertions: [passing('a'), passing('b')] })
    const e = evaluateProduct(product([o]), sla(), NOW)
    expect(e.status).toBe('ok')
    expect(e.score).toBe(100)
    const byDim = new Map(e.dimensions.map((d) => [d.dimension, d.status]))
    expect(byDim.get('tests')).toBe('ok')
    expect(byDim.get('reliability')).toBe('ok')
    expect(byDim.get('volume')).toBe('unknown')
  })

  it('an unknown dimension neither lowers the score nor hides a breach', () => {
    const o = output({ assertions: [passing('a'), { ...passing('b'), status: 'fail' }] })
    const e = evaluateProduct(product([o]), sla(), NOW)
    expect(e.status).toBe('breach')
    // the tests dimension alone: 1 of 2 error tests pass
    expect(e.score).toBe(50)
  })

  it('a dimension the SLA promises, without data, still warns (on_no_data: warn is its default)', () => {
    const e = evaluateProduct(product([output()]), sla({ freshness: { max_age_hours: 24 } }), NOW)
    expect(e.status).toBe('warn')
    expect(e.dimensions.find((d) => d.dimension === 'freshness')).toMatchObject({
      status: 'warn',
      score: 50,
    })
    const quiet = sla({ freshness: { max_age_hours: 24, on_no_data: 'unknown' } })
    expect(evaluateProduct(product([output()]), quiet, NOW).status).toBe('unknown')
  })
})

const H = 3_600_000
const at = (h: number) => new Date(NOW.getTime() + h * H).toISOString()
const open = (over: Partial<OpenEpisode> = {}): OpenEpisode => ({
  id: 1,
  productId: 'p',
  openedAt: at(0),
  status: 'breach',
  worst: 'breach',
  lastAlertAt: at(0),
  reminders: 0,
  ...over,
})

describe('alerts: unknown is neither a breach nor a recovery', () => {
  it('does not open an episode', () => {
    expect(decide(undefined, { status: 'unknown', evaluatedAt: at(1) }, 4 * H)).toEqual({})
  })

  it('keeps an open breach open, silently, and sends no recovery nor reminder', () => {
    const d = decide(open(), { status: 'unknown', evaluatedAt: at(9) }, 4 * H)
    expect(d.alert).toBeUndefined()
    expect(d.episode).toEqual({
      op: 'update',
      status: 'unknown',
      worst: 'breach',
      lastAlertAt: at(0),
      reminders: 0,
    })
    expect(
      decide(open({ status: 'unknown' }), { status: 'unknown', evaluatedAt: at(10) }, H),
    ).toEqual({})
  })

  it('data that is ok again after unknown is the recovery of the breach', () => {
    const d = decide(open({ status: 'unknown' }), { status: 'ok', evaluatedAt: at(10) }, 4 * H)
    expect(d.alert).toMatchObject({ kind: 'recovered', severity: 'breach', durationMs: 10 * H })
  })
})

describe('the store and API on a real manifest with no run results', () => {
  // fixtures/dbt/good/product's manifest alone (no run_results, catalog, sources): the exposure
  // churn_propensity_model reads models with no declared columns, so nothing is observed of it.
  async function store() {
    const dir = mkdtempSync(join(tmpdir(), 'mw-unknown-'))
    copyFileSync('fixtures/dbt/good/product/target/manifest.json', join(dir, 'manifest.json'))
    const deps: Deps = { store: sqliteStore(openDb(':memory:')), now: () => NOW }
    await ingestBatch(deps, await readDbtTarget(dir, { namespace: 'duckdb://mesh.duckdb' }))
    return deps
  }

  it('stores the product as unknown, with no alert, and answers status unknown and score null', async () => {
    const deps = await store()
    const id = 'product.exposure.churn_propensity_model'
    const e = (await evaluateProducts(deps)).evaluations.find((x) => x.productId === id)
    expect([e?.status, e?.score, e?.rootCause]).toEqual(['unknown', null, null])
    expect(listAlerts(dbOf(deps)).filter((a) => a.productId === id)).toEqual([])
    expect(evaluationHistory(dbOf(deps), id).map((h) => [h.status, h.score])).toEqual([
      ['unknown', null],
    ])

    const app = createApp(deps)
    const list = (await (await app.request('/api/products')).json()) as {
      products: { id: string; evaluation: { status: string; score: number | null } | null }[]
    }
    expect(list.products.find((p) => p.id === id)?.evaluation).toMatchObject({
      status: 'unknown',
      score: null,
    })
    const history = (await (await app.request(`/api/products/${id}/history`)).json()) as {
      status: string
      evaluations: { score: number | null }[]
    }
    expect(history.status).toBe('unknown')
    expect(history.evaluations.map((h) => h.score)).toEqual([null])
  })
})
