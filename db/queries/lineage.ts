import { inArray } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { datasets, jobs, lineageEdges } from '../schema.ts'
import { chunk } from './merge.ts'

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
      const fromDatasets = chunk(ds, 5000).flatMap((part) =>
        db.select().from(lineageEdges).where(inArray(lineageEdges.datasetId, part)).all(),
      )
      const fromJobs = chunk(js, 5000).flatMap((part) =>
        db.select().from(lineageEdges).where(inArray(lineageEdges.jobId, part)).all(),
      )
      // up: a dataset's producer (its output edge), a job's inputs; down is the mirror.
      const visit = (e: (typeof fromJobs)[number], fromDataset: boolean) => {
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

function describeNodes(db: Db, ids: NodeId[], depthOf: Map<NodeId, number>): LineageNode[] {
  const ds = ids.filter((n) => n.startsWith('dataset:')).map(idOf)
  const js = ids.filter((n) => n.startsWith('job:')).map(idOf)
  const out: LineageNode[] = []
  for (const part of chunk(ds, 5000)) {
    for (const r of db
      .select({
        id: datasets.id,
        namespace: datasets.namespace,
        name: datasets.name,
        domain: datasets.domain,
        kind: datasets.kind,
      })
      .from(datasets)
      .where(inArray(datasets.id, part))
      .all()) {
      const id: NodeId = `dataset:${r.id}`
      out.push({
        id,
        kind: 'dataset',
        namespace: r.namespace,
        name: r.name,
        domain: r.domain,
        type: r.kind,
        depth: depthOf.get(id) ?? 0,
      })
    }
  }
  for (const part of chunk(js, 5000)) {
    for (const r of db
      .select({
        id: jobs.id,
        namespace: jobs.namespace,
        name: jobs.name,
        domain: jobs.domain,
        type: jobs.type,
      })
      .from(jobs)
      .where(inArray(jobs.id, part))
      .all()) {
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
  }
  return out.sort((a, b) => a.depth - b.depth || a.name.localeCompare(b.name))
}
