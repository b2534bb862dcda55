import type { Link, Status } from '../../common/vocab.ts'
import type { ChainNode, RootCause } from '../../db/json-shapes.ts'
import type { BlamedRun, RcEdge, RcNode } from '../../db/queries/quality-facts.ts'
import type { DimensionResult } from './facts.ts'
import { formatAgo } from '../../common/format.ts'
import { columnRootCause, type RcColumnEdge } from './root-cause-columns.ts'
import { lastExpectedRun } from './schedule.ts'
import { DEFAULT_SLA } from './sla.ts'

export type { RcEdge, RcNode, RootCause }

export interface RootCauseInput {
  outputs: string[]
  nodes: RcNode[]
  edges: RcEdge[]
  /** The product's dimensions that are not ok. */
  dimensions: DimensionResult[]
  /** Whether failing tests upstream count (the product's tests.upstream is not 'off'). */
  upstreamTests: boolean
  /** Recently failed Airflow tasks per domain: suspects for a stale source nobody is linked to. */
  domainFailures?: RcNode[]
  graceMs?: number
  /** Column edges among the datasets of `nodes`: a failing test on a column is traced through them. */
  columnEdges?: RcColumnEdge[]
}

/** Without a product's SLA (evaluate.ts passes its freshness.grace_minutes): the built-in grace. */
const DEFAULT_GRACE_MS = DEFAULT_SLA.freshness.grace_minutes * 60_000

type SignalKind = 'test' | 'stale' | 'failed' | 'late'
interface Signal {
  kind: SignalKind
  status: Status
  at: string | null
  problem: string
  /** The run blamed, with its tags. */
  run?: ChainNode['run']
}

const RELEVANT: Record<DimensionResult['dimension'], SignalKind[]> = {
  freshness: ['stale', 'failed', 'late'],
  tests: ['test', 'failed'],
  volume: ['failed'],
  schema: [],
  reliability: ['failed'],
}

/**
 * Walks upstream from a product's outputs through lineage and orchestration links and names the
 * earliest (furthest upstream) failing or late node relevant to what is wrong, with the chain
 * to it and each node's domain; a failing test on an output column is first traced through
 * column lineage (root-cause-columns.ts). Undefined when every dimension is ok.
 */
