import type { Assertion, Column, ColumnEdge, Dataset, Job, Metric, Ref } from '../batch.ts'
import type { OlDatasetFacets, OlInputDataset, OlJob, OlOutputDataset, SchemaField } from './schema.ts'

const MAX_TEXT = 65536
const clip = (s: string | null | undefined): string | undefined =>
  s ? (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s) : undefined

/** jobType facet (integration + jobType) → our job type; anything unrecognized is a plain 'job'. */
const JOB_TYPES: Record<string, string> = {
  'AIRFLOW/DAG': 'airflow_dag',
  'AIRFLOW/TASK': 'airflow_task',
  'DBT/MODEL': 'dbt_model',
  'DBT/SNAPSHOT': 'dbt_snapshot',
  'DBT/SEED': 'dbt_seed',
  'DBT/TEST': 'dbt_test',
  'DBT/JOB': 'dbt_project',
}

export function jobTypeOf(job: OlJob): string {
  const f = job.facets?.jobType
  if (!f) return 'job'
  return JOB_TYPES[`${f.integration.toUpperCase()}/${(f.jobType ?? '').toUpperCase()}`] ?? 'job'
}

/**
 * dbt-ol names a node's job `db.schema.pkg.model`, with `.build.run` / `.build.snapshot` /
 * `.build.test` appended under `dbt build`; we keep the `dbt run` form so both commands (and the
 * dbt collector) name one job.
 */
export function canonicalJobName(job: OlJob): string {
  if (job.facets?.jobType?.integration.toUpperCase() !== 'DBT') return job.name
  return job.name.replace(/\.build\.run$/, '').replace(/\.build\.(snapshot|test)$/, '.$1')
}

/** The job, its parent (from the `parent` run facet) and the root job when it differs. */
export function jobsOf(job: OlJob, parent: ParentFacet | undefined): Job[] {
  const type = jobTypeOf(job)
  const self: Job = { namespace: job.namespace, name: canonicalJobName(job), type }
  const description = clip(job.facets?.documentation?.description)
  if (description) self.description = description
  const owner = job.facets?.ownership?.owners?.[0]?.name
  if (owner) self.owner = owner
  const jt = job.facets?.jobType
  if (jt) {
    self.meta = {
      openlineage: { integration: jt.integration, jobType: jt.jobType ?? null, processingType: jt.processingType },
    }
  }
  if (!parent) return [self]
  const parentRef: Ref = { namespace: parent.job.namespace, name: parent.job.name }
  self.parent = parentRef
  const out: Job[] = [self]
  // Airflow's tasks sit under their DAG; dbt-ol's nodes under the dbt invocation's job.
  const parentType = type === 'airflow_task' ? 'airflow_dag' : type.startsWith('dbt_') ? 'dbt_project' : 'job'
  out.push({ ...parentRef, type: parentType })
  const root = parent.root?.job
  if (root && (root.namespace !== parentRef.namespace || root.name !== parentRef.name)) {
    const rootRef = { namespace: root.namespace, name: root.name }
    self.meta = { ...self.meta, root: rootRef }
    out.push({ ...rootRef, type: 'job' })
  }
  return out
}

export type ParentFacet = {
  run: { runId: string }
  job: { namespace: string; name: string }
  root?: { run: { runId: string }; job: { namespace: string; name: string } } | undefined
}

/** Dataset facets → a dataset: schema → columns, documentation, ownership, symlinks → aliases. */
export function datasetOf(ds: { namespace: string; name: string; facets?: OlDatasetFacets | null | undefined }): Dataset {
  const out: Dataset = { namespace: ds.namespace, name: ds.name }
  const f = ds.facets
  if (!f) return out
  const fields = f.schema?.fields
  if (fields) out.columns = flattenFields(fields).slice(0, 10000)
  const description = clip(f.documentation?.description)
  if (description) out.description = description
  const owner = f.ownership?.owners?.[0]?.name
  if (owner) out.owner = owner.slice(0, 512)
  const aliases = (f.symlinks?.identifiers ?? [])
    .filter((i) => i.namespace !== ds.namespace || i.name !== ds.name)
    .map((i) => ({ namespace: i.namespace, name: i.name }))
  if (aliases.length > 0) out.aliases = aliases.slice(0, 64)
  const lifecycle = f.lifecycleStateChange
  if (lifecycle) {
    out.meta = {
      lifecycleStateChange: lifecycle.lifecycleStateChange,
      ...(lifecycle.previousIdentifier
        ? { previousIdentifier: { namespace: lifecycle.previousIdentifier.namespace, name: lifecycle.previousIdentifier.name } }
        : {}),
    }
  }
  return out
}

