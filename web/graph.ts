// Pure: lineage API answers in, Cytoscape element definitions out. main.ts only hands them to Cytoscape.
import type { DomainGraph, LineageFocus, LineageOverview } from './api.ts'
import type { Status } from './model.ts'

// The answers drawn here, as the server's routes declare them (hc<AppType>), not re-declared.
export type OverviewIn = LineageOverview
export type DomainGraphIn = DomainGraph
export type FocusIn = LineageFocus
type GraphNodeIn = DomainGraph['nodes'][number] | LineageFocus['nodes'][number]

export interface NodeData {
  id: string
  label: string
  /** `column`: one column of a dataset (its parent) in the column-level view. */
  kind: 'domain' | 'dataset' | 'job' | 'column'
  status: Status
  parent?: string
  product?: boolean
  expanded?: boolean
  root?: boolean
  detail?: string
  /** A job's kind (`dbt_model`, `airflow_task`, `airflow_dag`, …): its shape and its label's tag. */
  jobType?: string
  /** An Airflow DAG drawn as a box holding its tasks. */
  dag?: boolean
  /** Size in px, set in the page from the measured label (node-size.ts). */
  w?: number
  h?: number
}
export interface EdgeData {
  id: string
  source: string
  target: string
  count?: number
  label?: string
  /** Not data lineage: an orchestration edge (`contains`, `runs`, `tests`, `after`) or `column`. */
  kind?: string
  /** A column edge through a filter, join or group by (OpenLineage INDIRECT). */
  indirect?: boolean
  /** The dbt model job this dataset → dataset edge stands for, in a big domain (foldModelJobs). */
  job?: string
}
export type Element = { group: 'nodes'; data: NodeData } | { group: 'edges'; data: EdgeData }

export const domainNodeId = (name: string): string => `domain:${name}`

/** Short label for a dataset/job: the last dotted part (`db.schema.orders` → `orders`). */
export const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1) || name

const JOB_TAG: Record<string, string> = {
  dbt_model: 'dbt model',
  dbt_seed: 'dbt seed',
  dbt_snapshot: 'dbt snapshot',
  dbt_project: 'dbt run',
  airflow_task: 'Airflow task',
  airflow_dag: 'Airflow DAG',
}
/** The job kinds styled apart; any other producer (Spark, …) is `other`, tagged with its type. */
const jobTypeOf = (type: string | null): string => (type && type in JOB_TAG ? type : 'other')

const INTEGRATIONS: Record<string, string> = {
  spark: 'Spark',
  flink: 'Flink',
  great_expectations: 'Great Expectations',
  airflow: 'Airflow',
  dbt: 'dbt',
  hive: 'Hive',
  trino: 'Trino',
  kafka_streams: 'Kafka Streams',
  bigquery: 'BigQuery',
  snowflake: 'Snowflake',
}
/** `spark` → `Spark`, `great_expectations` → `Great Expectations`, an unknown one title-cased. */
export const integrationTag = (integration: string): string =>
  INTEGRATIONS[integration] ??
  integration
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ')

/**
 * A job's label: its short name and, on a second line, its kind (`orders` / `dbt model`); a job of
 * another producer names its integration (`word_count` / `Spark job`).
 */
export function jobLabel(name: string, type: string | null, integration?: string | null): string {
  const short = type === 'airflow_task' ? name.slice(name.indexOf('.') + 1) : shortName(name)
  const known = type ? JOB_TAG[type] : undefined
  const kind = type && type !== 'job' ? type.replace(/_/g, ' ') : 'job'
  const tag =
    known ?? (integration ? `${integrationTag(integration)} ${kind}` : `OpenLineage ${kind}`)
  return `${short}\n${tag}`
}

export function leafNode(n: GraphNodeIn, parent: string, root = false): Element {
  const product = n.products.length > 0
  return {
    group: 'nodes',
    data: {
      id: n.id,
      label: n.kind === 'job' ? jobLabel(n.name, n.type, n.integration) : shortName(n.name),
      kind: n.kind,
      ...(n.kind === 'job' ? { jobType: jobTypeOf(n.type) } : {}),
      status: n.status,
      parent,
      product,
      root,
      detail: n.name,
    },
  }
}

function domainLabel(d: LineageOverview['domains'][number]): string {
  const breached = d.productCounts.breach ?? 0
  const products = `${d.products} product${d.products === 1 ? '' : 's'}${breached > 0 ? ` (${breached} in breach)` : ''}`
  return `${d.name}\n${d.datasets} datasets · ${d.jobs} jobs\n${products}`
}

function addEdge(out: Map<string, EdgeData>, source: string, target: string, count = 1): void {
  if (source === target) return
  const id = `${source}>${target}`
  const e = out.get(id)
  if (e) e.count = (e.count ?? 0) + count
  else out.set(id, { id, source, target, count })
}

