// Pure: a dataset's column lineage (GET /api/datasets/:id/column-lineage) as Cytoscape elements.
import type { ColumnLineage } from './api.ts'
import { shortName, type EdgeData, type Element } from './graph.ts'

type Side = { id: number; name: string; column: string }

/** `DIRECT/AGGREGATION` → `aggregation`; an indirect one (filter, join, group by) is marked. */
function transformationOf(t: string | null): { label?: string; indirect: boolean } {
  if (!t) return { indirect: false }
  const [kind = '', sub = ''] = t.split('/')
  const label = (sub || kind).toLowerCase().replace(/_/g, ' ')
  return { label, indirect: kind.toUpperCase() === 'INDIRECT' }
}

/**
 * The column level of a dataset's neighbourhood: the dataset and those its columns come from or go
 * to, each a box holding the columns that take part, with one edge per column edge (deduplicated
 * across sources). The focused dataset is marked root.
 */
export function columnElements(rootId: number, lineage: ColumnLineage): Element[] {
  const datasets = new Map<number, string>()
  const columns = new Map<string, { dataset: number; column: string }>()
  const edges = new Map<string, EdgeData>()
  const colId = (dataset: number, column: string) => `column:${dataset}:${column}`
  const add = (from: Side, to: Side, transformation: string | null) => {
    for (const s of [from, to]) {
      datasets.set(s.id, s.name)
      columns.set(colId(s.id, s.column), { dataset: s.id, column: s.column })
    }
    const source = colId(from.id, from.column)
    const target = colId(to.id, to.column)
    const id = `c:${source}>${target}`
    if (edges.has(id)) return
    const t = transformationOf(transformation)
    edges.set(id, {
      id,
      source,
      target,
      kind: 'column',
      indirect: t.indirect,
      ...(t.label && !t.indirect ? { label: t.label } : {}),
    })
  }
  for (const e of [...lineage.upstream, ...lineage.downstream])
    add(e.from, { id: e.dataset.id, name: e.dataset.name, column: e.column }, e.transformation)
  const out: Element[] = [...datasets].map(([id, name]) => ({
    group: 'nodes',
    data: {
      id: `dataset:${id}`,
      label: shortName(name),
      kind: 'dataset',
      status: 'unknown',
      expanded: true,
      root: id === rootId,
      detail: name,
    },
  }))
  for (const [id, c] of columns)
    out.push({
      group: 'nodes',
      data: {
        id,
        label: c.column,
        kind: 'column',
        status: 'unknown',
        parent: `dataset:${c.dataset}`,
      },
    })
  for (const e of edges.values()) out.push({ group: 'edges', data: e })
  return out
}
