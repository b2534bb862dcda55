import { identName, isNode, type Node } from './ast.ts'

/**
 * One pass over an expression of the JSON AST of @polyglot-sql/sdk: the columns it reads,
 * whether it aggregates, and the FILTER (WHERE …) clauses of its aggregates. The walk scans
 * each select item once (it used to take three full passes per item: refs, aggregates, filters).
 */
export type ColumnRef = { table: string | undefined; name: string }
export type Scan = { refs: ColumnRef[]; aggregate: boolean; filters: Node[] }

/** Thrown in strict mode at what the walk does not follow (see walk.ts DECLINED). */
export class Decline extends Error {}

const AGGREGATES = new Set([
  'sum',
  'count',
  'avg',
  'min',
  'max',
  'count_if',
  'array_agg',
  'string_agg',
  'group_concat',
  'listagg',
  'any_value',
  'median',
  'stddev',
  'stddev_pop',
  'stddev_samp',
  'variance',
  'var_pop',
  'var_samp',
  'bool_and',
  'bool_or',
  'approx_count_distinct',
  'arg_max',
  'arg_min',
  'max_by',
  'min_by',
  'first',
  'last',
])

// nodes whose columns are not the enclosing query's (a query of their own, lambda parameters)
const DECLINED = new Set([
  'select',
  'union',
  'intersect',
  'except',
  'subquery',
  'exists',
  'lambda',
  'unnest',
  'lateral',
  'values',
  'star',
])

const isSet = (v: unknown) =>
  v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)

/**
 * `strict` (the walk): a nested query, lambda or star in the expression, or a column without a
 * name, throws Decline. Otherwise (the parser's fallback) they are read through.
 */
export function scan(expr: unknown, strict: boolean): Scan {
  const out: Scan = { refs: [], aggregate: false, filters: [] }
  const visit = (v: unknown, inFilter: boolean): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, inFilter)
      return
    }
    if (!isNode(v)) return
    for (const k in v) {
      const x = v[k]
      if (strict && DECLINED.has(k) && isSet(x)) throw new Decline()
      if (x === null || typeof x !== 'object') continue
      if (k === 'column' && isNode(x)) {
        const name = identName(x['name'])
        if (name) out.refs.push({ table: identName(x['table'])?.toLowerCase(), name })
        else if (strict) throw new Decline()
        continue
      }
      if (isNode(x)) {
        if (AGGREGATES.has(k)) out.aggregate = true
        else if (k === 'function' && AGGREGATES.has(String(x['name']).toLowerCase()))
          out.aggregate = true
        if (k === 'filter' && !inFilter) {
          out.filters.push(x)
          visit(x, true)
          continue
        }
      }
      visit(x, inFilter)
    }
  }
  visit(expr, false)
  return out
}
