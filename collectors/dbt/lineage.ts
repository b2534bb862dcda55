import { formatIssues } from '../../common/format.ts'
import { refKey, type Batch, type Check, type Dataset, type Job, type Ref } from '../batch.ts'
import { createInputResolver, type DatasetNode, type Graph } from './graph.ts'
import { createTestTargets } from './test-targets.ts'
import { nodeJobName } from './naming.ts'
import { toColumns } from './columns.ts'
import { CatalogTableSchema, type CatalogTable, type DbtNode } from './schema.ts'
import { own } from '../own.ts'

const JOB_TYPES: Record<string, string> = {
  model: 'dbt_model',
  seed: 'dbt_seed',
  snapshot: 'dbt_snapshot',
}
const ACCESS = ['public', 'protected', 'private'] as const
const MAX_TEXT = 65536

const clip = (s: string | null | undefined): string | undefined =>
  s ? (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s) : undefined

export type Catalog = {
  nodes: Record<string, unknown>
  sources?: Record<string, unknown> | null | undefined
}

export type LineageResult = {
  /** unique_id → job of a model/seed/snapshot of this project */
  jobs: Map<string, Ref>
  /** test unique_id → its checks (several for a test on an ephemeral model built into several tables) */
  checks: Map<string, Check[]>
}

/** Adds datasets, jobs, edges and checks of the graph to the batch. */
export function addLineage(
  batch: Batch,
  graph: Graph,
  projectJob: Ref,
  catalog: Catalog | undefined,
  catalogFile: string,
): LineageResult {
  const inputsOf = createInputResolver(graph)
  const jobs = new Map<string, Ref>()
  const checks = new Map<string, Check[]>()
  const emitted = new Map<string, Dataset>()
  for (const ds of graph.datasets.values()) {
    if (ds.foreign && !ds.referenced) continue
    const table = catalog ? catalogTable(catalog, ds, catalogFile, batch.warnings) : undefined
    const dataset = toDataset(ds, table)
    const same = emitted.get(refKey(dataset))
    // a source declared over a seed's (or model's) table is the same table: one dataset
    if (same) fillMissing(same, dataset, ds.kind === 'source')
    else {
      emitted.set(refKey(dataset), dataset)
      batch.datasets.push(dataset)
    }
    const type = JOB_TYPES[ds.kind]
    if (ds.foreign || !type) continue
    const job: Job = {
      namespace: projectJob.namespace,
      name: nodeJobName(ds.node),
      type,
      parent: projectJob,
      domain: ds.domain,
      externalId: ds.node.unique_id,
    }
    if (ds.owner) job.owner = ds.owner
    const description = clip(ds.node.description)
    if (description) job.description = description
    batch.jobs.push(job)
    const ref = { namespace: job.namespace, name: job.name }
    jobs.set(ds.node.unique_id, ref)
    for (const input of inputsOf(ds.node.unique_id)) {
      batch.edges.push({ job: ref, dataset: input.ref, direction: 'input' })
    }
    batch.edges.push({ job: ref, dataset: ds.ref, direction: 'output' })
  }
  for (const node of graph.nodes.values()) {
    // dbt 1.11 functions (UDFs) are built like models but are no table: a job, no datasets
    if (node.resource_type !== 'function' || node.package_name !== graph.project) continue
    const job: Job = {
      namespace: projectJob.namespace,
      name: nodeJobName(node),
      type: 'dbt_function',
      parent: projectJob,
      domain: graph.project,
      externalId: node.unique_id,
    }
    const description = clip(node.description)
    if (description) job.description = description
    batch.jobs.push(job)
    jobs.set(node.unique_id, { namespace: job.namespace, name: job.name })
  }
  const targetsOf = createTestTargets(graph)
  for (const node of graph.nodes.values()) {
    if (node.resource_type !== 'test') continue
    const target = targetsOf(node)
    if ('reason' in target) {
      batch.warnings.push(`skipped test ${node.unique_id}: ${target.reason}`)
      continue
    }
    const several = target.datasets.length > 1
    const list = target.datasets.map((ds) => {
      const columns = emitted.get(refKey(ds.ref))?.columns
      const check = toCheck(node, ds, target.ephemeral, columns)
      // one dbt test, one check per table its ephemeral model reads: the key names the table
      if (several) check.key = `${node.unique_id}@${ds.node.unique_id}`
      return check
    })
    checks.set(node.unique_id, list)
    batch.checks.push(...list)
  }
  return { jobs, checks }
}

