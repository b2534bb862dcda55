import type { Status } from '../../common/vocab.ts'
import type { ChainNode, RootCause } from '../../db/json-shapes.ts'
import type { AssertionFact, RcNode } from '../../db/queries/quality-facts.ts'
import type { RcColumnEdge } from '../../db/queries/root-cause-columns.ts'

export type { RcColumnEdge }

type Hop = { node: string; column: string; depth: number; prev?: Hop }
type Failing = { node: RcNode; column: string; assertion: AssertionFact }

const FAILING = new Set(['fail', 'error', 'warn'])
const statusOf = (a: AssertionFact): Status =>
  a.severity === 'error' && a.status !== 'warn' ? 'breach' : 'warn'
const rank = (s: Status) => (s === 'breach' ? 2 : s === 'warn' ? 1 : 0)
const key = (node: string, column: string) => `${node}\u0000${column}`

/**
 * Root cause of a failing test on a column of a product's output, through column lineage: the
 * upstream columns it comes from (direct edges: copied or computed from, not joined or filtered
 * on), any number of hops, and the furthest of them whose own test fails. That test is the
 * cause whatever `tests.upstream` says (it explains the output's own failure; it is not scored).
 * Undefined when no output test on a column fails or no column it comes from has a failing test.
 */
export function columnRootCause(
  outputs: readonly string[],
  nodes: ReadonlyMap<string, RcNode>,
  edges: readonly RcColumnEdge[],
): RootCause | undefined {
  const into = new Map<string, RcColumnEdge[]>()
  for (const e of edges) {
    if (!e.direct) continue
    const k = key(e.target, e.column)
    ;(into.get(k) ?? into.set(k, []).get(k))?.push(e)
  }
  const failing: Failing[] = outputs.flatMap((id) => {
    const node = nodes.get(id)
    return (node?.assertions ?? [])
      .filter((a) => a.column !== null && FAILING.has(a.status))
      .map((a) => ({ node: node as RcNode, column: a.column as string, assertion: a }))
  })
  // the worst failing output test first, then by name: one answer for the same facts
  failing.sort(
    (a, b) =>
      rank(statusOf(b.assertion)) - rank(statusOf(a.assertion)) ||
      a.assertion.name.localeCompare(b.assertion.name),
  )
  for (const f of failing) {
    const found = furthestFailing(f, nodes, into)
    if (found) return explain(f, found, nodes)
  }
  return undefined
}

function furthestFailing(
  f: Failing,
  nodes: ReadonlyMap<string, RcNode>,
  into: Map<string, RcColumnEdge[]>,
): { hop: Hop; node: RcNode; assertion: AssertionFact } | undefined {
  const start: Hop = { node: f.node.id, column: f.column, depth: 0 }
  const seen = new Set([key(start.node, start.column)])
  let best: { hop: Hop; node: RcNode; assertion: AssertionFact } | undefined
  let frontier = [start]
  while (frontier.length > 0) {
    const next: Hop[] = []
    for (const h of frontier) {
      for (const e of into.get(key(h.node, h.column)) ?? []) {
        const k = key(e.source, e.fromColumn)
        if (seen.has(k)) continue
        seen.add(k)
        const hop: Hop = { node: e.source, column: e.fromColumn, depth: h.depth + 1, prev: h }
        next.push(hop)
        const node = nodes.get(e.source)
        for (const a of node?.assertions ?? []) {
          if (a.column !== e.fromColumn || !FAILING.has(a.status)) continue
          const better =
            !best ||
            hop.depth > best.hop.depth ||
            (hop.depth === best.hop.depth && rank(statusOf(a)) > rank(statusOf(best.assertion)))
          if (node && better) best = { hop, node, assertion: a }
        }
      }
    }
    frontier = next
  }
  return best
}

function explain(
  f: Failing,
  found: { hop: Hop; node: RcNode; assertion: AssertionFact },
  nodes: ReadonlyMap<string, RcNode>,
): RootCause {
  const a = found.assertion
  const problem = `test ${a.name} ${a.status === 'error' ? 'errored' : 'fails'} on ${found.node.name} column ${found.hop.column}`
  const culprit: ChainNode = {
    ...chainNode(found.node, found.hop.column, 'lineage'),
    problem,
    status: statusOf(a),
    at: a.observedAt,
  }
  // from the output's failing column up to the culprit's, one node per column hop
  const chain: ChainNode[] = [culprit]
  for (let h = found.hop.prev; h; h = h.prev) {
    const n = nodes.get(h.node)
    if (!n) continue
    if (h.depth > 0) chain.unshift(chainNode(n, h.column, 'lineage'))
    else
      chain.unshift({
        ...chainNode(n, h.column, undefined),
        problem: `test ${f.assertion.name} fails on ${n.name} column ${h.column}`,
        status: statusOf(f.assertion),
        at: f.assertion.observedAt,
      })
  }
  return {
    summary: `${problem}, which ${f.node.name}.${f.column} comes from (${found.node.domain ?? 'no domain'} domain)`,
    culprit,
    chain,
    confidence: 'lineage',
  }
}

function chainNode(n: RcNode, column: string, via: ChainNode['via']): ChainNode {
  return {
    id: n.id,
    kind: n.kind,
    name: n.name,
    type: n.type,
    domain: n.domain,
    column,
    ...(via ? { via } : {}),
  }
}
