import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { createApp } from '../../server/app.ts'
import type { Deps } from '../../server/deps.ts'
import { FIXTURES, loadDemo } from '../../server/demo.ts'
import { storeBuiltOnce } from '../store-image.ts'

type Hop = { dataset: { name: string; domain: string | null }; column: string; sources: string[] }
type Column = {
  name: string
  upstream: Hop[]
  downstream: Hop[]
  exposures: { id: string; domain: string }[]
  disagreement: { column: string } | null
}

const NOW = new Date('2026-11-26T00:00:00Z')
const goodDay = storeBuiltOnce(async () => {
  const db = openDb(':memory:')
  await loadDemo({ db, now: () => NOW }, { days: ['good'], airflow: false })
  return db
})

async function demoApp(opts: { dbtOl?: string[] } = {}) {
  const deps: Deps = { db: await goodDay(), now: () => NOW }
  const app = createApp(deps)
  for (const project of opts.dbtOl ?? []) {
    const file = join(FIXTURES, 'openlineage/dbt-ol', `${project}.ndjson`)
    for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
      const res = await app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: line,
      })
      expect(res.status).toBeLessThan(300)
    }
  }
  const lineage = async (name: string) => {
    const id = findDataset(deps.db, { namespace: 'duckdb://mesh.duckdb', name })
    const res = await app.request(`/api/datasets/${id}/column-lineage`)
    expect(res.status).toBe(200)
    return (await res.json()) as { columns: Column[]; disagreements: number; sources: string[] }
  }
  return { deps, app, lineage }
}

const col = (body: { columns: Column[] }, name: string): Column => {
  const c = body.columns.find((x) => x.name === name)
  if (!c) throw new Error(`no column ${name}`)
  return c
}
const hops = (list: Hop[]) => list.map((h) => `${h.dataset.name}.${h.column}`).sort()

describe('GET /api/datasets/:id/column-lineage on the demo mesh (collect dbt only)', () => {
  it('traces a public column to the raw seed it comes from, through the staging model', async () => {
    const { lineage } = await demoApp()
    const amount = col(await lineage('mesh.sales.orders'), 'amount_eur')
    expect(hops(amount.upstream.filter((h) => h.dataset.name.includes('raw')))).toEqual([
      'mesh.sales_raw.raw_orders.amount_cents',
    ])
    expect(hops(amount.upstream)).toContain('mesh.sales.stg_sales__orders.amount_cents')
  })

  it('lists the downstream columns of other domains that read it, and the exposures', async () => {
    const { lineage } = await demoApp()
    const amount = col(await lineage('mesh.sales.orders'), 'amount_eur')
    const down = hops(amount.downstream)
    expect(down).toContain('mesh.finance.revenue_daily.gross_revenue_eur')
    expect(down).toContain('mesh.finance.invoices_eur.order_amount_eur')
    expect(new Set(amount.downstream.map((h) => h.dataset.domain))).toContain('finance')
    expect(amount.downstream.every((h) => h.sources.includes('dbt_compiled'))).toBe(true)
  })

  it('answers 404 JSON for an unknown dataset', async () => {
    const { app } = await demoApp()
    const res = await app.request('/api/datasets/99999/column-lineage')
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: { code: 'not_found' } })
  })
})

describe('column lineage from both dbt-ol and meshwatch', () => {
  it('keeps both sources on one edge where they agree, and counts no disagreement', async () => {
    const { lineage } = await demoApp({ dbtOl: ['finance'] })
    const body = await lineage('mesh.finance.revenue_daily')
    expect(body.sources).toEqual(['dbt_compiled', 'openlineage'])
    const invoiced = col(body, 'invoiced_revenue_eur')
    expect(invoiced.upstream).toContainEqual(
      expect.objectContaining({
        dataset: expect.objectContaining({ name: 'mesh.finance.invoices_eur' }),
        column: 'invoiced_eur',
        sources: ['dbt_compiled', 'openlineage'],
      }),
    )
    expect(invoiced.disagreement).toBeNull()
    expect(body.disagreements).toBe(0)
  })
})
