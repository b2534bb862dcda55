// A cheap deterministic layered layout (pure) for a big expanded domain, where dagre's crossing
// minimisation takes minutes: ranks by longest path from the sources (Kahn's order, O(nodes + edges)),
// one barycentre pass to order each rank by its parents, ranks taller than a column wrapped into
// side-by-side columns so the picture stays roughly as wide as it is tall.

export interface LayeredNode {
  id: string
  w: number
  h: number
}

export interface LayeredOptions {
  /** gap between two columns (beside the widest node of the column) */
  colGap?: number
  /** gap between two nodes of a column */
  rowGap?: number
}

/** Centre positions for `nodes` laid out left to right along `edges` (source → target). */
export function layeredLayout(
  nodes: readonly LayeredNode[],
  edges: readonly { source: string; target: string }[],
  opts: LayeredOptions = {},
): Map<string, { x: number; y: number }> {
  const colGap = opts.colGap ?? 60
  const rowGap = opts.rowGap ?? 10
  const index = new Map(nodes.map((n, i) => [n.id, i]))
  const preds: number[][] = nodes.map(() => [])
  const succs: number[][] = nodes.map(() => [])
  const indeg = nodes.map(() => 0)
  for (const e of edges) {
    const s = index.get(e.source)
    const t = index.get(e.target)
    if (s === undefined || t === undefined || s === t) continue
    preds[t]!.push(s)
    succs[s]!.push(t)
    indeg[t]!++
  }
  // Longest-path ranks in topological order; nodes on a cycle get ranked after the rest of it.
  const rank = nodes.map(() => 0)
  const queue: number[] = []
  for (let i = 0; i < nodes.length; i++) if (indeg[i] === 0) queue.push(i)
  const done = nodes.map(() => false)
  for (let head = 0; ;) {
    if (head === queue.length) {
      const left = done.findIndex((d) => !d)
      if (left < 0) break
      indeg[left] = 0
      queue.push(left)
    }
    const n = queue[head++]!
    if (done[n]) continue
    done[n] = true
    for (const t of succs[n]!) {
      if (done[t]) continue
      rank[t] = Math.max(rank[t]!, rank[n]! + 1)
      if (--indeg[t]! === 0) queue.push(t)
    }
  }
  const ranks: number[][] = []
  for (let i = 0; i < nodes.length; i++) (ranks[rank[i]!] ??= []).push(i)

  // Each rank ordered by the mean place of its parents in the ranks before it.
  const place = nodes.map(() => 0)
  for (const r of ranks) {
    if (!r) continue
    const key = (n: number) => {
      const p = preds[n]!
      return p.length === 0 ? n : p.reduce((a, b) => a + place[b]!, 0) / p.length
    }
    const keys = new Map(r.map((n) => [n, key(n)]))
    r.sort((a, b) => keys.get(a)! - keys.get(b)! || a - b)
    r.forEach((n, i) => (place[n] = i / Math.max(1, r.length - 1)))
  }

  // Column height: about the square root of the whole, so wrapping makes it as wide as tall.
  const rowH = Math.max(...nodes.map((n) => n.h), 1) + rowGap
  const colW = Math.max(...nodes.map((n) => n.w), 1) + colGap
  const perColumn = Math.max(12, Math.ceil(Math.sqrt((nodes.length * colW) / rowH)))
  const out = new Map<string, { x: number; y: number }>()
  let col = 0
  for (const r of ranks) {
    if (!r) continue
    for (let start = 0; start < r.length; start += perColumn) {
      const slice = r.slice(start, start + perColumn)
      const top = -((slice.length - 1) * rowH) / 2
      slice.forEach((n, i) => {
        out.set(nodes[n]!.id, { x: col * colW, y: top + i * rowH })
      })
      col++
    }
  }
  return out
}
