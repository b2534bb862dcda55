import { child, identName, isNode, nodes, outputName, type Node } from './ast.ts'

/**
 * Qualifies the unqualified columns of every subquery in an expression (`where x in (select x
 * from seed)`, `exists (…)`, a scalar subquery) that reads one table and nothing else, with that
 * table's alias or name, in a parsed query (the JSON AST of @polyglot-sql/sdk), in place.
 * Without that table's columns the parser's analysis takes such a column for one of an outer
 * query that has it (a correlated reference) and the filter's input is lost; dbt's SQL means the
 * subquery's own table, which is the only one its FROM names. A column named like one of the
 * subquery's output aliases is left alone (some dialects let ORDER BY, HAVING, even WHERE
 * name an alias). Returns true when a column was qualified.
 */
export function qualifySubqueries(ast: unknown): boolean {
  let changed = false
  // `inExpression`: the select is a subquery of an expression, not a statement, a CTE's body or
  // a FROM item
  const visit = (v: unknown, inExpression: boolean): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x, inExpression)
      return
    }
    if (!isNode(v)) return
    for (const [k, x] of Object.entries(v)) {
      // a lambda's parameters are not columns
      if (k === 'lambda' || x === null || typeof x !== 'object') continue
      if (k === 'select' && isNode(x)) selectOf(x, inExpression)
      else visit(x, inExpression)
    }
  }
  const selectOf = (select: Node, inExpression: boolean) => {
    if (inExpression && qualifyOwn(select)) changed = true
    for (const [k, x] of Object.entries(select)) {
      if (k === 'with' || k === 'from') visit(x, false)
      else if (k === 'joins') {
        for (const j of nodes(x)) {
          for (const [jk, jx] of Object.entries(j)) visit(jx, jk !== 'this')
        }
      } else visit(x, true)
    }
  }
  visit(ast, false)
  return changed
}

/** Qualifies the select's own unqualified columns when its FROM is one table and no join. */
function qualifyOwn(select: Node): boolean {
  const from = nodes(child(select, 'from')?.['expressions'])
  const table = from.length === 1 ? child(from[0], 'table') : undefined
  if (!table || nodes(select['joins']).length || isSet(select['lateral_views'])) return false
  const qualifier = isNode(table['alias']) ? table['alias'] : table['name']
  if (!identName(qualifier)) return false
  const aliases = new Set(
    nodes(select['expressions']).flatMap((e) => outputName(e)?.toLowerCase() ?? []),
  )
  for (const e of nodes(select['expressions'])) {
    const bare = child(e, 'column')
    // a select item that is a bare column outputs its own name: that is not an alias
    if (bare) aliases.delete(identName(bare['name'])?.toLowerCase() ?? '')
  }
  let changed = false
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) visit(x)
      return
    }
    if (!isNode(v)) return
    for (const [k, x] of Object.entries(v)) {
      // a nested query has its own columns; a lambda's parameters are not columns
      if (k === 'select' || k === 'lambda' || x === null || typeof x !== 'object') continue
      if (k === 'column' && isNode(x)) {
        const name = identName(x['name'])
        if (name && !x['table'] && !aliases.has(name.toLowerCase())) {
          x['table'] = { ...(qualifier as Node) }
          changed = true
        }
        continue
      }
      visit(x)
    }
  }
  for (const [k, x] of Object.entries(select)) if (k !== 'from' && k !== 'with') visit(x)
  return changed
}

const isSet = (v: unknown) =>
  v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0)
