import {
  analyzeQuery,
  generate,
  openLineageColumnLineage,
  parse,
  type Dialect,
} from '@polyglot-sql/sdk'
import type { ColumnEdge, Ref } from '../../batch.ts'
import { expandStars } from './expand-stars.ts'
import type { Relation } from './relations.ts'

export type SqlLineageOptions = {
  dialect: Dialect
  output: Ref
  /** the tables the SQL reads, with their columns where known (for `select *`) */
  upstream: Relation[]
  /** a table named in the SQL → its dataset */
  resolve: (name: string) => Relation | undefined
}

export type SqlLineage =
  { columns: string[]; edges: ColumnEdge[]; unresolved: string[] } | { error: string }

// OpenLineage transformation subtypes of the clauses that use a column without outputting it
// https://openlineage.io/docs/spec/facets/dataset-facets/column_lineage_facet
const INDIRECT: Record<string, string> = {
  join: 'INDIRECT/JOIN',
  filter: 'INDIRECT/FILTER',
  group: 'INDIRECT/GROUP_BY',
  having: 'INDIRECT/FILTER',
  qualify: 'INDIRECT/FILTER',
  window: 'INDIRECT/WINDOW',
  order: 'INDIRECT/SORT',
}

/**
 * Column lineage of one SELECT: every output column → the upstream columns it is computed from
 * (DIRECT/IDENTITY, DIRECT/TRANSFORMATION, DIRECT/AGGREGATION), plus the columns its joins,
 * filters, groupings and windows read (INDIRECT/…), which shape every output column.
 */
export function lineageOfSql(sql: string, opts: SqlLineageOptions): SqlLineage {
  const schema = {
    strict: false,
    tables: opts.upstream.flatMap((r) =>
      r.columns
        ? [
            {
              name: r.name,
              columns: r.columns.map((c) => ({ name: c.name, type: c.type ?? 'unknown' })),
            },
          ]
        : [],
    ),
  }
  const run = (text: string) =>
    openLineageColumnLineage(text, {
      dialect: opts.dialect,
      producer: 'meshwatch',
      datasetNamespace: opts.output.namespace,
      outputDataset: opts.output,
      schema,
    })
  let facet = run(sql)
  if (facet.success && facet.warnings.some((w) => w.code.startsWith('W_STAR'))) {
    const expanded = withStarsExpanded(sql, opts)
    if (expanded) {
      const again = run(expanded)
      if (again.success) {
        sql = expanded
        facet = again
      }
    }
  }
  if (!facet.success || !facet.facet) {
    const warning = facet.warnings[0]
    return { error: facet.error ?? warning?.message ?? 'no column lineage' }
  }
  const edges: ColumnEdge[] = []
  const seen = new Set<string>()
  const push = (column: string, from: Relation, fromColumn: string, transformation: string) => {
    const key = `${column}\u0000${from.ref.name}\u0000${fromColumn}`
    if (seen.has(key)) return
    seen.add(key)
    edges.push({ dataset: opts.output, column, from: from.ref, fromColumn, transformation })
  }
  const columns = Object.keys(facet.facet.fields)
  const lost = new Set<string>()
  for (const [column, field] of Object.entries(facet.facet.fields)) {
    for (const input of field.inputFields) {
      const from = opts.resolve(input.name)
      if (!from) {
        lost.add(input.name)
        continue
      }
      const t = input.transformations?.[0]
      push(column, from, input.field, t ? `${t.type}/${t.subtype}` : 'DIRECT/TRANSFORMATION')
    }
  }
  const analysis = analyzeQuery(sql, { dialect: opts.dialect, schema })
  if (analysis.success && analysis.analysis) {
    for (const use of analysis.analysis.columnUses ?? []) {
      const transformation = INDIRECT[use.context]
      if (!transformation) continue
      for (const r of use.references) {
        const from = r.table ? opts.resolve(r.table) : undefined
        if (!from || !r.column) continue
        for (const column of columns) push(column, from, r.column, transformation)
      }
    }
  }
  // what the parser could not resolve (a `select *` of a table with no known columns)
  const unresolved = facet.warnings.filter((w) => w.code.startsWith('W_STAR')).map((w) => w.message)
  const blind = opts.upstream.filter((r) => !r.columns).map((r) => r.ref.name)
  const empty = Object.values(facet.facet.fields).some((f) => f.inputFields.length === 0)
  if (lost.size) unresolved.push(`could not trace columns through ${[...lost].join(', ')}`)
  if (blind.length && empty && !unresolved.length) {
    unresolved.push(
      `no columns known for ${blind.join(', ')} (no catalog.json entry, none declared)`,
    )
  }
  return { columns, edges, unresolved }
}

/** The SQL with its stars expanded over CTEs and subqueries, or undefined if none could be. */
function withStarsExpanded(sql: string, opts: SqlLineageOptions): string | undefined {
  const parsed = parse(sql, opts.dialect)
  if (!parsed.success || !parsed.ast) return undefined
  const changed = expandStars(parsed.ast, (name) => opts.resolve(name)?.columns?.map((c) => c.name))
  if (!changed) return undefined
  const out = generate(parsed.ast, opts.dialect)
  return out.success && out.sql?.length === 1 ? out.sql[0] : undefined
}
