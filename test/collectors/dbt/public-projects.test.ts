import { describe, expect, it } from 'vitest'
import { renderRawSql } from '../../../collectors/dbt/column-lineage/render.ts'

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
