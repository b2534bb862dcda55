import { child, identName, isNode, nodes, outputName, type Node } from './ast.ts'
import { scan } from './scan.ts'

/**
 * The output columns of a parsed statement (the JSON AST of @polyglot-sql/sdk) that an aggregate
 * computes at any hop: in the select item itself, or in the CTE, subquery or union branch a
 * column (or a `select *`) reads it from. The parser's own lineage decides a column's
 * transformation by its outermost expression only, so `customer_payments.total_amount as
 * customer_lifetime_value` over `sum(amount) as total_amount` would be a transformation; the
 * fallback of lineage.ts makes such columns aggregations, as the walk does. Lenient where the
 * walk declines: an unqualified column of several sources is aggregated if it is in any of them.
 */
type Query = { names: string[]; aggregated: Set<string> }
type Scope = Map<string, Query>

const SET_OPS = ['union', 'intersect', 'except']

/** Lower-case names of the statement's aggregated output columns. */
export function aggregatedColumns(ast: unknown): Set<string> {
  const top = Array.isArray(ast) ? ast.find(isNode) : isNode(ast) ? ast : undefined
  return (top && query(top, new Map())?.aggregated) ?? new Set()
}

function query(n: Node | undefined, outer: Scope, depth = 0): Query | undefined {
  if (!n || depth > 64) return undefined
  const select = child(n, 'select')
  if (select) return selectQuery(select, outer, depth)
  for (const op of SET_OPS) {
    const set = child(n, op)
    if (!set) continue
    const scope = withCtes(set, outer, depth)
    const left = query(child(set, 'left'), scope, depth + 1)
    const right = query(child(set, 'right'), scope, depth + 1)
    if (!left) return undefined
    const aggregated = new Set(left.aggregated)
    right?.names.forEach((name, k) => {
      const mine = left.names[k]
      if (mine !== undefined && right.aggregated.has(name)) aggregated.add(mine)
    })
    return { names: left.names, aggregated }
  }
  const inner = child(n, 'subquery') ?? child(n, 'paren')
  return inner ? query(child(inner, 'this'), outer, depth + 1) : undefined
}

function withCtes(n: Node, outer: Scope, depth: number): Scope {
  const ctes = nodes(child(n, 'with')?.['ctes'])
  if (!ctes.length) return outer
  const scope = new Map(outer)
  for (const cte of ctes) {
    const name = identName(cte['alias'])
    const q = query(child(cte, 'this'), scope, depth + 1)
    if (!name || !q) continue
    const declared = nodes(cte['columns']).map((c) => identName(c)?.toLowerCase())
    if (declared.length && declared.every(Boolean)) {
      const names = declared as string[]
      const aggregated = new Set(names.filter((_, k) => q.aggregated.has(q.names[k] ?? '')))
      scope.set(name.toLowerCase(), { names, aggregated })
    } else scope.set(name.toLowerCase(), q)
  }
  return scope
}

function selectQuery(select: Node, outer: Scope, depth: number): Query {
  const scope = withCtes(select, outer, depth)
  const sources: { alias: string | undefined; query: Query | undefined }[] = []
  for (const f of [
    ...nodes(child(select, 'from')?.['expressions']),
    ...nodes(select['joins']).map((j) => child(j, 'this') ?? {}),
  ]) {
    const table = child(f, 'table')
    if (table) {
      const name = identName(table['name'])?.toLowerCase()
      const cte = name && !table['schema'] && !table['catalog'] ? scope.get(name) : undefined
      sources.push({ alias: identName(table['alias'])?.toLowerCase() ?? name, query: cte })
      continue
    }
    const sub = child(f, 'subquery')
    sources.push({
      alias: identName(sub?.['alias'])?.toLowerCase(),
      query: sub ? query(child(sub, 'this'), scope, depth + 1) : undefined,
    })
  }
  const names: string[] = []
  const aggregated = new Set<string>()
  for (const item of nodes(select['expressions'])) {
    const star = child(item, 'star')
    if (star) {
      // a star the expansion left: it passes on what it selects, aggregated or not
      const table = identName(star['table'])?.toLowerCase()
      for (const s of sources) {
        if (table && s.alias !== table) continue
        for (const name of s.query?.names ?? []) {
          names.push(name)
          if (s.query!.aggregated.has(name)) aggregated.add(name)
        }
      }
      continue
    }
    const name = outputName(item)?.toLowerCase()
    if (!name) continue
    names.push(name)
    const scanned = scan(item, false)
    const fromAggregate = scanned.refs.some((r) =>
      sources.some(
        (s) => (!r.table || s.alias === r.table) && !!s.query?.aggregated.has(r.name.toLowerCase()),
      ),
    )
    if (scanned.aggregate || fromAggregate) aggregated.add(name)
  }
  return { names, aggregated }
}