/**
 * The overview: each domain one node, except those in `expanded`, which become compound nodes holding
 * their datasets and jobs. An edge into a collapsed domain ends on that domain's node, with a count.
 */
export function overviewElements(
  overview: OverviewIn,
  expanded: ReadonlyMap<string, DomainGraphIn>,
): Element[] {
  const out: Element[] = []
  const present = new Set<string>()
  for (const d of overview.domains) {
    const id = domainNodeId(d.name)
    const open = expanded.has(d.name)
    out.push({
      group: 'nodes',
      data: {
        id,
        label: open ? d.name : domainLabel(d),
        kind: 'domain',
        status: d.status,
        expanded: open,
      },
    })
  }
  for (const g of expanded.values()) for (const n of g.nodes) present.add(n.id)
  for (const g of expanded.values())
    for (const n of g.nodes) out.push(leafNode(n, domainNodeId(g.domain)))

  const edges = new Map<string, EdgeData>()
  for (const e of overview.edges) {
    if (!expanded.has(e.source) && !expanded.has(e.target)) {
      addEdge(edges, domainNodeId(e.source), domainNodeId(e.target), e.count)
    }
  }
  const seen = new Set<string>()
  for (const g of expanded.values()) {
    for (const e of g.edges) {
      const key = `${e.source}>${e.target}`
      if (seen.has(key)) continue
      seen.add(key)
      const stand = (id: string) => {
        if (present.has(id)) return id
        if (e.foreign?.id === id) return domainNodeId(e.foreign.domain)
        return undefined
      }
      const s = stand(e.source)
      const t = stand(e.target)
      if (!s || !t) continue
      addEdge(edges, s, t)
      const job = (e as FoldedEdge).job
      const drawn = edges.get(`${s}>${t}`)
      if (job && drawn && drawn.count === 1) drawn.job = job
    }
  }
  for (const e of edges.values()) {
    if ((e.count ?? 1) > 1) e.label = String(e.count)
    out.push({ group: 'edges', data: e })
  }
  return out
}

type DomainEdgeIn = DomainGraphIn['edges'][number]
type FoldedEdge = DomainEdgeIn & { job?: string }

/**
 * A big domain drawn lighter: each dbt model job with inputs and one output of its own domain becomes
 * edges from its inputs straight to that output, naming the job (`job`), so a 5k-model domain draws
 * half the elements. Other jobs (Airflow, Spark, several outputs, no inputs) stay nodes. Returns the
 * graph and the folded jobs by id, to describe one when its edge is clicked.
 */
export function foldModelJobs(g: DomainGraphIn): {
  graph: DomainGraphIn
  jobs: Map<string, DomainGraphIn['nodes'][number]>
} {
  const models = new Map(
    g.nodes.filter((n) => n.kind === 'job' && n.type === 'dbt_model').map((n) => [n.id, n]),
  )
  const ins = new Map<string, DomainEdgeIn[]>()
  const outs = new Map<string, DomainEdgeIn[]>()
  const push = (m: Map<string, DomainEdgeIn[]>, k: string, e: DomainEdgeIn) => {
    const list = m.get(k)
    if (list) list.push(e)
    else m.set(k, [e])
  }
  for (const e of g.edges) {
    if (models.has(e.target)) push(ins, e.target, e)
    if (models.has(e.source)) push(outs, e.source, e)
  }
  const jobs = new Map<string, DomainGraphIn['nodes'][number]>()
  const edges: FoldedEdge[] = []
  for (const [id, n] of models) {
    const out = outs.get(id) ?? []
    const target = out[0]?.target
    const input = ins.get(id) ?? []
    if (out.length !== 1 || !target || out[0]?.foreign || input.length === 0) continue
    jobs.set(id, n)
    for (const e of input) edges.push({ ...e, target, job: id })
  }
  if (jobs.size === 0) return { graph: g, jobs }
  for (const e of g.edges) if (!jobs.has(e.source) && !jobs.has(e.target)) edges.push(e)
  return { graph: { ...g, nodes: g.nodes.filter((n) => !jobs.has(n.id)), edges }, jobs }
}

/**
 * One edge per (opened domain, collapsed domain) pair standing in for the node-to-domain edges
 * between them, with their count: on a big opened domain those are ~1,000 lines into a few boxes.
 */
