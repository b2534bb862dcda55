import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { createApp } from '../../server/app.ts'
import type { Deps } from '../../server/deps.ts'
import { DEMO_JOB_NAMESPACE, FIXTURES, loadDemo } from '../../server/demo.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { storeBuiltOnce } from '../store-image.ts'
import { sqliteStore } from '../../db/store.ts'
import { dbOf } from '../store-deps.ts'

type Hop = {
  dataset: { id: number; name: string; domain: string | null }
  column: string
  sources: string[]
  depth: number
  direct: boolean
}
type Column = {
  name: string
  upstream: Hop[]
  downstream: Hop[]
  exposures: { id: string; domain: string }[]
  disagreement: { column: string; openlineage: string[]; dbt: string[] } | null
}

const NOW = new Date('2026-11-26T00:00:00Z')
const goodDay = storeBuiltOnce(async () => {
  const db = openDb(':memory:')
  await loadDemo({ store: sqliteStore(db), now: () => NOW }, { days: ['good'], airflow: false })
  return db
})

async function demoApp(opts: { dbtOl?: string[] } = {}) {
  const deps: Deps = { store: sqliteStore(await goodDay()), now: () => NOW }
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
    const id = findDataset(dbOf(deps), { namespace: 'duckdb://mesh.duckdb', name })
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

describe('column lineage where dbt-ol and meshwatch disagree', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-disagree-'))
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  // The finance project changed after the recorded dbt-ol run: gross_revenue_eur is now net of
  // returns, so its SQL reads orders.status too. dbt-ol's facet (recorded on the old SQL) says
  // amount_eur only; meshwatch's lineage of the new compiled SQL says amount_eur and status.
  const GROSS = 'cast(sum(o.amount_eur) as decimal(14, 2))'
  const NET_OF_RETURNS =
    "cast(sum(case when o.status = 'returned' then 0 else o.amount_eur end) as decimal(14, 2))"
  function changedFinance(): string {
    const dir = mkdtempSync(join(tmp, 'finance-'))
    cpSync(join(FIXTURES, 'dbt/good/finance/target'), dir, { recursive: true })
    const file = join(dir, 'manifest.json')
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
      nodes: Record<string, { compiled_code: string }>
    }
    const node = manifest.nodes['model.finance.revenue_daily']
    if (!node?.compiled_code.includes(GROSS)) throw new Error('revenue_daily is not as recorded')
    node.compiled_code = node.compiled_code.replace(GROSS, NET_OF_RETURNS)
    writeFileSync(file, JSON.stringify(manifest))
    return dir
  }

  it('keeps both sources visible on the column and counts the one disagreement', async () => {
    const { deps, lineage } = await demoApp({ dbtOl: ['finance'] })
    const project = join(FIXTURES, 'dbt/projects/finance')
    const batch = await readDbtTarget(changedFinance(), {
      projectDir: project,
      profilesDir: project,
      jobNamespace: DEMO_JOB_NAMESPACE,
      env: {},
    })
    await ingestBatch(deps, batch)

    const body = await lineage('mesh.finance.revenue_daily')
    expect(body.sources).toEqual(['dbt_compiled', 'openlineage'])
    expect(body.disagreements).toBe(1)
    const gross = col(body, 'gross_revenue_eur')
    const orders = findDataset(dbOf(deps), {
      namespace: 'duckdb://mesh.duckdb',
      name: 'mesh.sales.orders',
    })
    expect(gross.disagreement).toEqual({
      column: 'gross_revenue_eur',
      openlineage: [`${orders}.amount_eur`],
      dbt: [`${orders}.amount_eur`, `${orders}.status`],
    })
    const direct = gross.upstream
      .filter((h) => h.depth === 1 && h.direct)
      .map((h) => `${h.dataset.name}.${h.column} ${h.sources.join('+')}`)
      .sort()
    expect(direct).toEqual([
      'mesh.sales.orders.amount_eur dbt_compiled+openlineage',
      'mesh.sales.orders.status dbt_compiled',
    ])
    // the columns whose SQL did not change still agree
    expect(col(body, 'net_revenue_eur').disagreement).toBeNull()
    expect(col(body, 'invoiced_revenue_eur').disagreement).toBeNull()
  })
})
