import type { ColumnEdge, Ref } from '../../batch.ts'
import { child, identName, isNode, nodes, outputName, type Node } from './ast.ts'
import { EdgeSet } from './edge-set.ts'
import type { Relation } from './relations.ts'
import { Decline, scan, type ColumnRef, type Scan } from './scan.ts'

/**
 * Column lineage of one parsed SELECT (the JSON AST of @polyglot-sql/sdk, stars already
 * expanded), walked once in JS: the parser's own lineage runs once per output column and costs
 * 100× the parse. It gives what that lineage and the parser's query analysis give on dbt's usual
 * SQL (CTEs, subqueries in FROM, joins, unions, aggregations, windows), and declines (undefined)
 * anything else — a star left, a subquery in an expression, USING, an ambiguous column, a table
 * the manifest does not know — which then goes the parser's way.
 */
export type WalkedLineage = { columns: string[]; edges: ColumnEdge[] }

type Input = { relation: Relation; column: string }
/** what one output column of a query is computed from */
type Trace = {
  inputs: Input[]
  /** no union below: an input can be an identity */
  plain: boolean
  /** an aggregate at this hop or any below it (a CTE's, a subquery's, through a star) */
  aggregated: boolean
}
type Use = { input: Input; transformation: string }
/** a query's output columns, and the columns its clauses use: its own first, then its CTEs' */
type Query = { names: string[]; traces: Map<string, Trace>; uses: Use[] }
/** `derived`: a subquery in FROM, whose clauses' uses are the enclosing query's */
type Source = { alias: string; relation?: Relation; query?: Query; derived?: Query }

// the clauses of a SELECT this walk knows; any other set clause is declined
const SELECT_KEYS = new Set([
  'expressions',
  'from',
  'joins',
  'with',
  'where_clause',
  'group_by',
  'having',
  'qualify',
  'order_by',
  'limit',
  'offset',
  'distinct',
  'leading_comments',
  'trailing_comments',
])
// OpenLineage subtypes of the clauses that use a column without outputting it, as lineage.ts
const CLAUSES: [string, string][] = [
  ['where_clause', 'INDIRECT/FILTER'],
  ['group_by', 'INDIRECT/GROUP_BY'],
  ['having', 'INDIRECT/FILTER'],
  ['qualify', 'INDIRECT/FILTER'],
  ['order_by', 'INDIRECT/SORT'],
]

// the clauses where SQL lets an output alias stand for its expression
const ALIAS_CLAUSES = new Set(['group_by', 'having', 'order_by'])

const isSet = (v: unknown) =>
  v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)

export function walkLineage(
  ast: unknown,
  output: Ref,
  resolve: (name: string) => Relation | undefined,
  perColumn = false,
): WalkedLineage | undefined {
  const statements = Array.isArray(ast) ? ast.filter(isNode) : isNode(ast) ? [ast] : []
  if (statements.length !== 1) return undefined
  try {
    const top = statements[0]!
    const query = walkQuery(top, new Map(), { resolve })
    const topSelect = child(top, 'select')
    const edges = new EdgeSet(output, perColumn)
    const push = (column: string, i: Input, transformation: string) =>
      edges.add(column, i.relation.ref, i.column, transformation)
    const items = topSelect ? nodes(topSelect['expressions']) : []
    query.names.forEach((column, k) => {
      const trace = query.traces.get(column.toLowerCase())!
      const item = items[k]
      // an aggregation at any hop (`sum(amount) as total` in a CTE, then `total as
      // lifetime_value`); else the parser's rule: a bare column is an identity of each input
      // of the same name (not through a union), anything else a transformation
      const aggregate = trace.aggregated
      const bare = item && trace.plain ? bareColumnName(item)?.toLowerCase() : undefined
      for (const i of trace.inputs) {
        const transformation = aggregate
          ? 'DIRECT/AGGREGATION'
          : bare !== undefined && i.column.toLowerCase() === bare
            ? 'DIRECT/IDENTITY'
            : 'DIRECT/TRANSFORMATION'
        push(column, i, transformation)
      }
    })
    for (const { input, transformation } of query.uses) {
      edges.use(input.relation.ref, input.column, transformation)
    }
    return { columns: query.names, edges: edges.edges(query.names) }
  } catch (e) {
    if (e instanceof Decline) return undefined
    throw e
  }
}

type Ctx = { resolve: (name: string) => Relation | undefined }
type Ctes = { scope: Map<string, Query>; uses: Use[] }

