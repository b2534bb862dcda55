import { emptyBatch, type Batch, type Domain, type Ref } from '../batch.ts'
import { normalizeTime, parseEnvelope } from './envelope.ts'
import { buildGraph, type Graph } from './graph.ts'
import { addLineage } from './lineage.ts'
import { addProducts } from './products.ts'
import { addFreshness, addRunResults } from './results.ts'
import { CatalogSchema, FreshnessSchema, ManifestSchema, RunResultsSchema } from './schema.ts'

export type DbtArtifactsInput = {
  manifest: unknown
  runResults?: unknown
  sources?: unknown
  catalog?: unknown
  /** How to name each file in errors and warnings (default: its usual file name). */
  files?: { manifest?: string; runResults?: string; sources?: string; catalog?: string }
}

export type ParseDbtOptions = {
  /** OpenLineage dataset namespace of the warehouse, e.g. postgres://db:5432 (see naming.ts). */
  namespace: string
  /** Namespace of the jobs: what dbt-ol uses, OPENLINEAGE_NAMESPACE (default 'default'). */
  jobNamespace?: string
  /** The root dbt project, when known from dbt_project.yml; else read from the manifest. */
  projectName?: string
}

/**
 * Maps parsed dbt artifacts (JSON values) to one normalized batch of kind 'dbt'.
 * Throws CollectorError for a bad envelope (wrong artifact, unsupported version); skips a bad
 * item inside a good one with a warning naming it.
 */
export function parseDbtArtifacts(input: DbtArtifactsInput, opts: ParseDbtOptions): Batch {
  const files = {
    manifest: input.files?.manifest ?? 'manifest.json',
    runResults: input.files?.runResults ?? 'run_results.json',
    sources: input.files?.sources ?? 'sources.json',
    catalog: input.files?.catalog ?? 'catalog.json',
  }
  const manifest = parseEnvelope('manifest', input.manifest, files.manifest, ManifestSchema).data
  const runResults =
    input.runResults === undefined
      ? undefined
      : parseEnvelope('run-results', input.runResults, files.runResults, RunResultsSchema).data
  const freshness =
    input.sources === undefined
      ? undefined
      : parseEnvelope('sources', input.sources, files.sources, FreshnessSchema).data
  const catalog =
    input.catalog === undefined
      ? undefined
      : parseEnvelope('catalog', input.catalog, files.catalog, CatalogSchema).data

  const graph = buildGraph(manifest, files.manifest, opts)
  const batch = emptyBatch('dbt', `dbt:${graph.project}`)
  batch.replaceEdges = true
  batch.warnings.push(...graph.warnings)
  const producedAt = normalizeTime(manifest.metadata.generated_at)
  if (producedAt) batch.producedAt = producedAt

  // dbt-ol names the invocation's parent job dbt-run-<project>, so both land on one job.
  const projectJob: Ref = { namespace: opts.jobNamespace ?? 'default', name: `dbt-run-${graph.project}` }
  batch.jobs.push({
    ...projectJob,
    type: 'dbt_project',
    domain: graph.project,
    externalId: `project.${graph.project}`,
  })
  const { jobs, checks } = addLineage(batch, graph, projectJob, catalog, files.catalog)
  if (runResults) addRunResults(batch, runResults, files.runResults, { projectJob, jobs, checks })
  if (freshness) addFreshness(batch, freshness, files.sources, graph)
  addProducts(batch, graph, files.manifest)
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
