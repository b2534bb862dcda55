import { cosmosNode } from '../collectors/airflow/cosmos.ts'
import type { NodeId } from '../db/queries/lineage.ts'
import type { OrchestrationJob } from '../db/queries/orchestration.ts'
import type { GraphNode } from '../db/queries/overview.ts'
import type { Store } from '../db/store.ts'

// Orchestration beside data lineage: DAG → task ("contains"), task → the dbt node or job it runs
// ("runs", "tests" for a test-only task), task → task ("after": Airflow's downstream tasks and
// OpenLineage's JobDependencies).

export const ORCHESTRATION_KINDS = ['contains', 'runs', 'tests', 'after'] as const
export type OrchestrationKind = (typeof ORCHESTRATION_KINDS)[number]

export interface OrchestrationEdge {
  source: NodeId
  target: NodeId
  kind: OrchestrationKind
}

const DBT_NODE_TYPES = new Set(['dbt_model', 'dbt_seed', 'dbt_snapshot'])
const jobId = (id: number): NodeId => `job:${id}`
const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1)
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
const refs = (v: unknown): { namespace: string; name: string }[] =>
  Array.isArray(v)
    ? v.flatMap((x: unknown) =>
        x !== null &&
        typeof x === 'object' &&
        'namespace' in x &&
        'name' in x &&
        typeof x.namespace === 'string' &&
        typeof x.name === 'string'
          ? [{ namespace: x.namespace, name: x.name }]
          : [],
      )
    : []

/**
 * The orchestration edges among `jobs`: a task's DAG from its parent, the dbt nodes a task runs
 * from its meta.dbtModels (else its Cosmos task name), a job run under a task (OpenLineage parent
 * facet, also through a dbt invocation), and the order of tasks. Pure; each edge once.
 */
export function orchestrationEdges(jobs: readonly OrchestrationJob[]): OrchestrationEdge[] {
  const byId = new Map(jobs.map((j) => [j.id, j]))
  const byRef = new Map(jobs.map((j) => [`${j.namespace}\n${j.name}`, j]))
  const dbtByName = new Map<string, OrchestrationJob[]>()
  for (const j of jobs) {
    if (!DBT_NODE_TYPES.has(j.type)) continue
    const k = shortName(j.name).toLowerCase()
    dbtByName.set(k, [...(dbtByName.get(k) ?? []), j])
  }
  const out = new Map<string, OrchestrationEdge>()
  const add = (source: number, target: number, kind: OrchestrationKind) => {
    if (source === target) return
    const key = `${source}>${target}`
    if (!out.has(key)) out.set(key, { source: jobId(source), target: jobId(target), kind })
  }
  for (const j of jobs) {
    const parent = j.parentId === null ? undefined : byId.get(j.parentId)
    if (parent?.type === 'airflow_dag' && j.type === 'airflow_task')
      add(parent.id, j.id, 'contains')
    else if (parent?.type === 'airflow_task') add(parent.id, j.id, 'runs')
    else if (parent?.type === 'dbt_project' && parent.parentId !== null) {
      // A dbt node under a dbt invocation that a task ran: the task runs the node.
      const task = byId.get(parent.parentId)
      if (task?.type === 'airflow_task') add(task.id, j.id, 'runs')
    }
    if (j.type !== 'airflow_task') continue
    const dag = parent?.type === 'airflow_dag' ? parent : undefined
    const taskId =
      dag && j.name.startsWith(`${dag.name}.`) ? j.name.slice(dag.name.length + 1) : j.name
    let models = strings(j.meta['dbtModels'])
    const commands = strings(j.meta['dbtCommands'])
    if (models.length === 0) {
      const named = cosmosNode(taskId)
      if (named && named.command !== 'source') {
        models = [named.node]
        commands.push(named.command)
      }
    }
    const kind: OrchestrationKind =
      commands.length > 0 && commands.every((c) => c === 'test') ? 'tests' : 'runs'
    for (const m of models) {
      const candidates = dbtByName.get(shortName(m).toLowerCase()) ?? []
      // The task's own domain first: two domains may each have an `orders` model.
      const target = candidates.find((c) => c.domain === j.domain) ?? candidates[0]
      if (target) add(j.id, target.id, kind)
    }
    if (dag) {
      for (const next of strings(j.meta['downstreamTaskIds'])) {
        const t = byRef.get(`${j.namespace}\n${dag.name}.${next}`)
        if (t) add(j.id, t.id, 'after')
      }
    }
  }
  for (const j of jobs) {
    for (const r of refs(j.meta['upstreamJobs'])) {
      const u = byRef.get(`${r.namespace}\n${r.name}`)
      if (u) add(u.id, j.id, 'after')
    }
    for (const r of refs(j.meta['downstreamJobs'])) {
      const d = byRef.get(`${r.namespace}\n${r.name}`)
      if (d) add(j.id, d.id, 'after')
    }
  }
  return [...out.values()]
}

export interface Orchestration {
  /** DAGs and tasks (and other jobs) that are not among the nodes asked about. */
  nodes: GraphNode[]
  edges: OrchestrationEdge[]
  truncated: boolean
}

/**
 * The orchestration around the jobs among `nodes`: the DAGs and tasks that run them and the edges
 * between all of them, at most `maxJobs` jobs and `maxEdges` edges.
 */
export async function orchestrationOf(
  store: Store,
  nodes: readonly { id: NodeId }[],
  opts: { maxJobs?: number; maxEdges?: number } = {},
): Promise<Orchestration> {
  const maxEdges = opts.maxEdges ?? 5000
  const present = new Set<string>(nodes.map((n) => n.id))
  const seed = nodes.flatMap((n) => (n.id.startsWith('job:') ? [Number(n.id.slice(4))] : []))
  if (seed.length === 0) return { nodes: [], edges: [], truncated: false }
  const { jobs, truncated } = await store.orchestration.orchestrationJobs(
    seed,
    opts.maxJobs ?? 2000,
  )
  const edges = orchestrationEdges(jobs)
  const kept = edges.slice(0, maxEdges)
  // The jobs the kept edges reach that the caller does not show yet.
  const added = new Set<NodeId>()
  for (const e of kept)
    for (const end of [e.source, e.target]) if (!present.has(end)) added.add(end)
  return {
    nodes: await store.overview.describeGraphNodes([...added]),
    edges: kept,
    truncated: truncated || kept.length < edges.length,
  }
}