/** Completes `into` with what `from` knows; the producing node's kind wins over 'source'. */
function fillMissing(into: Dataset, from: Dataset, fromIsSource: boolean): void {
  if (into.kind === 'source' && !fromIsSource) {
    into.kind = from.kind
    into.externalId = from.externalId
  }
  for (const key of Object.keys(from) as (keyof Dataset)[]) {
    if (into[key] === undefined) Object.assign(into, { [key]: from[key] })
  }
}

function toCheck(
  test: DbtNode,
  target: DatasetNode,
  ephemeral: string | undefined,
  columns: Dataset['columns'],
): Check {
  const kwColumn = test.test_metadata?.kwargs?.['column_name']
  const tested = test.column_name ?? (typeof kwColumn === 'string' ? kwColumn : undefined)
  // an ephemeral model's column is the table's only if the table has one of that name
  const column =
    tested && ephemeral && !columns?.some((c) => c.name === tested) ? undefined : tested
  const check: Check = {
    key: test.unique_id,
    dataset: target.ref,
    kind: test.test_metadata?.name ?? 'singular',
    name: test.name,
    severity: test.config?.severity?.toLowerCase() === 'warn' ? 'warn' : 'error',
    origin: 'dbt',
  }
  if (column) check.column = column
  return check
}

function toDataset(ds: DatasetNode, table: CatalogTable | undefined): Dataset {
  const { node } = ds
  // members written out, not spread from the ref: an object spread and then grown member by
  // member cost ~8 µs a dataset (V8 gives it no room for the members added after)
  const out: Dataset = {
    namespace: ds.ref.namespace,
    name: ds.ref.name,
    domain: ds.domain,
    kind: ds.kind,
    externalId: node.unique_id,
  }
  if (ds.owner) out.owner = ds.owner
  const access = node.access ?? node.config?.access
  if (ds.kind === 'model' && access) {
    const level = ACCESS.find((a) => a === access)
    if (level) out.access = level
  }
  const enforced = node.contract?.enforced ?? node.config?.contract?.enforced
  if (ds.kind === 'model' && !ds.foreign && enforced !== undefined && enforced !== null) {
    out.contractEnforced = enforced
  }
  const description = clip(node.description)
  if (description) out.description = description
  const tags = (node.tags ?? []).filter((t) => t.length > 0 && t.length <= 256).slice(0, 256)
  if (tags.length) out.tags = tags
  if (Object.keys(ds.meta).length) out.meta = ds.meta
  if (node.original_file_path) out.sourceFile = node.original_file_path
  if (ds.kind === 'source' && node.identifier && node.identifier !== node.name) {
    // dbt-ol names a source by its yml `name`; the physical table is `identifier`
    out.aliases = [
      { namespace: ds.ref.namespace, name: ds.ref.name.replace(/[^.]+$/, node.identifier) },
    ]
  }
  const columns = toColumns(node, table)
  if (columns.length) out.columns = columns
  return out
}

function catalogTable(
  catalog: Catalog,
  ds: DatasetNode,
  file: string,
  warnings: string[],
): CatalogTable | undefined {
  const raw = own(ds.kind === 'source' ? catalog.sources : catalog.nodes, ds.node.unique_id)
  if (raw === undefined) return undefined
  const parsed = CatalogTableSchema.safeParse(raw)
  if (parsed.success) return parsed.data
  warnings.push(
    `${file}: ignored the columns of ${ds.node.unique_id}: ${formatIssues(parsed.error.issues, 1)}`,
  )
  return undefined
}
