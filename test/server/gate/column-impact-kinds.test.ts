import { describe, expect, it } from 'vitest'
import type { Batch } from '../../../collectors/batch.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { clone, demoConfig, goodDir, goodMesh, readTarget } from './helpers.ts'

// Column-level impact (#19) of a renamed and of a retyped column of sales' public orders: the
// recorded good day of sales as the pull request's build, with that one column changed in the
// schema it reports (what a PR's catalog says after the change), against the good mesh.
const NOW = new Date('2026-11-26T00:00:00Z')
const ORDERS = 'mesh.sales.orders'

async function gateWith(change: (b: Batch) => void) {
  const current = clone(await readTarget(goodDir('sales')))
  change(current)
  const report = evaluateGate({
    current,
    baseline: await goodMesh(),
    baselineLabel: 'fixtures/dbt/good',
    config: demoConfig(),
    now: NOW,
  })
  return report.checks.find((c) => c.id === `breaking-change:${ORDERS}`)
}
const column = (b: Batch, name: string) => {
  const col = b.datasets.find((d) => d.name === ORDERS)?.columns?.find((c) => c.name === name)
  if (!col) throw new Error(`no column ${name} on ${ORDERS}`)
  return col
}
const readsOf = (details: string[] | undefined, col: string) =>
  (details ?? []).filter((d) => d.startsWith(`column ${col}: read by `) && !d.includes('(join/'))

describe('gate: column-level impact of a renamed or retyped column', () => {
  it('a retyped amount_eur lists the downstream columns of every domain that read it', async () => {
    const check = await gateWith((b) => {
      column(b, 'amount_eur').type = 'VARCHAR'
    })
    expect(check?.status).toBe('fail')
    expect(check?.message).toMatch(/column amount_eur changed type/)
    const reads = readsOf(check?.details, 'amount_eur')
    expect(reads).toContain(
      'column amount_eur: read by finance: mesh.finance.revenue_daily.gross_revenue_eur, owner finance-analytics@meshwatch.example',
    )
    expect(new Set(reads.map((r) => r.split(': ')[1]))).toEqual(
      new Set(['read by finance', 'read by marketing', 'read by sales']),
    )
  })

  it('a renamed channel lists its readers, and a rename nobody reads is a note', async () => {
    const renamed = await gateWith((b) => {
      column(b, 'channel').name = 'sales_channel'
    })
    expect(renamed?.status).toBe('fail')
    expect(renamed?.message).toMatch(/column channel renamed to sales_channel/)
    expect(readsOf(renamed?.details, 'channel')).toContain(
      'column channel: read by marketing: mesh.marketing.channel_performance.channel, owner Growth Marketing Analytics',
    )
    const unused = await gateWith((b) => {
      column(b, 'is_paid').name = 'paid'
    })
    expect(unused?.status).toBe('pass')
    expect(unused?.details).toContain('column is_paid: read by no downstream column')
  })
})