function walkQuery(n: Node, outer: Map<string, Query>, ctx: Ctx): Query {
  const select = child(n, 'select')
  if (select) return walkSelect(select, outer, ctx)
  for (const op of ['union', 'intersect', 'except']) {
    const set = child(n, op)
    if (!set) continue
    const ctes = withCtes(set, outer, ctx)
    const left = walkQuery(child(set, 'left') ?? {}, ctes.scope, ctx)
    const right = walkQuery(child(set, 'right') ?? {}, ctes.scope, ctx)
    // branches of other column names (or orders) go the parser's way: it pairs them by its
    // own expansion of their stars
    if (
      left.names.length !== right.names.length ||
      left.names.some((n, k) => n.toLowerCase() !== right.names[k]?.toLowerCase())
    )
      throw new Decline()
    if (isSet(set['order_by']) || isSet(set['limit'])) throw new Decline()
    const traces = new Map<string, Trace>()
    left.names.forEach((name, k) => {
      const a = left.traces.get(name.toLowerCase())!
      const b = right.traces.get(right.names[k]!.toLowerCase())!
      traces.set(name.toLowerCase(), {
        inputs: [...a.inputs, ...b.inputs],
        plain: false,
        aggregated: a.aggregated || b.aggregated,
      })
    })
    return { names: left.names, traces, uses: [...left.uses, ...right.uses, ...ctes.uses] }
  }
  const inner = child(n, 'subquery') ?? child(n, 'paren')
  if (inner && !isSet(inner['alias'])) return walkQuery(child(inner, 'this') ?? {}, outer, ctx)
  throw new Decline()
}

function withCtes(n: Node, outer: Map<string, Query>, ctx: Ctx): Ctes {
  const w = child(n, 'with')
  if (!w) return { scope: outer, uses: [] }
  if (w['recursive']) throw new Decline()
  const scope = new Map(outer)
  const uses: Use[] = []
  for (const cte of nodes(w['ctes'])) {
    const name = identName(cte['alias'])
    if (!name || isSet(cte['columns'])) throw new Decline()
    const q = walkQuery(child(cte, 'this') ?? {}, scope, ctx)
    scope.set(name.toLowerCase(), q)
    uses.push(...q.uses)
  }
  return { scope, uses }
}

function walkSelect(select: Node, outer: Map<string, Query>, ctx: Ctx): Query {
  for (const [k, v] of Object.entries(select)) {
    if (isSet(v) && !SELECT_KEYS.has(k)) throw new Decline()
  }
  const ctes = withCtes(select, outer, ctx)
  const sources: Source[] = []
  const joins = nodes(select['joins'])
  for (const f of [
    ...nodes(child(select, 'from')?.['expressions']),
    ...joins.map((j) => child(j, 'this') ?? {}),
  ]) {
    sources.push(sourceOf(f, ctes.scope, ctx))
  }
  const nested = sources.flatMap((s) => (s.derived ? s.derived.uses : []))
  const items = nodes(select['expressions'])
  // `group by calendar_week` naming an output alias no table read has: the alias's expression
  const aliased = new Map<string, Node>()
  for (const item of items) {
    const name = outputName(item)?.toLowerCase()
    if (name && bareColumnName(item)?.toLowerCase() !== name) aliased.set(name, item)
  }
  // each select item scanned once, whatever reads it (its trace, an alias in GROUP BY, FILTERs)
  const scans = new Map<unknown, Scan>()
  const scanOf = (expr: unknown): Scan => {
    let s = scans.get(expr)
    if (!s) scans.set(expr, (s = scan(expr, true)))
    return s
  }
  const traceOf = (expr: unknown, clause = false, aliases = false): Trace => {
    const inputs: Input[] = []
    const scanned = scanOf(expr)
    let plain = true
    let aggregated = scanned.aggregate
    for (const ref of scanned.refs) {
      const item = aliases && !ref.table ? aliased.get(ref.name.toLowerCase()) : undefined
      if (item) {
        // a table of unknown columns may have one of that name (which SQL would take first)
        if (sources.some((s) => s.relation && !s.relation.columns)) throw new Decline()
        if (!sources.some((s) => mayHave(s, ref.name))) {
          inputs.push(...traceOf(item).inputs)
          continue
        }
      }
      // the parser's analysis leaves a clause's unqualified column out when several tables are read
      if (clause && !ref.table && sources.length > 1) continue
      const t = lookup(ref, sources)
      inputs.push(...t.inputs)
      plain &&= t.plain
      aggregated ||= t.aggregated
    }
    return { inputs, plain, aggregated }
  }
  const names: string[] = []
  const traces = new Map<string, Trace>()
  for (const item of items) {
    const name = outputName(item)
    if (!name || traces.has(name.toLowerCase())) throw new Decline()
    names.push(name)
    traces.set(name.toLowerCase(), traceOf(item))
  }
  const own: Use[] = []
  const use = (expr: unknown, transformation: string, aliases = false) => {
    // `group by 1`: the first select item
    const position = ordinal(expr)
    const target = position !== undefined ? items[position - 1] : expr
    if (position !== undefined && !target) throw new Decline()
    for (const input of traceOf(target, true, aliases).inputs) own.push({ input, transformation })
  }
  const clauseItems = CLAUSES.flatMap(([key, transformation]) => {
    const clause = select[key]
    if (!isSet(clause)) return []
    const list =
      isNode(clause) && Array.isArray(clause['expressions']) ? clause['expressions'] : [clause]
    return list.map((e) => ({
      expr: isNode(e) && key === 'order_by' ? (e['this'] ?? e) : e,
      transformation,
      aliases: ALIAS_CLAUSES.has(key),
    }))
  })
  // an aggregate's FILTER (WHERE …) filters the rows of every output column
  for (const item of items) for (const f of scanOf(item).filters) use(f, 'INDIRECT/FILTER')
  for (const j of joins) {
    if (isSet(j['using'])) throw new Decline()
    use(j['on'], 'INDIRECT/JOIN')
  }
  for (const c of clauseItems) use(c.expr, c.transformation, c.aliases)
  return { names, traces, uses: [...own, ...ctes.uses, ...nested] }
}

