import { describe, expect, it } from 'vitest'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { regressionsOf } from '../../../server/gate/types.ts'
import { EMPTY_CONFIG } from '../../../server/config-file.ts'
import { clone, goodDir, goodMesh, NS, readTarget } from './helpers.ts'

const NOW = new Date('2026-11-26T00:00:00Z')
const run = async (
  project: string,
  change: (b: Awaited<ReturnType<typeof readTarget>>) => void,
) => {
  const current = clone(await readTarget(goodDir(project)))
  change(current)
  return evaluateGate({
    current,
    baseline: await goodMesh(),
    baselineLabel: 'good',
    config: EMPTY_CONFIG,
    now: NOW,
  })
}

describe('gate checks on real batches with one change', () => {
  it('passes a project rebuilt as it is', async () => {
    expect(regressionsOf(await run('marketing', () => {}))).toEqual([])
  })

  it("fails a new read of another domain's private model and names its owner", async () => {
    const report = await run('marketing', (b) => {
      b.edges.push({
        job: { namespace: 'default', name: 'mesh.marketing.marketing.channel_performance' },
        dataset: { namespace: NS, name: 'mesh.sales.stg_sales__orders' },
        direction: 'input',
      })
    })
    const [bad, ...rest] = regressionsOf(report)
    expect(rest).toEqual([])
    expect(bad?.category).toBe('private-dependency')
    expect(bad?.message).toBe(
      'mesh.marketing.marketing.channel_performance (marketing) now depends on mesh.sales.stg_sales__orders, a private model of sales',
    )
    expect(bad?.details[0]).toContain('ask sales (Sales Data Team)')
  })

  it('fails a new governance violation and not the ones the baseline already had', async () => {
    const report = await run('finance', (b) => {
      for (const p of b.products) if (p.id === 'finance.revenue') delete p.owner
    })
    const bad = regressionsOf(report)
    expect(bad.map((c) => c.id)).toEqual(['governance:product-has-owner'])
    expect(bad[0]?.details).toEqual([
      'error: product:finance.revenue: product finance.revenue has no owner',
    ])
  })

  it('fails a test that starts erroring and ignores one that already failed', async () => {
    const report = await run('product', (b) => {
      const first = b.assertions[0]
      if (first) first.status = 'error'
    })
    expect(regressionsOf(report).map((c) => c.category)).toContain('tests')
  })

  it('fails a contract dropped on a public model and lists its consumers', async () => {
    const report = await run('marketing', (b) => {
      const ds = b.datasets.find((d) => d.name === 'mesh.marketing.customer_attribution')
      if (ds) ds.contractEnforced = false
    })
    const bad = regressionsOf(report).find((c) => c.category === 'breaking-change')
    expect(bad?.message).toContain('contract dropped')
    expect(bad?.consumers?.map((c) => `${c.domain}:${c.externalId ?? c.name}`)).toContain(
      'product:model.product.feature_adoption',
    )
  })
})

describe('gate: a product left with nothing to score by', () => {
  it('is unknown after the change, with no score: neither "100 ok" nor a regression', async () => {
    // the product project alone, without columns (no catalog); the change: a build that ran
    // nothing, so no run, test or row count is observed of the product's output either
    const baseline = clone(await readTarget(goodDir('product')))
    for (const d of baseline.datasets) delete d.columns
    const current = clone(baseline)
    current.runs = []
    current.assertions = []
    current.metrics = []
    const report = evaluateGate({
      current,
      baseline: [baseline],
      baselineLabel: 'good',
      config: EMPTY_CONFIG,
      now: NOW,
    })
    const check = report.checks.find(
      (c) => c.id === 'product-score:product.exposure.churn_propensity_model',
    )
    expect(check?.status).toBe('pass')
    expect(check?.message).toMatch(/ → unknown \(no data to score by\)$/)
    expect(check?.message).not.toContain('→ 100 ok')
  })
})
