/** Reading the JSON AST of @polyglot-sql/sdk without casts. */
export type Node = Record<string, unknown>

export const isNode = (v: unknown): v is Node =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
export const nodes = (v: unknown): Node[] => (Array.isArray(v) ? v.filter(isNode) : [])
export const child = (n: Node | undefined, key: string): Node | undefined => {
  const v = n?.[key]
  return isNode(v) ? v : undefined
}
export const identName = (v: unknown): string | undefined =>
  isNode(v) && typeof v['name'] === 'string' ? v['name'] : undefined

/** The name a select item outputs: its alias, or the column it is (`col -- c` is annotated). */
export function outputName(e: Node): string | undefined {
  const annotated = child(e, 'annotated')
  if (annotated) return outputName(child(annotated, 'this') ?? {})
  const alias = child(e, 'alias')
  if (alias) return identName(alias['alias'])
  return identName(child(e, 'column')?.['name'])
}

/** The output column names of a statement, in order (a set operation's: its left side's). */
export function topOutputNames(ast: unknown): string[] {
  let n: Node | undefined = Array.isArray(ast) ? ast.find(isNode) : isNode(ast) ? ast : undefined
  while (n && !child(n, 'select')) {
    const set = child(n, 'union') ?? child(n, 'intersect') ?? child(n, 'except')
    n = set ? child(set, 'left') : child(child(n, 'subquery') ?? child(n, 'paren'), 'this')
  }
  return nodes(child(n, 'select')?.['expressions']).flatMap((e) => outputName(e) ?? [])
}
