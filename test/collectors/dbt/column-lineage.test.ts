import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Batch, ColumnEdge } from '../../../collectors/batch.ts'
import { parseDbtArtifacts, readDbtTarget } from '../../../collectors/dbt/index.ts'
import { expandDatasetWide } from '../../../collectors/dbt/column-lineage/dataset-wide.ts'
import { addColumnLineage } from '../../../collectors/dbt/column-lineage/index.ts'
import { UNRESOLVED } from '../../../collectors/dbt/column-lineage/lineage.ts'
import { mapDbtArtifacts } from '../../../collectors/dbt/map.ts'
import { renderRawSql } from '../../../collectors/dbt/column-lineage/render.ts'
import { HAS_SHARED, readShared, REPO } from './helpers.ts'

const NS = 'duckdb://mesh.duckdb'
const demo = (project: string) =>
  readDbtTarget(join(REPO, 'fixtures/dbt/good', project, 'target'), { namespace: NS })
const readJson = (file: string): unknown => JSON.parse(readFileSync(join(REPO, file), 'utf8'))

const line = (e: ColumnEdge) =>
  `${e.dataset.name}.${e.column} <- ${e.from.name}.${e.fromColumn} ${e.transformation} ${e.source}`
const direct = (b: Batch, model: string) =>
  b.columnEdges.filter((e) => e.dataset.name === model && e.transformation?.startsWith('DIRECT'))
const lineageWarnings = (b: Batch) => b.warnings.filter((w) => w.startsWith('column lineage:'))

describe('column lineage from compiled SQL (DuckDB, the demo mesh recorded by dbt 1.11)', () => {
  it('traces every output column of revenue_daily through its CTEs, select * and casts', async () => {
    const b = await demo('finance')
    expect(direct(b, 'mesh.finance.revenue_daily').map(line).sort()).toEqual([
      'mesh.finance.revenue_daily.gross_revenue_eur <- mesh.sales.orders.amount_eur DIRECT/AGGREGATION dbt_compiled',
      'mesh.finance.revenue_daily.invoiced_revenue_eur <- mesh.finance.invoices_eur.invoiced_eur DIRECT/AGGREGATION dbt_compiled',
      'mesh.finance.revenue_daily.net_revenue_eur <- mesh.sales.orders.amount_eur DIRECT/AGGREGATION dbt_compiled',
      'mesh.finance.revenue_daily.net_revenue_eur <- mesh.sales.orders.status DIRECT/AGGREGATION dbt_compiled',
      'mesh.finance.revenue_daily.refunded_eur <- mesh.sales.orders.amount_eur DIRECT/AGGREGATION dbt_compiled',
      'mesh.finance.revenue_daily.refunded_eur <- mesh.sales.orders.status DIRECT/AGGREGATION dbt_compiled',
      'mesh.finance.revenue_daily.revenue_date <- mesh.sales.orders.order_date DIRECT/TRANSFORMATION dbt_compiled',
    ])
    expect(lineageWarnings(b)).toEqual([])
  })

  it('marks aliases as identity and the join, filter and group-by columns as indirect', async () => {
    const b = await demo('finance')
    // the join column is one dataset-wide edge of the model (column `*`), read back per column
    expect(b.columnEdges.map(line)).toContain(
      'mesh.finance.invoices_eur.* <- mesh.finance.stg_finance__fx_rates.currency INDIRECT/JOIN dbt_compiled',
    )
    const all = expandDatasetWide(b.columnEdges).map(line)
    expect(all).toContain(
      'mesh.finance.invoices_eur.order_status <- mesh.sales.orders.status DIRECT/IDENTITY dbt_compiled',
    )
    expect(all).toContain(
      'mesh.finance.invoices_eur.invoiced_eur <- mesh.finance.stg_finance__fx_rates.currency INDIRECT/JOIN dbt_compiled',
    )
    expect(all).toContain(
      'mesh.finance.revenue_daily.orders_count <- mesh.sales.orders.status INDIRECT/FILTER dbt_compiled',
    )
    expect(all).toContain(
      'mesh.finance.revenue_daily.orders_count <- mesh.sales.orders.order_date INDIRECT/GROUP_BY dbt_compiled',
    )
  })

  it.each(['sales', 'marketing', 'product'])(
    '%s: every model gets column edges, no warning',
    async (p) => {
      const b = await demo(p)
      const models = b.datasets
        .filter((d) => d.kind === 'model' && d.domain === p)
        .map((d) => d.name)
      const withEdges = new Set(b.columnEdges.map((e) => e.dataset.name))
      expect(models.filter((m) => !withEdges.has(m))).toEqual([])
      expect(lineageWarnings(b)).toEqual([])
    },
  )

  it('reads an ephemeral model through the CTE dbt inlines for it', () => {
    const b = parseDbtArtifacts(
      { manifest: readJson('fixtures/dbt/compat/target/manifest.json') },
      { namespace: NS },
    )
    expect(direct(b, 'compat.shop.customers').map(line).sort()).toEqual([
      'compat.shop.customers.country <- compat.shop_raw.raw_customers.country DIRECT/IDENTITY dbt_compiled',
      'compat.shop.customers.customer_id <- compat.shop_raw.raw_customers.customer_id DIRECT/IDENTITY dbt_compiled',
      'compat.shop.customers.name <- compat.shop_raw.raw_customers.name DIRECT/IDENTITY dbt_compiled',
    ])
  })

  it('keeps the table lineage of a model whose SQL cannot be parsed and names model, dialect and error', () => {
    // the real compiled SQL of compat's stg_orders (a schema-qualified UDF call), built as a view
    const manifest = readJson('fixtures/dbt/compat/target/manifest.json')
    const nodes = (manifest as { nodes: Record<string, { config: Record<string, unknown> }> }).nodes
    nodes['model.compat_shop.stg_orders']!.config['materialized'] = 'view'
    const b = parseDbtArtifacts({ manifest }, { namespace: NS })
    expect(lineageWarnings(b)).toContainEqual(
      expect.stringMatching(
        /^column lineage: model\.compat_shop\.stg_orders \(duckdb\) could not be parsed: Parse error at line 5, column 36/,
      ),
    )
    expect(b.edges).toContainEqual({
      job: expect.objectContaining({ name: expect.stringContaining('stg_orders') }),
      dataset: { namespace: NS, name: 'compat.shop.stg_orders' },
      direction: 'output',
    })
    expect(b.columnEdges.filter((e) => e.dataset.name === 'compat.shop.stg_orders')).toEqual([])
  })
})

