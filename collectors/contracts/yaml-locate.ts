import { isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml'

/** `schema[0].properties[2].name` for the JSON pointer `/schema/0/properties/2/name`. */
export function dottedOf(pointer: string): string {
  if (pointer === '') return '$'
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('')
}

/** Line and column (1-based) of the YAML node a JSON pointer names, or of its deepest existing parent. */
export function lineOf(
  doc: Document,
  counter: LineCounter,
  pointer: string,
): { line: number; column: number } {
  let node: unknown = doc.contents
  let offset = startOf(node) ?? 0
  const segs = pointer === '' ? [] : pointer.slice(1).split('/')
  for (const raw of segs) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~')
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg)
      if (!pair) break
      offset = startOf(pair.key) ?? offset
      node = pair.value
      offset = startOf(node) ?? offset
    } else if (isSeq(node) && /^\d+$/.test(seg)) {
      node = node.items[Number(seg)]
      offset = startOf(node) ?? offset
    } else break
  }
  const pos = counter.linePos(offset)
  return { line: pos.line, column: pos.col }
}

function startOf(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const r = (node as { range?: [number, number, number] | null }).range
    return r?.[0]
  }
  return undefined
}
