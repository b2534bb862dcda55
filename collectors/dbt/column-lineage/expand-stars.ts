import { child, identName, isNode, nodes, outputName, type Node } from './ast.ts'
/**
 * Expands `select *` and `t.*` in a parsed query (the JSON AST of @polyglot-sql/sdk) into the
 * named columns of what they select from: upstream tables (their catalog / declared columns),
 * CTEs, subqueries and unions, resolved bottom-up. The parser's own lineage expands a star only
 * over a table of the schema, not over a CTE (dbt's usual `select * from final`); a star whose
 * columns are unknown is left as it is.
 */
type Scope = Map<string, string[]>

const SET_OPS = ['union', 'intersect', 'except']

export type TableColumns = (name: string) => string[] | undefined

/** Rewrites `ast` in place; returns true when a star was expanded. */
export function expandStars(ast: unknown, tableColumns: TableColumns): boolean {
  let changed = false
  const query = (n: Node | undefined, outer: Scope): string[] | undefined => {
    if (!n) return undefined
    const select = child(n, 'select')
    if (select) return selectColumns(select, outer)
    for (const op of SET_OPS) {
      const set = child(n, op)
      if (!set) continue
      const scope = withCtes(set, outer)
      const left = query(child(set, 'left'), scope)
      query(child(set, 'right'), scope)
      return left
    }
    const inner = child(n, 'subquery') ?? child(n, 'paren')
    if (inner) return query(child(inner, 'this'), outer)
    return undefined
  }
  const withCtes = (n: Node, outer: Scope): Scope => {
    const ctes = nodes(child(n, 'with')?.['ctes'])
    if (!ctes.length) return outer
    const scope = new Map(outer)
    for (const cte of ctes) {
      const name = identName(cte['alias'])
      const declared = nodes(cte['columns']).map(identName)
      const cols = query(child(cte, 'this'), scope)
      const names = declared.length && declared.every(Boolean) ? (declared as string[]) : cols
      if (name && names) scope.set(name.toLowerCase(), names)
    }
    return scope
  }
  const selectColumns = (select: Node, outer: Scope): string[] | undefined => {
    const scope = withCtes(select, outer)
    const sources: { alias: string | undefined; columns: string[] | undefined }[] = []
    const from = [
      ...nodes(child(select, 'from')?.['expressions']),
      ...nodes(select['joins']).map((j) => child(j, 'this') ?? {}),
    ]
    for (const f of from) {
      const table = child(f, 'table')
      if (table) {
        const name = identName(table['name'])
        const parts = [identName(table['catalog']), identName(table['schema']), name]
        const qualified = parts.filter(Boolean).join('.')
        const cte = !table['schema'] && name ? scope.get(name.toLowerCase()) : undefined
        sources.push({
          alias: identName(table['alias']) ?? name,
          columns: cte ?? tableColumns(qualified),
        })
        continue
      }
      const sub = child(f, 'subquery')
      if (sub) {
        sources.push({ alias: identName(sub['alias']), columns: query(child(sub, 'this'), scope) })
        continue
      }
      sources.push({ alias: undefined, columns: undefined })
    }
    // subqueries in expressions and filters may hold stars of their own
    const out: string[] = []
    let known = true
    const expressions = nodes(select['expressions'])
    const expanded: Node[] = []
    for (const e of expressions) {
      const star = child(e, 'star')
      if (!star) {
        expanded.push(e)
        const name = outputName(e)
        if (name) out.push(name)
        else known = false
        continue
      }
      const table = identName(star['table'])
      const picked = table
        ? sources.filter((s) => s.alias?.toLowerCase() === table.toLowerCase())
        : sources
      const except = new Set(nodes(star['except']).map((x) => identName(x)?.toLowerCase()))
      if (
        !picked.length ||
        picked.some((s) => !s.columns || s.columns.includes('*')) ||
        star['replace'] ||
        star['rename']
      ) {
        expanded.push(e)
        known = false
        continue
      }
      changed = true
      for (const s of picked) {
        for (const c of s.columns ?? []) {
          if (except.has(c.toLowerCase())) continue
          out.push(c)
          expanded.push(columnRef(c, s.alias))
        }
      }
    }
    select['expressions'] = expanded
    return known ? out : undefined
  }
  for (const stmt of Array.isArray(ast) ? ast.filter(isNode) : isNode(ast) ? [ast] : []) {
    query(stmt, new Map())
  }
  return changed
}

function columnRef(name: string, table: string | undefined): Node {
  const ident = (n: string) => ({
    name: n,
    quoted: !/^[a-z_][a-z0-9_]*$/i.test(n),
    trailing_comments: [],
  })
  return {
    column: {
      name: ident(name),
      table: table ? ident(table) : null,
      join_mark: false,
      trailing_comments: [],
    },
  }
}