const JAFFLE = 'jaffle_shop/manifest/v12/jaffle_shop'
describe.skipIf(!HAS_SHARED)(
  'column lineage of public manifests (dbt-labs jaffle_shop via dbt-artifacts-parser)',
  // the 36-model BigQuery manifests parse in ~5 s alone, longer on a shared CI machine
  { timeout: 120_000 },
  () => {
    it('BigQuery (dbt 1.9) with its catalog: backquoted relations, pivots by CASE, aliases', () => {
      const b = parseDbtArtifacts(
        {
          manifest: readShared(`${JAFFLE}/manifest_1.9.json`),
          catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog.json'),
        },
        { namespace: 'bigquery' },
      )
      const lines = direct(b, 'your-project.jaffle_shop.orders').map(line)
      expect(lines).toContain(
        'your-project.jaffle_shop.orders.customer_id <- your-project.jaffle_shop.stg_orders.customer_id DIRECT/IDENTITY dbt_compiled',
      )
      expect(lines).toContain(
        // `sum(case when payment_method = 'credit_card' then amount else 0 end)` in the
        // order_payments CTE, read as `order_payments.credit_card_amount`: an aggregation
        'your-project.jaffle_shop.orders.credit_card_amount <- your-project.jaffle_shop.stg_payments.payment_method DIRECT/AGGREGATION dbt_compiled',
      )
    })

    // customers.sql: `sum(amount) as total_amount` in customer_payments, then
    // `customer_payments.total_amount as customer_lifetime_value` in final, then `select * from final`
    it.each(['walk', 'parser'] as const)(
      'an aggregate two CTEs down makes the column an aggregation (%s, BigQuery dbt 1.9)',
      (engine) => {
        const b = mapDbtArtifacts(
          {
            manifest: readShared(`${JAFFLE}/manifest_1.9.json`),
            catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog.json'),
          },
          { namespace: 'bigquery' },
          (batch, graph, adapter) => addColumnLineage(batch, graph, adapter, { engine }),
        )
        expect(direct(b, 'your-project.jaffle_shop.customers').map(line).sort()).toEqual([
          'your-project.jaffle_shop.customers.customer_id <- your-project.jaffle_shop.stg_customers.customer_id DIRECT/IDENTITY dbt_compiled',
          'your-project.jaffle_shop.customers.customer_lifetime_value <- your-project.jaffle_shop.stg_payments.amount DIRECT/AGGREGATION dbt_compiled',
          'your-project.jaffle_shop.customers.first_name <- your-project.jaffle_shop.stg_customers.first_name DIRECT/IDENTITY dbt_compiled',
          'your-project.jaffle_shop.customers.first_order <- your-project.jaffle_shop.stg_orders.order_date DIRECT/AGGREGATION dbt_compiled',
          'your-project.jaffle_shop.customers.last_name <- your-project.jaffle_shop.stg_customers.last_name DIRECT/IDENTITY dbt_compiled',
          'your-project.jaffle_shop.customers.most_recent_order <- your-project.jaffle_shop.stg_orders.order_date DIRECT/AGGREGATION dbt_compiled',
          'your-project.jaffle_shop.customers.number_of_orders <- your-project.jaffle_shop.stg_orders.order_id DIRECT/AGGREGATION dbt_compiled',
        ])
      },
    )

    // customers.sql of dbt 1.12: the aggregates in customer_orders_summary, read by `joined`
    // (and `is_repeat_buyer`, `count(…) > 1`, through a CASE), then `select * from joined`
    it.each(['walk', 'parser'] as const)(
      'an aggregate in a CTE read through a CASE and a select * (%s, DuckDB dbt 1.12)',
      (engine) => {
        const b = mapDbtArtifacts(
          {
            manifest: readShared(`${JAFFLE}/manifest_1.12.json`),
            catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog_1.12.json'),
          },
          { namespace: NS },
          (batch, graph, adapter) => addColumnLineage(batch, graph, adapter, { engine }),
        )
        const lines = direct(b, 'jaffle_shop.main.customers').map(line)
        for (const l of [
          'jaffle_shop.main.customers.lifetime_spend <- jaffle_shop.main.orders.order_total DIRECT/AGGREGATION dbt_compiled',
          'jaffle_shop.main.customers.count_lifetime_orders <- jaffle_shop.main.orders.order_id DIRECT/AGGREGATION dbt_compiled',
          'jaffle_shop.main.customers.customer_type <- jaffle_shop.main.orders.order_id DIRECT/AGGREGATION dbt_compiled',
          'jaffle_shop.main.customers.customer_name <- jaffle_shop.main.stg_customers.customer_name DIRECT/IDENTITY dbt_compiled',
        ])
          expect(lines).toContain(l)
      },
    )

    it('DuckDB (dbt 1.12) with its catalog: select * from a CTE resolves to the upstream columns', () => {
      const b = parseDbtArtifacts(
        {
          manifest: readShared(`${JAFFLE}/manifest_1.12.json`),
          catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog_1.12.json'),
        },
        { namespace: NS },
      )
      expect(direct(b, 'jaffle_shop.main.customers').map(line)).toContain(
        'jaffle_shop.main.customers.customer_name <- jaffle_shop.main.stg_customers.customer_name DIRECT/IDENTITY dbt_compiled',
      )
      expect(new Set(b.columnEdges.map((e) => e.dataset.name)).size).toBeGreaterThanOrEqual(10)
    })

    it('DuckDB (dbt 1.12): a select item followed by a -- comment still names its column (stg_locations)', () => {
      const b = parseDbtArtifacts(
        {
          manifest: readShared(`${JAFFLE}/manifest_1.12.json`),
          catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog_1.12.json'),
        },
        { namespace: NS },
      )
      expect(direct(b, 'jaffle_shop.main.stg_locations').map(line)).toContain(
        'jaffle_shop.main.stg_locations.tax_rate <- jaffle_shop.raw.raw_stores.tax_rate DIRECT/IDENTITY dbt_compiled',
      )
      expect(lineageWarnings(b)).toEqual([])
    })

    it('DuckDB (dbt 1.10, no catalog): follows `source as (select * from raw)` to the raw table', () => {
      const b = parseDbtArtifacts(
        { manifest: readShared(`${JAFFLE}/manifest_1.10.json`) },
        { namespace: NS },
      )
      expect(direct(b, 'jaffle_shop.main.stg_customers').map(line)).toEqual([
        'jaffle_shop.main.stg_customers.customer_id <- jaffle_shop.raw.raw_customers.id DIRECT/TRANSFORMATION dbt_compiled',
        'jaffle_shop.main.stg_customers.customer_name <- jaffle_shop.raw.raw_customers.name DIRECT/TRANSFORMATION dbt_compiled',
      ])
      expect(lineageWarnings(b).join('\n')).not.toMatch(/stg_customers/)
    })

    it('keeps, marked unresolved and warned about, an input the parser lost inside a CTE (daily_orders)', () => {
      const b = parseDbtArtifacts(
        {
          // 1.8's daily_orders: 1.9's adds `where order_date >= (select max(order_date) from
          // daily_orders)`, whose qualified subquery the parser then traces exactly
          manifest: readShared(`${JAFFLE}/manifest_1.8.json`),
          catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog.json'),
        },
        { namespace: 'bigquery' },
      )
      expect(direct(b, 'your-project.jaffle_shop.daily_orders').map(line)).toContain(
        `your-project.jaffle_shop.daily_orders.order_date <- your-project.jaffle_shop.orders.order_date DIRECT/TRANSFORMATION${UNRESOLVED} dbt_compiled`,
      )
      expect(lineageWarnings(b)).toContainEqual(
        expect.stringMatching(
          /^column lineage: model\.jaffle_shop\.daily_orders \(bigquery\) is partial: could not trace columns through monthly_orders to one known table; edges kept/,
        ),
      )
    })

    it('dbt parse manifest (DuckDB 1.11, no compiled SQL): reports the models whose Jinja calls macros', () => {
      const b = parseDbtArtifacts(
        { manifest: readShared(`${JAFFLE}/manifest_1.11.json`) },
        { namespace: NS },
      )
      expect(lineageWarnings(b)).toContain(
        "column lineage: model.jaffle_shop.stg_products skipped: its raw SQL (no compiled SQL in the manifest) has unresolved {{ cents_to_dollars('price') }}",
      )
      expect(b.columnEdges.every((e) => e.source === 'dbt_uncompiled')).toBe(true)
    })

    it('Postgres dbt parse manifest (astronomer-cosmos cross-project): renders ref() across projects', () => {
      const b = parseDbtArtifacts(
        { manifest: readShared('mesh/cosmos_cross_project/downstream/target/manifest.json') },
        { namespace: 'postgres://localhost:5432' },
      )
      expect(b.columnEdges.map(line)).toContain(
        'postgres.finance.rpt_revenue_summary.total_revenue <- postgres.finance.fct_revenue.gross_revenue DIRECT/AGGREGATION dbt_uncompiled',
      )
    })
  },
)