export function crossDomainSummary(elements: readonly Element[]): Element[] {
  const parent = new Map<string, string>()
  const collapsed = new Set<string>()
  for (const el of elements) {
    if (el.group !== 'nodes') continue
    if (el.data.parent) parent.set(el.data.id, el.data.parent)
    else if (el.data.kind === 'domain' && !el.data.expanded) collapsed.add(el.data.id)
  }
  const out = new Map<string, EdgeData>()
  for (const el of elements) {
    if (el.group !== 'edges') continue
    const { source, target, count = 1 } = el.data
    const s = collapsed.has(source) ? source : parent.get(source)
    const t = collapsed.has(target) ? target : parent.get(target)
    // Only node-to-domain edges: node-to-node and domain-to-domain ones are drawn as they are.
    if (!s || !t || collapsed.has(source) === collapsed.has(target)) continue
    addEdge(out, s, t, count)
  }
  return [...out.values()].map((e) => ({
    group: 'edges',
    data: { ...e, id: `summary:${e.id}`, label: String(e.count) },
  }))
}

/** A node's neighbourhood, grouped in one compound node per domain, the focused node marked. */
export function focusElements(focus: FocusIn): Element[] {
  const domains = [...new Set(focus.nodes.map((n) => n.domain))].sort()
  const out: Element[] = domains.map((d) => ({
    group: 'nodes',
    data: { id: domainNodeId(d), label: d, kind: 'domain', status: 'unknown', expanded: true },
  }))
  for (const n of focus.nodes) out.push(leafNode(n, domainNodeId(n.domain), n.id === focus.root))
  const ids = new Set(focus.nodes.map((n) => n.id))
  for (const e of focus.edges) {
    if (ids.has(e.source) && ids.has(e.target)) {
      out.push({
        group: 'edges',
        data: { id: `${e.source}>${e.target}`, source: e.source, target: e.target },
      })
    }
  }
  return out
}

/** Ids of nodes within `hops` of `start` following edges in `direction` (start included). */
export function reachable(
  edges: readonly { source: string; target: string }[],
  start: string,
  hops: number,
  direction: 'up' | 'down',
): Set<string> {
  const next = new Map<string, string[]>()
  for (const e of edges) {
    const [a, b] = direction === 'down' ? [e.source, e.target] : [e.target, e.source]
    const list = next.get(a)
    if (list) list.push(b)
    else next.set(a, [b])
  }
  const seen = new Set([start])
  let frontier = [start]
  for (let i = 0; i < hops && frontier.length > 0; i++) {
    frontier = frontier.flatMap((n) => next.get(n) ?? []).filter((n) => !seen.has(n) && seen.add(n))
  }
  return seen
}

/**
 * The edges a layout needs: drops u→v when another path u→…→v remains, so a dense domain graph
 * (every domain reading every other) lays out in milliseconds. Edges are still all drawn.
 */
export function layoutEdges<E extends { source: string; target: string; count?: number }>(
  edges: readonly E[],
): E[] {
  const kept = new Set(edges)
  // Outgoing edges by source, so a walk looks only at a node's own edges (the overview of 200
  // domains has ~1,000 edges: scanning them all at every step took seconds).
  const out = new Map<string, Set<E>>()
  for (const e of edges) {
    let s = out.get(e.source)
    if (!s) out.set(e.source, (s = new Set()))
    s.add(e)
  }
  const pathExists = (from: string, to: string, skip: E) => {
    const seen = new Set([from])
    const stack = [from]
    while (stack.length > 0) {
      const n = stack.pop() ?? ''
      for (const e of out.get(n) ?? []) {
        if (e === skip || seen.has(e.target)) continue
        if (e.target === to) return true
        seen.add(e.target)
        stack.push(e.target)
      }
    }
    return false
  }
  // Weakest first, so the heavy flows are the ones that shape the layout.
  for (const e of [...edges].sort((a, b) => (a.count ?? 1) - (b.count ?? 1))) {
    if (pathExists(e.source, e.target, e)) {
      kept.delete(e)
      out.get(e.source)?.delete(e)
    }
  }
  return edges.filter((e) => kept.has(e))
}

export interface Box {
  x: number
  y: number
  w: number
  h: number
}

/**
 * Where the domain boxes go when some domains are opened: start from the collapsed layout and, for
 * each opened domain (in order), push the others out of its way: along x when they are in another
 * rank column, along y when they share its column.
 */
export function arrangeDomains(
  base: ReadonlyMap<string, Box>,
  opened: readonly (readonly [string, { w: number; h: number }])[],
): Map<string, Box> {
  const pos = new Map([...base].map(([k, b]) => [k, { ...b }]))
  for (const [id, size] of opened) {
    const c = pos.get(id)
    if (!c) continue
    const growX = Math.max(0, (size.w - c.w) / 2)
    const growY = Math.max(0, (size.h - c.h) / 2)
    for (const [other, b] of pos) {
      if (other === id) continue
      const dx = b.x - c.x
      if (Math.abs(dx) > c.w / 2) b.x += Math.sign(dx) * growX
      else b.y += (b.y >= c.y ? 1 : -1) * growY
    }
    c.w = Math.max(c.w, size.w)
    c.h = Math.max(c.h, size.h)
  }
  return pos
}