function sourceOf(f: Node, ctes: Map<string, Query>, ctx: Ctx): Source {
  const table = child(f, 'table')
  if (table) {
    const name = identName(table['name'])
    if (!name) throw new Decline()
    const alias = (identName(table['alias']) ?? name).toLowerCase()
    const cte = !table['schema'] && !table['catalog'] ? ctes.get(name.toLowerCase()) : undefined
    if (cte) return { alias, query: cte }
    const qualified = [identName(table['catalog']), identName(table['schema']), name]
      .filter(Boolean)
      .join('.')
    const relation = ctx.resolve(qualified)
    if (!relation) throw new Decline()
    return { alias, relation }
  }
  const sub = child(f, 'subquery')
  if (sub) {
    const alias = identName(sub['alias'])
    if (!alias) throw new Decline()
    const query = walkQuery(child(sub, 'this') ?? {}, ctes, ctx)
    return { alias: alias.toLowerCase(), query, derived: query }
  }
  throw new Decline()
}

function lookup(ref: ColumnRef, sources: Source[]): Trace {
  const candidates = ref.table
    ? sources.filter((s) => s.alias === ref.table)
    : sources.length === 1
      ? sources
      : sources.filter((s) => has(s, ref.name))
  if (candidates.length !== 1) throw new Decline()
  const s = candidates[0]!
  if (s.relation) {
    return { inputs: [{ relation: s.relation, column: ref.name }], plain: true, aggregated: false }
  }
  const trace = s.query?.traces.get(ref.name.toLowerCase())
  if (!trace) throw new Decline()
  return trace
}

/** Whether the source may have the column: false only where its columns are known. */
function mayHave(s: Source, column: string): boolean {
  const c = column.toLowerCase()
  if (s.query) return s.query.traces.has(c)
  const columns = s.relation?.columns
  return !columns || columns.some((x) => x.name.toLowerCase() === c)
}

function has(s: Source, column: string): boolean {
  const c = column.toLowerCase()
  if (s.query) return s.query.traces.has(c)
  const columns = s.relation?.columns
  // a table of unknown columns among several sources: the column may be anyone's
  if (!columns) throw new Decline()
  return columns.some((x) => x.name.toLowerCase() === c)
}

/** The column `col`, `t.col`, `col as x` or a commented `col` reads; undefined for others. */
function bareColumnName(e: unknown): string | undefined {
  if (!isNode(e)) return undefined
  const annotated = child(e, 'annotated')
  if (annotated) return bareColumnName(annotated['this'])
  const alias = child(e, 'alias')
  if (alias) return bareColumnName(alias['this'])
  return identName(child(e, 'column')?.['name'])
}

function ordinal(e: unknown): number | undefined {
  const literal = isNode(e) ? child(e, 'literal') : undefined
  return literal?.['literal_type'] === 'number' ? Number(literal['value']) : undefined
}
