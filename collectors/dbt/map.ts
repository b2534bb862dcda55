import { emptyBatch, type Batch, type Domain, type Ref } from '../batch.ts'
import { normalizeTime } from './envelope.ts'
import { parseEnvelopes, type DbtArtifactsInput, type Envelopes } from './envelopes.ts'
import { buildGraph, type Graph } from './graph.ts'
import { addLineage } from './lineage.ts'
import type { addColumnLineage, KnownColumnLineage } from './column-lineage/index.ts'
import { addProducts } from './products.ts'
import { addFreshness } from './freshness.ts'
import { addRunResults } from './results.ts'

export type ParseDbtOptions = {
  /** OpenLineage dataset namespace of the warehouse, e.g. postgres://db:5432 (see naming.ts). */
  namespace: string
  /** Namespace of the jobs: what dbt-ol uses, OPENLINEAGE_NAMESPACE (default 'default'). */
  jobNamespace?: string
  /** The root dbt project, when known from dbt_project.yml; else read from the manifest. */
  projectName?: string
  /** Derive column lineage from the models' SQL (default true; it costs ms per model). */
  columnLineage?: boolean
  /** The store's lineage inputs of the models: unchanged ones are not parsed again. */
  knownColumnLineage?: KnownColumnLineage
  /** Worker threads for column lineage (0: in-process; default by project size and cores). */
  columnLineageWorkers?: number
}

/**
 * parseDbtArtifacts, with the column lineage step given by the caller: `collect dbt
 * --no-column-lineage` then never loads the SQL parser (a 22 MB WebAssembly module, ~125 MB of
 * memory and ~0.2 s to start). Maps parsed dbt artifacts (JSON values) to one normalized batch of
 * kind 'dbt'.
 * Throws CollectorError for a bad envelope (wrong artifact, unsupported version, artifacts of
 * different projects); skips a bad item inside a good one with a warning naming it. Warnings
 * name files by base name, so the same artifacts give the same batch wherever they were read.
 */
export function mapDbtArtifacts(
  input: DbtArtifactsInput,
  opts: ParseDbtOptions,
  columnLineage: typeof addColumnLineage | undefined,
  /** The input's envelopes, when the caller has parsed them already (readDbtTarget). */
  env: Envelopes = parseEnvelopes(input),
): Batch {
  const { manifest, runResults, catalog, names } = env

  const graph = buildGraph(manifest, names.manifest, opts)
  const batch = emptyBatch('dbt', `dbt:${graph.project}`)
  batch.replaceEdges = true
  batch.warnings.push(...graph.warnings, ...env.warnings)
  if (graph.datasets.size === 0)
    batch.warnings.push(
      `${names.manifest}: holds no model, seed, snapshot or source: nothing to map (is it the manifest of the project you meant, parsed with its model-paths?)`,
    )
  const producedAt = normalizeTime(manifest.metadata.generated_at)
  if (producedAt) batch.producedAt = producedAt

  // dbt-ol names the invocation's parent job dbt-run-<project>, so both land on one job.
  const projectJob: Ref = {
    namespace: opts.jobNamespace ?? 'default',
    name: `dbt-run-${graph.project}`,
  }
  batch.jobs.push({
    ...projectJob,
    type: 'dbt_project',
    domain: graph.project,
    externalId: `project.${graph.project}`,
  })
  const { jobs, checks } = addLineage(batch, graph, projectJob, catalog, names.catalog)
  if (opts.columnLineage !== false && columnLineage)
    columnLineage(batch, graph, manifest.metadata.adapter_type, {
      ...(opts.knownColumnLineage ? { known: opts.knownColumnLineage } : {}),
      ...(opts.columnLineageWorkers !== undefined ? { workers: opts.columnLineageWorkers } : {}),
    })
  if (runResults) addRunResults(batch, runResults, names.runResults, { projectJob, jobs, checks })
  if (env.sources) addFreshness(batch, env.sources, names.sources, graph, ['source'])
  if (env.freshness) addFreshness(batch, env.freshness, names.freshness, graph, ['source', 'model'])
  addProducts(batch, graph, names.manifest)
  batch.domains = collectDomains(batch, graph)
  return batch
}

/** Every domain the batch names, with the owner and description of the dbt group it comes from. */
function collectDomains(batch: Batch, graph: Graph): Domain[] {
  const names = new Set<string>([graph.project])
  for (const d of batch.datasets) if (d.domain) names.add(d.domain)
  for (const j of batch.jobs) if (j.domain) names.add(j.domain)
  for (const p of batch.products) names.add(p.domain)
  return [...names].map((name) => {
    const group = graph.groups.get(name)
    const domain: Domain = { name }
    if (group?.owner) domain.owner = group.owner
    if (group?.description) domain.description = group.description
    return domain
  })
}
