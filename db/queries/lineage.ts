import type { Db } from '../client.ts'
import { readStatement } from './statements.ts'

export type NodeId = `dataset:${number}` | `job:${number}`
export type Direction = 'up' | 'down' | 'both'

export interface LineageNode {
  id: NodeId
  kind: 'dataset' | 'job'
  namespace: string
  name: string
  domain: string | null
  type: string | null
  depth: number
}

export interface LineageEdge {
  source: NodeId
  target: NodeId
}

export interface LineageOptions {
  node: NodeId
  depth: number
  direction: Direction
  /** Stop expanding once this many nodes are collected; the answer says it was truncated. */
  maxNodes?: number
}

export function parseNodeId(s: string): NodeId | undefined {
  const m = /^(dataset|job):(\d{1,15})$/.exec(s)
  if (!m) return undefined
  return `${m[1] === 'dataset' ? 'dataset' : 'job'}:${Number(m[2])}`
}

const idOf = (n: NodeId): number => Number(n.slice(n.indexOf(':') + 1))

/**
 * The depth-limited neighbourhood of one node in the job↔dataset graph. Each hop is one indexed
 * query over the frontier, so cost follows the answer's size, never the whole graph's.
 */
export function lineageNeighbourhood(db: Db, opts: LineageOptions) {
  const maxNodes = opts.maxNodes ?? 5000
  const depthOf = new Map<NodeId, number>([[opts.node, 0]])
  const edges = new Map<string, LineageEdge>()
  let truncated = false
  const walk = (dir: 'up' | 'down') => {
    let frontier: NodeId[] = [opts.node]
    for (let d = 1; d <= opts.depth && frontier.length > 0; d++) {
      const next: NodeId[] = []
      const ds = frontier.filter((n) => n.startsWith('dataset:')).map(idOf)
      const js = frontier.filter((n) => n.startsWith('job:')).map(idOf)
      // up: a dataset's producer (its output edge), a job's inputs; down is the mirror.
      const fromDatasets =
        ds.length === 0
          ? []
          : edgesOfDatasets(db).all(JSON.stringify(ds), dir === 'up' ? 'output' : 'input')
      const fromJobs =
        js.length === 0
          ? []
          : edgesOfJobs(db).all(JSON.stringify(js), dir === 'up' ? 'input' : 'output')
      const visit = (e: EdgeRow, fromDataset: boolean) => {
        const wantOutput = (dir === 'up') === fromDataset
        if ((e.direction === 'output') !== wantOutput) return
        const job: NodeId = `job:${e.jobId}`
        const dataset: NodeId = `dataset:${e.datasetId}`
        const [source, target] = e.direction === 'input' ? [dataset, job] : [job, dataset]
        edges.set(`${source}>${target}`, { source, target })
        const other = fromDataset ? job : dataset
        if (depthOf.has(other)) return
        if (depthOf.size >= maxNodes) {
          truncated = true
          return
        }
        depthOf.set(other, d)
        next.push(other)
      }
      for (const e of fromDatasets) visit(e, true)
      for (const e of fromJobs) visit(e, false)
      frontier = next
    }
  }
  if (opts.direction !== 'down') walk('up')
  if (opts.direction !== 'up') walk('down')

  const nodes = describeNodes(db, [...depthOf.keys()], depthOf)
  const present = new Set(nodes.map((n) => n.id))
  return {
    root: opts.node,
    nodes,
    edges: [...edges.values()].filter((e) => present.has(e.source) && present.has(e.target)),
    truncated,
  }
}

interface EdgeRow {
  jobId: number
  datasetId: number
  direction: 'input' | 'output'
}
interface NodeRow {
  id: number
  namespace: string
  name: string
  domain: string | null
  type: string | null
}

// One statement per hop and node kind, compiled once per connection: a walk asks them many times.
const edgesOfDatasets = (db: Db) =>
  readStatement<EdgeRow>(
    db,
    'select job_id as jobId, dataset_id as datasetId, direction from lineage_edges where dataset_id in (select value from json_each(?)) and direction = ? order by dataset_id, job_id',
  )
const edgesOfJobs = (db: Db) =>
  readStatement<EdgeRow>(
    db,
    'select job_id as jobId, dataset_id as datasetId, direction from lineage_edges where job_id in (select value from json_each(?)) and direction = ? order by job_id, dataset_id',
  )

function describeNodes(db: Db, ids: NodeId[], depthOf: Map<NodeId, number>): LineageNode[] {
  const ds = ids.filter((n) => n.startsWith('dataset:')).map(idOf)
  const js = ids.filter((n) => n.startsWith('job:')).map(idOf)
  const out: LineageNode[] = []
  if (ds.length > 0)
    for (const r of readStatement<NodeRow>(
      db,
      'select id, namespace, name, domain, kind as type from datasets where id in (select value from json_each(?)) order by id',
    ).all(JSON.stringify(ds))) {
      const id: NodeId = `dataset:${r.id}`
      out.push({
        id,
        kind: 'dataset',
        namespace: r.namespace,
        name: r.name,
        domain: r.domain,
        type: r.type,
        depth: depthOf.get(id) ?? 0,
      })
    }
  if (js.length > 0)
    for (const r of readStatement<NodeRow>(
      db,
      'select id, namespace, name, domain, type from jobs where id in (select value from json_each(?)) order by id',
    ).all(JSON.stringify(js))) {
      const id: NodeId = `job:${r.id}`
      out.push({
        id,
        kind: 'job',
        namespace: r.namespace,
        name: r.name,
        domain: r.domain,
        type: r.type,
        depth: depthOf.get(id) ?? 0,
      })
    }
  return out.sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name))
}
