import { describe, expect, it } from 'vitest'
import { renderRawSql } from '../../../collectors/dbt/column-lineage/render.ts'
import { selectProfileOutput } from '../../../collectors/dbt/profiles.ts'

const ctx = { ref: () => undefined, source: () => undefined, self: undefined }

describe('raw SQL of public dbt projects', () => {
  // 2moonyo/global-trade-intelligence-pipeline @ 2a876879e50191debcf65a4ae94db1520d0057bf,
  // models/staging/stg_dim_trade_route_geography.sql (dbt 1.11, duckdb; its manifest has no
  // compiled SQL): a project macro called over five lines. The warning quoting it was five lines.
  const RAW = [
    'select',
    '  {{ hash_text(',
    `      "upper(trim(coalesce(reporter_iso3, ''))) || '|' || "`,
    `      "upper(trim(coalesce(partner_iso3, ''))) || '|' || "`,
    `      "lower(trim(coalesce(route_scenario, '')))"`,
    '    ) }} as trade_route_id',
    "from {{ ref('stg_comtrade_trade_base') }}",
  ].join('\n')

  it('quotes a multi-line macro call it cannot render on one line', () => {
    const r = renderRawSql(RAW, ctx)
    expect(r).toEqual({
      reason: `unresolved {{ hash_text( "upper(trim(coalesce(reporter_iso3, ''))) || '|' || " "upper(trim(coalesce(partner_iso3, ''))) || '|' || " "lower(trim(coalesce(route_scenario, '')))" ) }}`,
    })
  })

  it('quotes a multi-line Jinja statement on one line, at most 200 characters', () => {
    const r = renderRawSql(
      `{% set cols = [\n  'a',\n  'b'\n] %}\nselect 1 ${'-- x\n'.repeat(80)}`,
      ctx,
    )
    expect(r).toEqual({ reason: "Jinja statement {% set cols = [ 'a', 'b' ] %}" })
    const long = renderRawSql(`{% set x = [\n${"  'column',\n".repeat(40)}] %}`, ctx)
    expect('reason' in long && long.reason).not.toContain('\n')
    expect('reason' in long && long.reason.length).toBe('Jinja statement '.length + 200)
  })
})

describe('profiles.yml of public dbt projects', () => {
  // Anjali2213/dbt-databricks-project @ e4085e177e3cb0cf5e5ad9167ef32b258b1df198, profiles.yml
  // (beside a dbt Fusion 2.0.0-preview manifest): every connection field from an env var.
  const PROFILES = [
    'dbt_databricks_project:',
    '  outputs:',
    '    dev:',
    '      type: databricks',
    '      method: http',
    `      host: "{{ env_var('DBT_HOST') }}"`,
    `      http_path: "{{ env_var('DBT_HTTP_PATH') }}"`,
    `      token: "{{ env_var('DBT_TOKEN') }}"`,
    `      catalog: "{{ env_var('DBT_CATALOG') }}"`,
    `      schema: "{{ env_var('DBT_SCHEMA') }}"`,
    '      threads: 1',
    '  target: dev',
  ].join('\n')

  it('names the variable and the flag that does without it when one is unset', () => {
    expect(() =>
      selectProfileOutput(PROFILES, 'proj/profiles.yml', 'dbt_databricks_project', { env: {} }),
    ).toThrow(
      "proj/profiles.yml: env var required but not provided: 'DBT_HOST' (set DBT_HOST, as dbt needs it, or pass --namespace <ns> to name datasets without reading profiles.yml)",
    )
  })
})
