// Pure: the orchestration the lineage API returns beside a graph, as Cytoscape elements added to it.
import type { DomainGraph } from './api.ts'
import { domainNodeId, leafNode, type EdgeData, type Element } from './graph.ts'

export type OrchestrationIn = NonNullable<DomainGraph['orchestration']>

/**
 * The DAGs and tasks of `orchestrations` join `elements`, each in its domain's box (a collapsed
 * domain keeps them folded in). A DAG in `expandedDags` becomes a box holding its tasks, its
 * `contains` edges then being the nesting and its tasks' order (`after`) drawn; a collapsed DAG is
 * one node with an edge to each task. Orchestration edges carry their kind, so they are styled apart.
 */
export function withOrchestration(
  elements: readonly Element[],
  orchestrations: readonly OrchestrationIn[],
  expandedDags: ReadonlySet<string>,
): Element[] {
  const out = elements.map((el) => ({ ...el, data: { ...el.data } }) as Element)
  const nodes = new Map<string, Extract<Element, { group: 'nodes' }>>()
  for (const el of out) if (el.group === 'nodes') nodes.set(el.data.id, el)
  const folded = (domain: string) => {
    const d = nodes.get(domainNodeId(domain))
    return d !== undefined && d.data.kind === 'domain' && !d.data.expanded
  }
  for (const o of orchestrations)
    for (const n of o.nodes) {
      if (nodes.has(n.id) || folded(n.domain)) continue
      const box = domainNodeId(n.domain)
      if (!nodes.has(box)) {
        const d: Element = {
          group: 'nodes',
          data: { id: box, label: n.domain, kind: 'domain', status: 'unknown', expanded: true },
        }
        out.push(d)
        nodes.set(box, d)
      }
      const leaf = leafNode(n, box)
      out.push(leaf)
      if (leaf.group === 'nodes') nodes.set(n.id, leaf)
    }
  const dagOf = new Map<string, string>()
  for (const o of orchestrations)
    for (const e of o.edges) if (e.kind === 'contains') dagOf.set(e.target, e.source)
  for (const id of expandedDags) {
    const dag = nodes.get(id)
    if (dag) Object.assign(dag.data, { dag: true, expanded: true })
  }
  for (const [task, dag] of dagOf) {
    const t = nodes.get(task)
    const d = nodes.get(dag)
    // Only into a DAG drawn in the same box: a compound cannot straddle two domains.
    if (t && d && expandedDags.has(dag) && t.data.parent === d.data.parent) t.data.parent = dag
  }
  const edges = new Map<string, EdgeData>()
  for (const o of orchestrations)
    for (const e of o.edges) {
      if (!nodes.has(e.source) || !nodes.has(e.target)) continue
      const nested = nodes.get(e.target)?.data.parent === e.source
      if (e.kind === 'contains' && nested) continue
      const dag = dagOf.get(e.source)
      if (e.kind === 'after' && !(dag !== undefined && expandedDags.has(dag))) continue
      const id = `o:${e.source}>${e.target}`
      edges.set(id, { id, source: e.source, target: e.target, kind: e.kind })
    }
  for (const e of edges.values()) out.push({ group: 'edges', data: e })
  return out
}