export function findRootCause(input: RootCauseInput, now: Date): RootCause | undefined {
  const bad = input.dimensions.filter((d) => d.status !== 'ok')
  if (bad.length === 0) return undefined
  const nodes = new Map(input.nodes.map((n) => [n.id, n]))
  // a failing test on an output column: the failing tests of the columns it comes from first
  if (input.columnEdges?.length && bad.some((d) => d.dimension === 'tests')) {
    const byColumn = columnRootCause(input.outputs, nodes, input.columnEdges)
    if (byColumn) return byColumn
  }
  const edges = [...input.edges, ...suspectLinks(input, nodes)]
  for (const f of input.domainFailures ?? []) if (!nodes.has(f.id)) nodes.set(f.id, f)
  const into = new Map<string, RcEdge[]>()
  for (const e of edges) (into.get(e.target) ?? into.set(e.target, []).get(e.target))?.push(e)

  const relevant = new Set(bad.flatMap((d) => RELEVANT[d.dimension]))
  const outputs = new Set(input.outputs)
  const depth = new Map<string, number>()
  const prev = new Map<string, RcEdge>()
  let frontier = input.outputs.filter((o) => nodes.has(o))
  for (const o of frontier) depth.set(o, 0)
  while (frontier.length > 0) {
    const next: string[] = []
    for (const id of frontier) {
      for (const e of into.get(id) ?? []) {
        if (depth.has(e.source)) continue
        // A DAG above its task adds no depth: the task is the more precise culprit.
        depth.set(e.source, (depth.get(id) ?? 0) + (e.via === 'parent' ? 0 : 1))
        prev.set(e.source, e)
        next.push(e.source)
      }
    }
    frontier = next
  }

  const candidates: { node: RcNode; signal: Signal; depth: number }[] = []
  for (const [id, d] of depth) {
    const node = nodes.get(id)
    if (!node) continue
    for (const s of signalsOf(node, now, input.graceMs ?? DEFAULT_GRACE_MS)) {
      if (!relevant.has(s.kind)) continue
      if (s.kind === 'test' && !outputs.has(id) && !input.upstreamTests) continue
      candidates.push({ node, signal: s, depth: d })
    }
  }
  candidates.push(...failedLoads(edges, nodes, depth, now))
  candidates.sort(
    (a, b) =>
      b.depth - a.depth ||
      rank(b.signal.status) - rank(a.signal.status) ||
      Number(a.node.type === 'airflow_dag') - Number(b.node.type === 'airflow_dag') ||
      (a.signal.at ?? '').localeCompare(b.signal.at ?? ''),
  )
  const top = candidates[0]
  if (!top) return selfCaused(input, nodes, bad)

  const chain: ChainNode[] = []
  let at: string | undefined = top.node.id
  const signalOf = new Map(candidates.map((c) => [c.node.id, c.signal]))
  while (at !== undefined) {
    const n = nodes.get(at)
    const e = prev.get(at)
    if (n) chain.unshift(chainNode(n, e?.via, signalOf.get(at)))
    at = e?.target
  }
  const parent = edges.find((e) => e.target === top.node.id && e.via === 'parent')
  const dag = parent ? nodes.get(parent.source) : undefined
  if (dag && !chain.some((c) => c.id === dag.id)) {
    const s = signalsOf(dag, now, input.graceMs ?? DEFAULT_GRACE_MS)[0]
    chain.push(chainNode(dag, 'parent', s))
  }
  const culprit = chainNode(top.node, prev.get(top.node.id)?.via, top.signal)
  const suspected = chain.some((c) => c.via === 'same-domain')
  return {
    summary: `${top.signal.problem} (${top.node.domain ?? 'no domain'} domain${dag ? `, DAG ${dag.name}` : ''})${suspected ? '; linked by domain only, not by lineage' : ''}`,
    culprit,
    chain,
    confidence: suspected ? 'suspected' : 'lineage',
  }
}

function signalsOf(n: RcNode, now: Date, graceMs: number): Signal[] {
  const out: Signal[] = []
  for (const a of n.assertions ?? []) {
    if (a.status !== 'fail' && a.status !== 'error' && a.status !== 'warn') continue
    const status: Status = a.severity === 'error' && a.status !== 'warn' ? 'breach' : 'warn'
    out.push({
      kind: 'test',
      status,
      at: a.observedAt,
      problem: `test ${a.name} ${a.status === 'error' ? 'errored' : 'fails'} on ${n.name}`,
    })
  }
  const f = n.freshness
  if (f && (f.status === 'warn' || f.status === 'error')) {
    const loaded = Date.parse(f.observedAt) - f.value * 1000
    out.push({
      kind: 'stale',
      status: f.status === 'error' ? 'breach' : 'warn',
      at: new Date(loaded).toISOString(),
      problem: `source ${n.name} is stale: last loaded ${formatAgo(loaded, now)}`,
    })
  }
  const r = n.latestRun
  if (r && r.state === 'FAIL') {
    const what = n.type === 'airflow_dag' ? 'DAG run' : n.type === 'airflow_task' ? 'task' : 'job'
    out.push({
      kind: 'failed',
      status: 'breach',
      at: r.at,
      ...blamed(r),
      problem: `${what} ${n.name} failed${r.at ? ` at ${r.at}` : ''}${r.error ? `: ${r.error.slice(0, 200)}` : ''}`,
    })
  }
  const cron = n.schedule?.cron
  if (cron && !n.schedule?.paused) {
    const expected = lastExpectedRun(cron, { now, graceMs, timezone: n.schedule?.timezone })
    const last = n.lastSuccessAt ? Date.parse(n.lastSuccessAt) : undefined
    if (expected && last !== undefined && last < expected.at.getTime()) {
      out.push({
        kind: 'late',
        status: 'breach',
        at: expected.at.toISOString(),
        problem: `DAG ${n.name} is late: its ${expected.at.toISOString()} run has not succeeded`,
      })
    }
  }
  return out
}

