import { analyzeQuery, generate, openLineageColumnLineage, parse, type Dialect } from './sdk.ts'
import type { ColumnEdge, Ref } from '../../batch.ts'
import { aggregatedColumns } from './aggregates.ts'
import { topOutputNames } from './ast.ts'
import { cteStars, type CteStars } from './cte-sources.ts'
import { EdgeSet } from './edge-set.ts'
import { expandStars } from './expand-stars.ts'
import { qualifySubqueries } from './qualify-subqueries.ts'
import { normalizeRelation, type Relation } from './relations.ts'
import { walkLineage } from './walk.ts'

/**
 * Appended to the transformation of an edge kept although its input could not be resolved to
 * one known column: a star over several tables of unknown columns (the edge goes to each), or
 * a table the manifest does not know (the edge goes to a dataset of that name).
 */
export const UNRESOLVED = ' unresolved'

export type SqlLineageOptions = {
  dialect: Dialect
  output: Ref
  /** the tables the SQL reads, with their columns where known (for `select *`) */
  upstream: Relation[]
  /** a table named in the SQL → its dataset */
  resolve: (name: string) => Relation | undefined
  /** 'parser': the parser's own lineage for every model (the walk's peer in tests) */
  engine?: 'walk' | 'parser'
  /** the uses of joins, filters, groupings as one edge per output column, not one per model */
  perColumn?: boolean
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
  return (opts.engine !== 'parser' && walked(sql, opts)) || lineageByParser(sql, opts)
}

/** The one-parse walk of walk.ts, or undefined where it declines (or the SQL does not parse). */
function walked(sql: string, opts: SqlLineageOptions): SqlLineage | undefined {
  const parsed = parse(sql, opts.dialect)
  if (!parsed.success || !parsed.ast) return undefined
  expandStars(parsed.ast, (name) => opts.resolve(name)?.columns?.map((c) => c.name))
  const result = walkLineage(parsed.ast, opts.output, opts.resolve, opts.perColumn)
  if (!result) return undefined
  const unresolved: string[] = []
  const blind = opts.upstream.filter((r) => !r.columns).map((r) => r.ref.name)
  const fed = new Set(
    result.edges.filter((e) => e.transformation?.startsWith('DIRECT')).map((e) => e.column),
  )
  if (blind.length && result.columns.some((c) => !fed.has(c))) {
    unresolved.push(
      `no columns known for ${blind.join(', ')} (no catalog.json entry, none declared)`,
    )
  }
  return { ...result, unresolved }
}

/** The parser's own column lineage and query analysis: what walk.ts declines. */
function lineageByParser(sql: string, opts: SqlLineageOptions): SqlLineage {
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
  // a subquery's columns qualified by its one table: resolved without that table's columns
  const qualified = withSubqueriesQualified(sql, opts.dialect)
  let facet = qualified === undefined ? run(sql) : run(qualified)
  if (qualified !== undefined) {
    if (facet.success) sql = qualified
    else facet = run(sql)
  }
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
  const set = new EdgeSet(opts.output, opts.perColumn)
  const push = (column: string, from: Relation, fromColumn: string, transformation: string) =>
    set.add(column, from.ref, fromColumn, transformation)
  // in the order the SQL outputs them (the facet's is its own): a `select *` downstream of this
  // model, or a union over it, is expanded in that order
  const { order, aggregated } = outputShape(sql, opts.dialect)
  const columns = Object.keys(facet.facet.fields).sort(
    (a, b) =>
      (order.get(a.toLowerCase()) ?? order.size) - (order.get(b.toLowerCase()) ?? order.size),
  )
  const lost = new Set<string>()
  let ctes: CteStars | undefined
  const ctesOf = () => (ctes ??= parsedCtes(sql, opts.dialect))
  for (const [column, field] of Object.entries(facet.facet.fields)) {
    for (const input of field.inputFields) {
      const t = input.transformations?.[0]
      // an aggregate at any hop (a CTE's `sum(amount)`) makes the column an aggregation; the
      // parser looks at the outermost expression only
      const transformation =
        (!t || t.type === 'DIRECT') && aggregated.has(column.toLowerCase())
          ? 'DIRECT/AGGREGATION'
          : t
            ? `${t.type}/${t.subtype}`
            : 'DIRECT/TRANSFORMATION'
      const from = opts.resolve(input.name)
      if (from) {
        push(column, from, input.field, transformation)
        continue
      }
      const traced = throughCtes(input.name, input.field, ctesOf(), opts)
      const exact = traced.length === 1 && traced[0]!.known
      for (const r of traced) {
        push(column, r.relation, input.field, exact ? transformation : transformation + UNRESOLVED)
      }
      if (!exact) lost.add(input.name)
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
        set.use(from.ref, r.column, transformation)
      }
    }
  }
  // what the parser could not resolve (a `select *` of a table with no known columns)
  const unresolved = facet.warnings.filter((w) => w.code.startsWith('W_STAR')).map((w) => w.message)
  const blind = opts.upstream.filter((r) => !r.columns).map((r) => r.ref.name)
  const empty = Object.values(facet.facet.fields).some((f) => f.inputFields.length === 0)
  if (lost.size) {
    unresolved.push(
      `could not trace columns through ${[...lost].join(', ')} to one known table; ` +
        `edges kept with transformation "…${UNRESOLVED}"`,
    )
  }
  if (blind.length && empty && !unresolved.length) {
    unresolved.push(
      `no columns known for ${blind.join(', ')} (no catalog.json entry, none declared)`,
    )
  }
  return { columns, edges: set.edges(columns), unresolved }
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

