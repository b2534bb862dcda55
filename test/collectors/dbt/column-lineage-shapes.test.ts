import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Batch } from '../../../collectors/batch.ts'
import { expandDatasetWide } from '../../../collectors/dbt/column-lineage/dataset-wide.ts'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'
import { REPO } from './helpers.ts'

// SQL shapes of #19 from real compiled SQL: fixtures/dbt/projects/shapes built by the real
// dbt-duckdb (fixtures/record/build-shapes.sh) — a union, a subquery in FROM and in WHERE, and
// select * of a model whose columns only its contract declares.
const TARGET = join(REPO, 'fixtures/dbt/shapes/target')
const read = (f: string): unknown => JSON.parse(readFileSync(join(TARGET, f), 'utf8'))
const collect = (withCatalog: boolean) =>
  parseDbtArtifacts(
    { manifest: read('manifest.json'), ...(withCatalog ? { catalog: read('catalog.json') } : {}) },
    { namespace: 'duckdb://shapes.duckdb' },
  )
// a model's join/filter/group-by inputs are stored once as dataset-wide edges: read per column
const edgesOf = (b: Batch, model: string) =>
  expandDatasetWide(b.columnEdges)
    .filter((e) => e.dataset.name === `shapes.main.${model}`)
    .map(
      (e) =>
        `${e.column} <- ${e.from.name.replace('shapes.main.', '')}.${e.fromColumn} ${e.transformation}`,
    )
    .sort()
const compiled = (model: string) =>
  (read('manifest.json') as { nodes: Record<string, { compiled_code: string }> }).nodes[
    `model.shapes.${model}`
  ]?.compiled_code ?? ''

describe('column lineage of unions, subqueries and select * (real compiled SQL, DuckDB)', () => {
  it('a union: each output column comes from the column of every branch that feeds it', () => {
    expect(compiled('all_orders')).toMatch(/union all/)
    expect(edgesOf(collect(true), 'all_orders')).toEqual([
      // the store branch's channel is a literal: only the web branch feeds it
      'amount_cents <- store_orders.amount_cents DIRECT/TRANSFORMATION',
      'amount_cents <- web_orders.amount_cents DIRECT/TRANSFORMATION',
      'channel <- web_orders.kind DIRECT/TRANSFORMATION',
      'order_id <- store_orders.order_id DIRECT/TRANSFORMATION',
      'order_id <- web_orders.order_id DIRECT/TRANSFORMATION',
    ])
  })

  // with the catalog, and without: the IN subquery reads one table (a seed nothing describes
  // then), so its unqualified order_id is that table's, not the outer query's t.order_id
  it.each([
    ['with', true],
    ['without', false],
  ])(
    'subqueries (%s the catalog): an aggregate through an aliased FROM subquery, and a WHERE ... IN (select) as a filter',
    (_, withCatalog) => {
      expect(compiled('order_totals')).toMatch(/from \(\s*select/)
      expect(compiled('order_totals')).toMatch(
        /in \(select order_id from "shapes"\."main"\."web_orders"\)/,
      )
      expect(edgesOf(collect(withCatalog), 'order_totals')).toEqual([
        'order_id <- all_orders.order_id DIRECT/IDENTITY',
        'order_id <- web_orders.order_id INDIRECT/FILTER',
        // sum() inside the subquery: an aggregation at any hop
        'total_eur <- all_orders.amount_cents DIRECT/AGGREGATION',
        'total_eur <- all_orders.order_id INDIRECT/GROUP_BY',
        'total_eur <- web_orders.order_id INDIRECT/FILTER',
      ])
    },
  )

  it('select * of a model resolves through its contract columns when there is no catalog', () => {
    const b = collect(false)
    expect(compiled('from_contract')).toMatch(/select \* from "shapes"\."main"\."contracted"/)
    expect(edgesOf(b, 'from_contract')).toEqual([
      'amount_cents <- contracted.amount_cents DIRECT/IDENTITY',
      'kind <- contracted.kind DIRECT/IDENTITY',
      'order_id <- contracted.order_id DIRECT/IDENTITY',
    ])
    // the contracted model's own select * of a seed nothing describes is partial, and says so
    expect(edgesOf(b, 'contracted')).toEqual([])
    expect(b.warnings).toContainEqual(
      expect.stringMatching(
        /^column lineage: model\.shapes\.contracted \(duckdb\) is partial: .*store_orders/,
      ),
    )
  })

  it('select * of a seed resolves through the catalog', () => {
    const b = collect(true)
    expect(edgesOf(b, 'contracted')).toEqual([
      'amount_cents <- store_orders.amount_cents DIRECT/IDENTITY',
      'kind <- store_orders.kind DIRECT/IDENTITY',
      'order_id <- store_orders.order_id DIRECT/IDENTITY',
    ])
    expect(b.warnings.filter((w) => w.startsWith('column lineage:'))).toEqual([])
  })
})
