import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { passThroughCtes, resolveCteColumn } from '../../../collectors/openlineage/cte.ts'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { sqliteStore } from '../../../db/store.ts'

// dbt-ol's recorded events of the demo mesh (fixtures/dbt/README.md): its SQL parser names a
// model's CTEs (`orders`, `engagement`, `matched`) as the inputs of column lineage.
const FIXTURES = fileURLToPath(new URL('../../../fixtures/openlineage/dbt-ol', import.meta.url))
const NS = 'duckdb://mesh.duckdb'
type Event = Record<string, any>
const modelEvent = (project: string, output: string): Event => {
  const events = readFileSync(`${FIXTURES}/${project}.ndjson`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event)
  const e = events.find(
    (x) =>
      x.eventType === 'COMPLETE' &&
      x.job.name.endsWith('.build.run') &&
      x.outputs?.[0]?.name === output,
  )
  if (!e) throw new Error(`no model event for ${output} in ${project}.ndjson`)
  return e
}
const edges = (r: ReturnType<typeof parseEvent>) => {
  if (!r.ok) throw new Error(r.reason)
  return r.batch.columnEdges.map((c) => `${c.column} <- ${c.from.name}.${c.fromColumn}`).sort()
}

describe('CTEs of a job SQL', () => {
  it('reads which relation each CTE of a real dbt model selects from', () => {
    const sql = modelEvent('sales', 'mesh.sales.orders').job.facets.sql.query as string
    const ctes = passThroughCtes(sql)
    expect([...ctes.keys()]).toEqual(['orders', 'customers', 'payments'])
    expect(ctes.get('orders')).toMatchObject({ from: ['mesh', 'sales', 'stg_sales__orders'] })
    expect(ctes.get('orders')?.star).toBe(true)
  })

  it('follows a CTE selecting from a CTE, renames and plain columns; not a join', () => {
    const sql = `-- comment with a ) paren
      with base as (select id, amount_cents as cents, 'it''s' as lit from "db"."s"."raw" r where x = 1),
      again as (select b.* from base b),
      joined as (select a.id from again a join "db"."s"."other" o on o.id = a.id),
      agg as (select id, count(*) as n from again group by id)
      select * from joined`
    const ctes = passThroughCtes(sql)
    expect([...ctes.keys()]).toEqual(['base', 'again', 'agg'])
    const inputs = [
      { namespace: 'pg', name: 'db.s.raw' },
      { namespace: 'pg', name: 'db.s.other' },
    ]
    expect(resolveCteColumn(ctes, inputs, 'pg', 'again', 'cents')).toEqual({
      dataset: inputs[0],
      column: 'amount_cents',
    })
    expect(resolveCteColumn(ctes, inputs, 'pg', 'agg', 'id')?.column).toBe('id')
    // an expression, a join, another namespace: not resolved
    expect(resolveCteColumn(ctes, inputs, 'pg', 'base', 'lit')).toBeUndefined()
    expect(resolveCteColumn(ctes, inputs, 'pg', 'agg', 'n')).toBeUndefined()
    expect(resolveCteColumn(ctes, inputs, 'pg', 'joined', 'id')).toBeUndefined()
    expect(resolveCteColumn(ctes, inputs, 'other', 'again', 'id')).toBeUndefined()
  })
})

describe('column lineage naming a CTE (dbt-ol, recorded)', () => {
  it('is kept as read from the input the CTE selects from, with a warning', () => {
    // `orders` is a CTE over stg_sales__orders, not the model's own output mesh.sales.orders.
    const r = parseEvent(modelEvent('sales', 'mesh.sales.orders'))
    expect(edges(r)).toEqual([
      'amount_eur <- mesh.sales.stg_sales__orders.amount_cents',
      'channel <- mesh.sales.stg_sales__orders.channel',
      'customer_country <- mesh.sales.stg_sales__customers.country',
      'customer_id <- mesh.sales.stg_sales__orders.customer_id',
      'is_paid <- mesh.sales.stg_sales__payments.payment_id',
      'order_date <- mesh.sales.stg_sales__orders.ordered_at',
      'order_id <- mesh.sales.stg_sales__orders.order_id',
      'ordered_at <- mesh.sales.stg_sales__orders.ordered_at',
      'payment_method <- mesh.sales.stg_sales__payments.payment_method',
      'status <- mesh.sales.stg_sales__orders.status',
    ])
    if (!r.ok) return
    expect(r.batch.datasets.map((d) => d.name)).not.toContain('orders')
    expect(r.warnings.map((w) => w.message)).toEqual([
      "column lineage reads orders, a CTE of the job's SQL that selects from mesh.sales.stg_sales__orders: kept as read from it",
      "column lineage reads customers, a CTE of the job's SQL that selects from mesh.sales.stg_sales__customers: kept as read from it",
      "column lineage reads payments, a CTE of the job's SQL that selects from mesh.sales.stg_sales__payments: kept as read from it",
    ])
    expect(r.warnings[0]?.path).toBe('$.outputs[0].facets.columnLineage')
  })

  it('names a CTE its SQL does not resolve (a join) in a warning, inventing no node', () => {
    const r = parseEvent(modelEvent('marketing', 'mesh.marketing.customer_attribution'))
    if (!r.ok) throw new Error(r.reason)
    expect(r.batch.columnEdges.filter((c) => c.from.name === 'matched')).toEqual([])
    expect(r.batch.datasets.map((d) => d.name)).not.toContain('matched')
    expect(r.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(
        /^column lineage of acquisition_channel, customer_id, first_order_id, first_ordered_at reads matched, a bare name .*not one the job's SQL shows selecting from one of its inputs/,
      ),
    ])
  })

  it('lands on the dataset column lineage through the real app, and the warning on the run', async () => {
    const db = openDb(':memory:')
    const app = createApp({ store: sqliteStore(db) })
    const event = modelEvent('product', 'mesh.product.feature_adoption')
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    })
    expect(res.status).toBe(201)
    const body = (await res.json()) as { warnings: { path: string; message: string }[] }
    expect(body.warnings.map((w) => w.message)).toEqual([
      "column lineage reads engagement, a CTE of the job's SQL that selects from mesh.product.customer_engagement: kept as read from it",
    ])
    const id = db.$client
      .prepare('select id from datasets where namespace = ? and name = ?')
      .pluck()
      .get(NS, 'mesh.product.feature_adoption') as number
    const lineage = (await (await app.request(`/api/datasets/${id}/column-lineage`)).json()) as {
      upstream: { column: string; from: { name: string; column: string } }[]
    }
    expect(lineage.upstream.map((e) => `${e.column} <- ${e.from.name}.${e.from.column}`)).toContain(
      'events <- mesh.product.customer_engagement.events',
    )
    expect(lineage.upstream.some((e) => e.from.name === 'engagement')).toBe(false)
    const events = (await (
      await app.request(`/api/runs/${event.run.runId as string}/events`)
    ).json()) as { events: { warnings: { message: string }[] }[] }
    expect(events.events[0]?.warnings.map((w) => w.message)).toEqual(
      body.warnings.map((w) => w.message),
    )
  })
})
