import { createHash } from 'node:crypto'
import type { Ref } from '../batch.ts'
import { keepDeclaredColumns, keepFlatColumns } from './columns.ts'
import { firstIssue } from './envelope.ts'
import { safeParseFast } from './fast-parse.ts'
import { datasetName } from './naming.ts'
import {
  isRecord,
  metaOf,
  resolveOwnership,
  toGroupInfo,
  type GroupInfo,
  type Meta,
  type Ownership,
} from './ownership.ts'
import {
  DbtExposureSchema,
  DbtGroupSchema,
  DbtNodeSchema,
  DbtTestSchema,
  type ArtifactMetadata,
  type DbtExposure,
  type DbtNode,
} from './schema.ts'

/** Resource types we read; the rest (operations, analyses, unit tests…) are ignored unparsed. */
const READ_TYPES = new Set(['model', 'seed', 'snapshot', 'test', 'source', 'function'])
export const DATASET_KINDS = new Set(['model', 'seed', 'snapshot', 'source'])

/** A node that is a table or view, with its identity and ownership. */
export type DatasetNode = {
  node: DbtNode
  /** model, seed, snapshot or source: from the unique_id, since dbt-loom injects seeds as models */
  kind: string
  ref: Ref
  /** a node of another dbt project carried by this manifest (dbt Mesh / dbt-loom) */
  foreign: boolean
  /** a foreign node read by a node or exposure of this project (it is emitted only then) */
  referenced: boolean
  meta: Meta
} & Ownership

export type Graph = {
  project: string
  nodes: Map<string, DbtNode>
  datasets: Map<string, DatasetNode>
  groups: Map<string, GroupInfo>
  exposures: DbtExposure[]
  warnings: string[]
}

export const kindOf = (uniqueId: string): string => uniqueId.slice(0, uniqueId.indexOf('.'))

type NodeParse = ReturnType<typeof safeParseFast<typeof DbtNodeSchema | typeof DbtTestSchema>>

/** A manifest entry parsed as it was read (readNode): buildGraph takes its result as it is. */
class ReadNode {
  readonly parsed: NodeParse
  constructor(parsed: NodeParse) {
    this.parsed = parsed
  }
}

/** A node or source of a type buildGraph reads, parsed; undefined for one it skips unparsed. */
function parseNode(raw: unknown): NodeParse | undefined {
  if (raw instanceof ReadNode) return raw.parsed
  if (!isRecord(raw) || !READ_TYPES.has(String(raw['resource_type']))) return undefined
  const schema = raw['resource_type'] === 'test' ? DbtTestSchema : DbtNodeSchema
  // a node zod would accept is read by a compiled first pass; zod names a bad one's field
  return safeParseFast(schema, raw)
}

/**
 * An entry of the manifest's nodes, sources or functions, parsed as buildGraph will read it, for
 * a reader that parses entries one at a time (readManifestLean's `entry`): what the parse does not
 * keep of it is garbage at once, not held until the whole manifest is read.
 */
export function readNode(raw: unknown, columns?: unknown): unknown {
  const parsed = parseNode(raw)
  if (!parsed) return raw
  if (parsed.success) {
    if (Array.isArray(columns)) keepFlatColumns(parsed.data, columns)
    else keepDeclaredColumns(parsed.data)
  }
  return new ReadNode(parsed)
}

type ManifestData = {
  metadata: ArtifactMetadata
  nodes: Record<string, unknown>
  sources?: Record<string, unknown> | null | undefined
  groups?: Record<string, unknown> | null | undefined
  exposures?: Record<string, unknown> | null | undefined
  functions?: Record<string, unknown> | null | undefined
}

