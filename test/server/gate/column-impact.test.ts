import { describe, expect, it } from 'vitest'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import type { GateReport } from '../../../server/gate/types.ts'
import { ROOT, demoConfig, goodMesh, readTarget, variantDir } from './helpers.ts'

const NOW = new Date('2026-11-26T00:00:00Z')

async function gate(dir: string, level?: 'strict' | 'used-only'): Promise<GateReport> {
  const config = demoConfig()
  if (level) config.gate = { ...config.gate, column_level: level }
  return evaluateGate({
    current: await readTarget(dir),
    baseline: await goodMesh(),
    baselineLabel: 'fixtures/dbt/good',
    config,
    now: NOW,
  })
}
const ordersCheck = (r: GateReport) =>
  r.checks.find((c) => c.id === 'breaking-change:mesh.sales.orders')

const reads = (details: string[] | undefined) =>
  (details ?? [])
    .filter((d) => d.startsWith('column channel: read by'))
    .map((d) => d.slice('column channel: read by '.length))

describe('gate: column-level impact of a breaking change (recorded sales variants)', () => {
  it('lists exactly the downstream columns that read the removed column, over two hops, by domain', async () => {
    const check = ordersCheck(await gate(variantDir('breaking')))
    expect(check?.status).toBe('fail')
    const direct = reads(check?.details).filter((d) => !d.includes('(join/filter/grouping)'))
    expect(direct).toEqual([
      'marketing: mesh.marketing.channel_performance.channel, owner Growth Marketing Analytics',
      'marketing: mesh.marketing.customer_attribution.acquisition_channel, owner growth-analytics@meshwatch.example',
      'product: mesh.product.feature_adoption.acquisition_channel, owner product-analytics@meshwatch.example',
    ])
    // a grouping by the column shapes every column of the model: listed as such
    expect(reads(check?.details)).toContain(
      'marketing: mesh.marketing.channel_performance.spend_eur (join/filter/grouping), owner Growth Marketing Analytics',
    )
    expect(check?.details).toContain(
      'exposure reading a changed column: product: Feature adoption dashboard, owner Product Analytics',
    )
    expect(check?.details).toContain(
      'consumer not using the changed columns: finance: job mesh.finance.finance.revenue_daily',
    )
  })

  it('the bad day drops payment_method, which no downstream column reads: a note, not a regression', async () => {
    const report = await gate(`${ROOT}fixtures/dbt/bad/sales/target`)
    const check = ordersCheck(report)
    expect(check?.status).toBe('pass')
    expect(check?.message).toBe(
      'breaking change to public model mesh.sales.orders that no consumer reads: column payment_method removed (was varchar)',
    )
    expect(check?.details).toContain('column payment_method: read by no downstream column')
    expect(report.notes).toContain(
      'mesh.sales.orders: column payment_method removed (was varchar): no downstream column reads it, so it is not a regression (gate.column_level: used-only)',
    )
  })

  it('gate.column_level: strict keeps an unused breaking change a regression', async () => {
    const check = ordersCheck(await gate(`${ROOT}fixtures/dbt/bad/sales/target`, 'strict'))
    expect(check?.status).toBe('fail')
    expect(check?.details).toContain('column payment_method: read by no downstream column')
  })

  it('a consumer model without column lineage may read the column: the change stays a regression', async () => {
    const baseline = structuredClone(await goodMesh())
    // marketing collected without column lineage (as from SQL that did not parse)
    for (const b of baseline) if (b.scope === 'dbt:marketing') b.columnEdges = []
    const check = ordersCheck(
      evaluateGate({
        current: await readTarget(`${ROOT}fixtures/dbt/bad/sales/target`),
        baseline,
        baselineLabel: 'fixtures/dbt/good',
        config: demoConfig(),
        now: NOW,
      }),
    )
    expect(check?.status).toBe('fail')
    expect(check?.details).toContain(
      'consumer with no column lineage, may read it: marketing: job mesh.marketing.marketing.channel_performance',
    )
  })
})