function flattenFields(fields: SchemaField[], prefix = ''): Column[] {
  const out: Column[] = []
  for (const field of fields) {
    const name = `${prefix}${field.name}`
    const col: Column = { name }
    if (field.type) col.type = field.type.slice(0, 1024)
    const description = clip(field.description)
    if (description) col.description = description
    out.push(col)
    if (field.fields && field.fields.length > 0) out.push(...flattenFields(field.fields, `${name}.`))
  }
  return out
}

/** columnLineage facet → one edge per (output column, input field). */
export function columnEdgesOf(ds: Ref & { facets?: OlDatasetFacets | null | undefined }): ColumnEdge[] {
  const fields = ds.facets?.columnLineage?.fields
  if (!fields) return []
  const out: ColumnEdge[] = []
  for (const [column, lineage] of Object.entries(fields)) {
    if (column.length === 0) continue
    for (const input of lineage.inputFields) {
      const t = input.transformations?.[0]
      const transformation = t
        ? [t.type, t.subtype].filter(Boolean).join('/')
        : (lineage.transformationType ?? undefined)
      out.push({
        dataset: { namespace: ds.namespace, name: ds.name },
        column,
        from: { namespace: input.namespace, name: input.name },
        fromColumn: input.field,
        ...(transformation ? { transformation: transformation.slice(0, 1024) } : {}),
      })
    }
  }
  return out
}

type Observation = { observedAt: string; runId?: string | undefined }

/**
 * dataQualityAssertions (an input facet; dbt-ol also repeats it among the dataset facets) → one
 * assertion per test. A failed test of severity warn is a warning, as dbt reports it.
 */
export function assertionsOf(ds: OlInputDataset, obs: Observation): Assertion[] {
  const facet = ds.inputFacets?.dataQualityAssertions ?? ds.facets?.dataQualityAssertions
  if (!facet) return []
  const dataset = { namespace: ds.namespace, name: ds.name }
  return facet.assertions.map((a) => {
    const name = a.name || a.assertion || 'assertion'
    const warn = a.severity?.toLowerCase() === 'warn'
    const failures = a.actual !== null && a.actual !== undefined && /^\d+$/.test(a.actual) ? Number(a.actual) : undefined
    const out: Assertion = {
      key: `openlineage:${ds.namespace}:${ds.name}:${name}${a.column ? `:${a.column}` : ''}`.slice(0, 4096),
      dataset,
      name: name.slice(0, 4096),
      status: a.success ? 'pass' : warn ? 'warn' : 'fail',
      severity: warn ? 'warn' : 'error',
      observedAt: obs.observedAt,
      origin: 'openlineage',
    }
    if (a.column) out.column = a.column.slice(0, 1024)
    if (failures !== undefined && Number.isSafeInteger(failures)) out.failures = failures
    const message = clip(a.description) ?? (a.expected ? `expected ${a.expected}, got ${a.actual ?? '?'}` : undefined)
    if (message) out.message = message
    if (obs.runId) out.runId = obs.runId
    return out
  })
}

/** dataQualityMetrics / inputStatistics / outputStatistics → row_count and bytes metrics. */
export function metricsOf(ds: OlInputDataset | OlOutputDataset, obs: Observation): Metric[] {
  const dataset = { namespace: ds.namespace, name: ds.name }
  const values = new Map<string, number>()
  const put = (name: string, v: number | null | undefined) => {
    if (typeof v === 'number' && Number.isFinite(v)) values.set(name, v)
  }
  const dq = ds.facets?.dataQualityMetrics
  put('row_count', dq?.rowCount)
  put('bytes', dq?.bytes)
  if ('inputFacets' in ds && ds.inputFacets) {
    put('row_count', ds.inputFacets.inputStatistics?.rowCount)
    put('bytes', ds.inputFacets.inputStatistics?.size)
    put('row_count', ds.inputFacets.dataQualityMetrics?.rowCount)
    put('bytes', ds.inputFacets.dataQualityMetrics?.bytes)
  }
  if ('outputFacets' in ds && ds.outputFacets) {
    put('row_count', ds.outputFacets.outputStatistics?.rowCount)
    put('bytes', ds.outputFacets.outputStatistics?.size)
  }
  return [...values].map(([name, value]) => ({
    dataset,
    name,
    value,
    observedAt: obs.observedAt,
    ...(obs.runId ? { runId: obs.runId } : {}),
  }))
}