/** The SQL with the columns of its one-table subqueries qualified, or undefined if none were. */
function withSubqueriesQualified(sql: string, dialect: Dialect): string | undefined {
  if (!/\(\s*select\b/i.test(sql)) return undefined
  const parsed = parse(sql, dialect)
  if (!parsed.success || !parsed.ast || !qualifySubqueries(parsed.ast)) return undefined
  const out = generate(parsed.ast, dialect)
  return out.success && out.sql?.length === 1 ? out.sql[0] : undefined
}

/** The order of the statement's output columns, and those an aggregate computes at any hop. */
function outputShape(
  sql: string,
  dialect: Dialect,
): { order: Map<string, number>; aggregated: Set<string> } {
  const parsed = parse(sql, dialect)
  const ast = parsed.success ? parsed.ast : undefined
  const names = ast ? topOutputNames(ast) : []
  return {
    order: new Map(names.map((n, k) => [n.toLowerCase(), k])),
    aggregated: ast ? aggregatedColumns(ast) : new Set(),
  }
}

function parsedCtes(sql: string, dialect: Dialect): CteStars {
  const parsed = parse(sql, dialect)
  return parsed.success && parsed.ast ? cteStars(parsed.ast) : new Map()
}

/**
 * The relations an input named `name` (a CTE the parser stopped at, or a table) stands for:
 * through the stars of CTEs down to the tables of the manifest. `known` is false for a table
 * the manifest does not know (a dataset of that name in the output's namespace) and for the
 * tables of a CTE that computes the column (the column is one of theirs, or none of them).
 */
function throughCtes(
  name: string,
  field: string,
  ctes: CteStars,
  opts: SqlLineageOptions,
  depth = 0,
): { relation: Relation; known: boolean }[] {
  const known = opts.resolve(name)
  if (known) return [{ relation: known, known: true }]
  const cte = depth < 32 ? ctes.get(name.toLowerCase()) : undefined
  if (cte) {
    if (!cte.named.has(field.toLowerCase()))
      return cte.stars.flatMap((s) => throughCtes(s, field, ctes, opts, depth + 1))
    // a column the CTE computes, which the parser lost: from one of the tables the CTE reads
    return cte.reads
      .flatMap((s) => throughCtes(s, field, ctes, opts, depth + 1))
      .map((r) => ({ ...r, known: false }))
  }
  // a table named in the SQL that no ref() or source() gave: kept under its own name
  if (!name.includes('.')) return []
  const normalized = normalizeRelation(name)
  const ref = { namespace: opts.output.namespace, name: normalized }
  return [{ relation: { name: normalized, ref, columns: undefined }, known: false }]
}
