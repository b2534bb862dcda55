import { ALL_COLUMNS, refKey, type ColumnEdge } from '../../batch.ts'

/**
 * Column edges with the dataset-wide ones (column `*`, see batch.ts ALL_COLUMNS) expanded to one
 * edge per output column of their dataset: every column the same source has another edge into,
 * unless that column already has an edge from the same input (its DIRECT use stands, as one
 * model's lineage keeps one edge per input column). The store's readers do the same on rows
 * (db/queries/column-lineage.ts).
 */
export function expandDatasetWide(edges: readonly ColumnEdge[]): ColumnEdge[] {
  if (!edges.some((e) => e.column === ALL_COLUMNS)) return [...edges]
  const columns = new Map<string, Set<string>>()
  const have = new Set<string>()
  const group = (e: ColumnEdge) => `${refKey(e.dataset)}\u0000${e.source ?? 'openlineage'}`
  const pair = (e: ColumnEdge, column: string) =>
    `${group(e)}\u0000${column}\u0000${refKey(e.from)}\u0000${e.fromColumn}`
  const out: ColumnEdge[] = []
  for (const e of edges) {
    if (e.column === ALL_COLUMNS) continue
    out.push(e)
    have.add(pair(e, e.column))
    const set = columns.get(group(e))
    if (set) set.add(e.column)
    else columns.set(group(e), new Set([e.column]))
  }
  for (const e of edges) {
    if (e.column !== ALL_COLUMNS) continue
    for (const column of columns.get(group(e)) ?? []) {
      if (!have.has(pair(e, column))) out.push({ ...e, column })
    }
  }
  return out
}
