import { child, identName, isNode, nodes, outputName, type Node } from './ast.ts'

/**
 * The tables and CTEs each CTE of a parsed query (the JSON AST of @polyglot-sql/sdk) passes
 * through a star: `source as (select * from raw)` makes `source.id` raw's `id`. The parser's
 * lineage stops at such a CTE when raw's columns are unknown (no catalog); this map follows it.
 */

/**
 * CTE name (lower case) → the relations its stars select from, as the SQL names them, and the
 * names of the columns it selects by name (those do not come through a star), and every
 * relation it reads.
 */
export type CteStars = Map<string, { stars: string[]; named: Set<string>; reads: string[] }>

export function cteStars(ast: unknown): CteStars {
  const out: CteStars = new Map()
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit)
    if (!isNode(v)) return
    for (const cte of nodes(child(v, 'with')?.['ctes'])) {
      const name = identName(cte['alias'])
      const select = child(child(cte, 'this'), 'select')
      if (name && select) out.set(name.toLowerCase(), starSources(select))
    }
    for (const value of Object.values(v)) visit(value)
  }
  visit(ast)
  return out
}

function starSources(select: Node): { stars: string[]; named: Set<string>; reads: string[] } {
  const from = [
    ...nodes(child(select, 'from')?.['expressions']),
    ...nodes(select['joins']).map((j) => child(j, 'this') ?? {}),
  ].flatMap((f) => {
    const t = child(f, 'table')
    if (!t) return []
    const name = [identName(t['catalog']), identName(t['schema']), identName(t['name'])]
      .filter(Boolean)
      .join('.')
    return [{ alias: (identName(t['alias']) ?? identName(t['name']))?.toLowerCase(), name }]
  })
  const out: string[] = []
  const named = new Set<string>()
  for (const e of nodes(select['expressions'])) {
    const star = child(e, 'star')
    if (!star) {
      const name = outputName(e)
      if (name) named.add(name.toLowerCase())
      continue
    }
    const table = identName(star['table'])?.toLowerCase()
    for (const f of from) if (!table || f.alias === table) out.push(f.name)
  }
  return { stars: [...new Set(out)], named, reads: [...new Set(from.map((f) => f.name))] }
}
