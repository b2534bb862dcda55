import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'
import { REPO } from './helpers.ts'

// Column lineage from public compiled manifests of other warehouses (fixtures/dbt/dialects,
// sources in its README): each parses in its adapter's dialect, and a few columns per project,
// checked by hand against the model's SQL, give exactly these DIRECT edges.
const read = (dir: string, file: string): unknown =>
  existsSync(join(dir, file)) ? JSON.parse(readFileSync(join(dir, file), 'utf8')) : undefined

function collect(project: string) {
  const dir = join(REPO, 'fixtures/dbt/dialects', project, 'target')
  const catalog = read(dir, 'catalog.json')
  return parseDbtArtifacts(
    { manifest: read(dir, 'manifest.json'), ...(catalog ? { catalog } : {}) },
    { namespace: 'warehouse://fixture' },
  )
}

type Case = {
  project: string
  adapter: string
  /** output columns, as `dataset.column` */
  columns: string[]
  edges: string[]
  /** the column lineage warnings, by the start of each */
  warnings?: string[]
}

const CASES: Case[] = [
  {
    project: 'redshift',
    adapter: 'redshift',
    columns: [
      'analytics.intermediate.int_sales_enriched.net_revenue',
      'analytics.intermediate.int_sales_enriched.venue_city',
      'analytics.marts.dim_users.avg_order_value',
      'analytics.marts.mart_sales_by_category.net_revenue',
    ],
    edges: [
      // `s.price_paid - s.commission as net_revenue`, s: a CTE over stg_tickit__sales
      'analytics.intermediate.int_sales_enriched.net_revenue <- analytics.staging_tickit.stg_tickit__sales.commission DIRECT/TRANSFORMATION',
      'analytics.intermediate.int_sales_enriched.net_revenue <- analytics.staging_tickit.stg_tickit__sales.price_paid DIRECT/TRANSFORMATION',
      // `v.city as venue_city` through the left-joined venues CTE
      'analytics.intermediate.int_sales_enriched.venue_city <- analytics.staging_tickit.stg_tickit__venues.city DIRECT/IDENTITY',
      // `select * from int_user_stats` in a CTE, then the column by name
      'analytics.marts.dim_users.avg_order_value <- analytics.intermediate.int_user_stats.avg_order_value DIRECT/IDENTITY',
      'analytics.marts.mart_sales_by_category.net_revenue <- analytics.marts.fct_sales.net_revenue DIRECT/AGGREGATION',
    ],
  },
  {
    project: 'snowflake',
    adapter: 'snowflake',
    columns: [
      'finance_db.raw.stg_order_items.total_price',
      'finance_db.raw.fact_daily_rev.total_price',
    ],
    edges: [
      'finance_db.raw.fact_daily_rev.total_price <- finance_db.raw.stg_order_items.total_price DIRECT/AGGREGATION',
      'finance_db.raw.stg_order_items.total_price <- finance_db.raw.order_items.quantity DIRECT/TRANSFORMATION',
      'finance_db.raw.stg_order_items.total_price <- finance_db.raw.order_items.unit_price DIRECT/TRANSFORMATION',
    ],
  },
  {
    project: 'snowflake-uncompiled',
    adapter: 'snowflake',
    columns: [
      'shopverse_analytics.gold.payment_success_rate.successful_payments',
      'shopverse_analytics.gold.unpaid_orders_audit.order_total_amount',
    ],
    edges: [
      // `count(case when status = 'Success' then payment_id end)`, from raw SQL's source()
      'shopverse_analytics.gold.payment_success_rate.successful_payments <- SHOPVERSE_ANALYTICS.BRONZE.bronze_payments.payment_id DIRECT/AGGREGATION',
      'shopverse_analytics.gold.payment_success_rate.successful_payments <- SHOPVERSE_ANALYTICS.BRONZE.bronze_payments.status DIRECT/AGGREGATION',
      'shopverse_analytics.gold.unpaid_orders_audit.order_total_amount <- shopverse_analytics.silver.stg_orders.total_price DIRECT/IDENTITY',
    ],
    warnings: [
      // a macro call in its raw SQL: reported, not guessed
      'column lineage: model.shopverse_analytics.stg_orders skipped',
      'column lineage: model.shopverse_analytics.customer_profit (snowflake) is partial',
    ],
  },
  {
    project: 'postgres',
    adapter: 'postgres',
    columns: [
      'postgres.dbt.order_dynamics.calendar_week',
      'postgres.dbt.customer_order_rank.user_id',
    ],
    edges: [
      'postgres.dbt.order_dynamics.calendar_week <- postgres.dbt.source_orders.order_date DIRECT/TRANSFORMATION',
      'postgres.dbt.customer_order_rank.user_id <- postgres.dbt.source_orders.user_id DIRECT/IDENTITY',
    ],
  },
  {
    project: 'bigquery',
    adapter: 'bigquery',
    columns: [
      'sales-analytics-453721.sales_dataset.sales_final.total_orders',
      'sales-analytics-453721.sales_dataset.sales_final.total_revenue',
    ],
    edges: [
      'sales-analytics-453721.sales_dataset.sales_final.total_orders <- sales-analytics-453721.sales_dataset.stg_sales.order_id DIRECT/AGGREGATION',
      'sales-analytics-453721.sales_dataset.sales_final.total_revenue <- sales-analytics-453721.sales_dataset.stg_sales.amount DIRECT/AGGREGATION',
    ],
    warnings: ['column lineage: model.sales_analytics.stg_sales (bigquery) is partial'],
  },
  {
    // `select * from` a table neither the manifest nor a catalog knows: no edge is guessed
    project: 'databricks',
    adapter: 'databricks',
    columns: [],
    edges: [],
    warnings: ['column lineage: model.dbt_databricks_project.dim_customer (databricks) is partial'],
  },
]

describe('column lineage from public compiled manifests of other warehouses', () => {
  it.each(CASES)('$project ($adapter)', ({ project, adapter, columns, edges, warnings = [] }) => {
    const manifest = read(join(REPO, 'fixtures/dbt/dialects', project, 'target'), 'manifest.json')
    expect(manifest).toMatchObject({ metadata: { adapter_type: adapter } })
    const b = collect(project)
    // compiled SQL where the manifest has it (dbt parse writes none: its raw SQL is rendered)
    const sources = new Set(b.columnEdges.map((e) => e.source))
    expect([...sources]).toEqual(
      edges.length ? [project.endsWith('-uncompiled') ? 'dbt_uncompiled' : 'dbt_compiled'] : [],
    )
    const lineage = b.warnings.filter((w) => w.startsWith('column lineage:'))
    expect(lineage.filter((w) => w.includes('could not be parsed'))).toEqual([])
    expect(lineage.map((w) => warnings.find((start) => w.startsWith(start)) ?? w)).toEqual(warnings)
    const wanted = new Set(columns)
    const got = b.columnEdges
      .filter((e) => e.transformation?.startsWith('DIRECT'))
      .filter((e) => wanted.has(`${e.dataset.name}.${e.column}`))
      .map(
        (e) =>
          `${e.dataset.name}.${e.column} <- ${e.from.name}.${e.fromColumn} ${e.transformation}`,
      )
    expect(got.sort()).toEqual([...edges].sort())
  })
})