/** Parses every node and source once, indexed by unique_id; a bad one is skipped with a warning. */
export function buildGraph(
  manifest: ManifestData,
  file: string,
  opts: { namespace: string; projectName?: string | undefined },
): Graph {
  const warnings: string[] = []
  const nodes = new Map<string, DbtNode>()
  const index = (items: Record<string, unknown>): void => {
    for (const id of Object.keys(items)) {
      const parsed = parseNode(items[id])
      if (!parsed) continue
      if (parsed.success) nodes.set(parsed.data.unique_id, parsed.data)
      else warnings.push(`${file}: skipped ${id}: ${firstIssue(parsed.error)}`)
    }
  }
  index(manifest.nodes)
  index(manifest.sources ?? {})
  index(manifest.functions ?? {})

  const groups = new Map<string, GroupInfo>()
  for (const [id, raw] of Object.entries(manifest.groups ?? {})) {
    const parsed = safeParseFast(DbtGroupSchema, raw)
    if (parsed.success) groups.set(parsed.data.name, toGroupInfo(parsed.data))
    else warnings.push(`${file}: skipped ${id}: ${firstIssue(parsed.error)}`)
  }

  const exposures: DbtExposure[] = []
  for (const [id, raw] of Object.entries(manifest.exposures ?? {})) {
    const parsed = safeParseFast(DbtExposureSchema, raw)
    if (!parsed.success) warnings.push(`${file}: skipped ${id}: ${firstIssue(parsed.error)}`)
    else if (parsed.data.config?.enabled !== false) exposures.push(parsed.data)
  }

  const project = resolveProject(manifest.metadata, nodes, opts.projectName)
  const isForeign = (node: DbtNode): boolean =>
    node.package_name !== project && !node.original_file_path
  // what the project's nodes and exposures read: made only for a foreign node (see DatasetNode)
  let referenced: Set<string> | undefined
  const isReferenced = (id: string): boolean => {
    if (!referenced) {
      referenced = new Set<string>()
      for (const item of [...nodes.values(), ...exposures]) {
        if ('resource_type' in item && isForeign(item)) continue
        for (const dep of item.depends_on?.nodes ?? []) referenced.add(dep)
      }
    }
    return referenced.has(id)
  }
  const datasets = new Map<string, DatasetNode>()
  for (const node of nodes.values()) {
    const kind = kindOf(node.unique_id)
    if (!DATASET_KINDS.has(kind) || node.config?.materialized === 'ephemeral') continue
    const foreign = isForeign(node)
    const meta = metaOf(node)
    const ownership = resolveOwnership(
      node.group ?? node.config?.group,
      meta,
      foreign ? node.package_name : project,
      groups,
    )
    const ref = { namespace: opts.namespace, name: datasetName(node) }
    const used = foreign && isReferenced(node.unique_id)
    // written out, not spread: see toDataset
    const dataset: DatasetNode = {
      node,
      kind,
      ref,
      foreign,
      referenced: used,
      meta,
      domain: ownership.domain,
    }
    if (ownership.owner !== undefined) dataset.owner = ownership.owner
    if (ownership.group !== undefined) dataset.group = ownership.group
    datasets.set(node.unique_id, dataset)
  }
  return { project, nodes, datasets, groups, exposures, warnings }
}

/**
 * The root project: given, else metadata.project_name (dbt ≥1.6), else the package whose md5
 * is metadata.project_id (dbt writes md5(project name)), else the package with most nodes.
 */
function resolveProject(
  metadata: ArtifactMetadata,
  nodes: ReadonlyMap<string, DbtNode>,
  given: string | undefined,
): string {
  if (given) return given
  if (metadata.project_name) return metadata.project_name
  const counts = new Map<string, number>()
  for (const node of nodes.values()) {
    counts.set(node.package_name, (counts.get(node.package_name) ?? 0) + 1)
  }
  const packages = [...counts.keys()]
  const id = metadata.project_id
  const byId = id && packages.find((p) => createHash('md5').update(p).digest('hex') === id)
  if (byId) return byId
  const [top] = [...counts.entries()].sort((a, b) => b[1] - a[1])
  return top?.[0] ?? 'dbt'
}

/**
 * The datasets a node reads: its depends_on nodes that are datasets, looking through
 * ephemeral models (they are CTEs, not tables) to what they read.
 */
export function createInputResolver(graph: Graph): (uniqueId: string) => DatasetNode[] {
  const memo = new Map<string, string[]>()
  const resolve = (id: string, seen: Set<string>): string[] => {
    const cached = memo.get(id)
    if (cached) return cached
    const out = new Set<string>()
    for (const dep of graph.nodes.get(id)?.depends_on?.nodes ?? []) {
      if (graph.datasets.has(dep)) out.add(dep)
      else if (graph.nodes.get(dep)?.config?.materialized === 'ephemeral' && !seen.has(dep)) {
        seen.add(dep)
        for (const d of resolve(dep, seen)) out.add(d)
      }
    }
    const list = [...out]
    memo.set(id, list)
    return list
  }
  return (id) =>
    resolve(id, new Set([id])).flatMap((d) => {
      const ds = graph.datasets.get(d)
      return ds ? [ds] : []
    })
}

/** A UUID (v5 layout) derived from its parts, so re-collecting the same artifacts yields the same ids. */
export function stableUuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000')).digest('hex')
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
}