describe('rendering raw SQL from the manifest (dbt parse)', () => {
  const ctx = {
    self: '"db"."s"."me"',
    ref: (name: string, pkg: string | undefined, v: string | undefined) =>
      `"db"."${pkg ?? 'main'}"."${name}${v ? `_v${v}` : ''}"`,
    source: (s: string, t: string) => (s === 'raw' ? `"db"."raw"."${t}"` : undefined),
  }
  it.each([
    {
      name: 'ref',
      raw: "select * from {{ ref('orders') }}",
      sql: 'select * from "db"."main"."orders"',
    },
    {
      name: 'two-argument ref',
      raw: `select * from {{ ref("up", "orders") }}`,
      sql: 'select * from "db"."up"."orders"',
    },
    {
      name: 'versioned ref',
      raw: "select * from {{ ref('orders', v=2) }}",
      sql: 'select * from "db"."main"."orders_v2"',
    },
    {
      name: 'source',
      raw: "select * from {{ source('raw', 'events') }}",
      sql: 'select * from "db"."raw"."events"',
    },
    {
      name: 'this and config',
      raw: "{{ config(materialized='table') }}select 1 from {{ this }}",
      sql: 'select 1 from "db"."s"."me"',
    },
    {
      name: 'var with a default',
      raw: "select '{{ var(\"since\", '2020-01-01') }}' as d",
      sql: "select '2020-01-01' as d",
    },
    {
      name: 'is_incremental: the full-refresh SQL',
      raw: 'select a from t {% if is_incremental() %}where a > (select max(a) from {{ this }}){% endif %}',
      sql: 'select a from t ',
    },
    { name: 'a Jinja comment', raw: 'select 1 {# why #}', sql: 'select 1 ' },
  ])('$name', ({ raw, sql }) => {
    expect(renderRawSql(raw, ctx)).toEqual({ sql })
  })

  it.each([
    {
      name: 'a macro',
      raw: "select {{ cents_to_dollars('x') }}",
      reason: /unresolved \{\{ cents_to_dollars/,
    },
    {
      name: 'an unknown source',
      raw: "select * from {{ source('other', 't') }}",
      reason: /unresolved/,
    },
    { name: 'a var without default', raw: "select {{ var('x') }}", reason: /unresolved/ },
    {
      name: 'a for loop',
      raw: '{% for c in cols %}{{ c }}{% endfor %}',
      reason: /unresolved|Jinja statement/,
    },
  ])('reports $name, does not guess', ({ raw, reason }) => {
    const r = renderRawSql(raw, ctx)
    expect('reason' in r && r.reason).toMatch(reason)
  })
})

describe('turning column lineage off', () => {
  it('derives no column edges and no lineage warning with columnLineage: false', async () => {
    const b = await readDbtTarget(join(REPO, 'fixtures/dbt/good/finance/target'), {
      namespace: NS,
      columnLineage: false,
    })
    expect(b.columnEdges).toEqual([])
    expect(b.edges.length).toBeGreaterThan(0)
  })
})