/**
 * A loader (linked by orchestration, config or domain) that failed after a stale source's last
 * load is blamed even if a later run succeeded: the failed load is why the data is old.
 */
function failedLoads(
  edges: RcEdge[],
  nodes: Map<string, RcNode>,
  depth: Map<string, number>,
  now: Date,
) {
  const out: { node: RcNode; signal: Signal; depth: number }[] = []
  for (const e of edges) {
    if (e.via === 'lineage' || e.via === 'parent') continue
    const job = nodes.get(e.source)
    const source = nodes.get(e.target)
    const f = source?.freshness
    const d = depth.get(e.source)
    if (!job || !source || !f || (f.status !== 'warn' && f.status !== 'error') || d === undefined)
      continue
    if (job.latestRun?.state === 'FAIL') continue // already a candidate through its own signal
    const failure = job.latestFailure
    const loadedAt = Date.parse(f.observedAt) - f.value * 1000
    if (!failure?.at || Date.parse(failure.at) < loadedAt || Date.parse(failure.at) > now.getTime())
      continue
    out.push({
      node: job,
      depth: d,
      signal: {
        kind: 'failed',
        status: 'breach',
        at: failure.at,
        ...blamed(failure),
        problem: `${job.type === 'airflow_task' ? 'task' : 'job'} ${job.name} failed at ${failure.at}${failure.error ? `: ${failure.error.slice(0, 200)}` : ''}, after ${source.name} was last loaded`,
      },
    })
  }
  return out
}

/** A stale source with no producer is linked to recently failed Airflow tasks of its own domain. */
function suspectLinks(input: RootCauseInput, nodes: Map<string, RcNode>): RcEdge[] {
  const produced = new Set(input.edges.map((e) => e.target))
  const out: RcEdge[] = []
  for (const n of nodes.values()) {
    const stale = n.freshness && (n.freshness.status === 'warn' || n.freshness.status === 'error')
    if (n.kind !== 'dataset' || !stale || produced.has(n.id) || !n.domain) continue
    for (const f of input.domainFailures ?? []) {
      if (f.domain === n.domain) out.push({ source: f.id, target: n.id, via: 'same-domain' })
    }
  }
  return out
}

function selfCaused(
  input: RootCauseInput,
  nodes: Map<string, RcNode>,
  bad: DimensionResult[],
): RootCause | undefined {
  const out = input.outputs.map((o) => nodes.get(o)).find((n) => n !== undefined)
  if (!out) return undefined
  const worstDim = [...bad].sort(
    (a, b) => rank(b.status) - rank(a.status) || (a.score ?? 0) - (b.score ?? 0),
  )[0]
  const culprit: ChainNode = {
    ...chainNode(out, undefined, undefined),
    problem: `${worstDim?.dimension}: ${worstDim?.reason}`,
    status: worstDim?.status ?? 'warn',
  }
  return {
    summary: `${culprit.problem} (${out.domain ?? 'no domain'} domain)`,
    culprit,
    chain: [culprit],
    confidence: 'lineage',
  }
}

function chainNode(n: RcNode, via: Link | undefined, s: Signal | undefined): ChainNode {
  return {
    id: n.id,
    kind: n.kind,
    name: n.name,
    type: n.type,
    domain: n.domain,
    ...(via ? { via } : {}),
    ...(s ? { problem: s.problem, status: s.status, at: s.at } : {}),
    ...(s?.run ? { run: s.run } : {}),
  }
}

/** A signal's run: the failed run's id and tags, as the graph loaded them. */
const blamed = (r: BlamedRun): { run?: ChainNode['run'] } =>
  r.runId === undefined ? {} : { run: { runId: r.runId, tags: r.runTags ?? [] } }

const rank = (s: Status) => (s === 'breach' ? 2 : s === 'warn' ? 1 : 0)
