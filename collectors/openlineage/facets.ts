import { airflowQueryJobName } from '../airflow/query-jobs.ts'
import { COLUMN_METRICS } from '../../common/vocab.ts'
import { tagList } from '../../common/tags.ts'
import { ALL_COLUMNS } from '../batch.ts'
import type { Assertion, Column, ColumnEdge, Dataset, Job, Metric, Ref } from '../batch.ts'
import type {
  OlDatasetFacets,
  OlInputDataset,
  OlJob,
  OlOutputDataset,
  SchemaField,
} from './schema.ts'

const MAX_TEXT = 65536
const clip = (s: string | null | undefined): string | undefined =>
  s ? (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s) : undefined

/** jobType facet (integration + jobType) → our job type; anything unrecognized is a plain 'job'. */
const JOB_TYPES: Record<string, string> = {
  'AIRFLOW/DAG': 'airflow_dag',
  'AIRFLOW/TASK': 'airflow_task',
  'AIRFLOW/QUERY': 'airflow_query',
  'DBT/MODEL': 'dbt_model',
  'DBT/SNAPSHOT': 'dbt_snapshot',
  'DBT/SEED': 'dbt_seed',
  'DBT/TEST': 'dbt_test',
  'DBT/JOB': 'dbt_project',
  'DBT/SQL': 'dbt_sql',
}

export function jobTypeOf(job: OlJob): string {
  const f = job.facets?.jobType
  if (!f) return 'job'
  const type = JOB_TYPES[`${f.integration.toUpperCase()}/${(f.jobType ?? '').toUpperCase()}`]
  if (type) return type
  // dbt-ol gives a dbt 1.11 function (UDF) no jobType; its unique id names the resource type
  if (f.integration.toUpperCase() === 'DBT' && /^function\.[^.]+\.[^.]+$/.test(job.name))
    return 'dbt_function'
  return 'job'
}

/**
 * dbt-ol names a node's job `db.schema.pkg.model`, with `.build.run` / `.build.snapshot` /
 * `.build.test` appended under `dbt build`; we keep the `dbt run` form so both commands (and the
 * dbt collector) name one job. Airflow's SQL hook-lineage queries keep one name across provider
 * versions (collectors/airflow/query-jobs.ts). With `--consume-structured-logs` dbt-ol names a node's job by its
 * unique id (`model.pkg.model`, `snapshot.pkg.name`, `seed.pkg.name`), and each SQL statement a
 * sub-job `<unique id>.sql.<n>`: the node's job takes the same `db.schema.…` name, its database and
 * schema from the dbt_node job facet or the node's output dataset. A statement sub-job, which
 * names neither, keeps its unique-id name, and the store gives it the node job's name
 * (storeDerived, by the job's external id, the unique id).
 */
export function canonicalJobName(job: OlJob, outputs?: readonly { name: string }[] | null): string {
  if (jobTypeOf(job) === 'airflow_query') return airflowQueryJobName(job.name)
  const dbt = job.facets?.jobType?.integration.toUpperCase() === 'DBT'
  if (!dbt) return job.name
  if (job.name.includes('.build.'))
    return job.name.replace(/\.build\.run$/, '').replace(/\.build\.(snapshot|test)$/, '.$1')
  const node = DBT_UNIQUE_ID.exec(job.name)
  if (!node) return job.name
  const prefix = dbtNodePrefix(job, outputs)
  if (prefix === undefined) return job.name
  const [, kind, rest] = node
  if (kind === 'model') return `${prefix}.${rest}`
  if (kind === 'snapshot') return `${prefix}.${rest}.snapshot`
  return `${prefix}.${job.name}`
}

/**
 * A dbt node's unique id (`model.pkg.name`, `model.pkg.name.v2`, a dbt 1.11 `function.pkg.name`),
 * not one of its statements.
 */
const DBT_UNIQUE_ID = /^(model|snapshot|seed|function)\.([^.]+\.[^.]+(?:\.v\d+)?)$/

/** `db.schema` of a dbt node's job: from the dbt_node job facet, else its output dataset's name. */
function dbtNodePrefix(
  job: OlJob,
  outputs: readonly { name: string }[] | null | undefined,
): string | undefined {
  const node = job.facets?.['dbt_node'] as
    { database?: unknown; schema?: unknown } | null | undefined
  const parts = [node?.database, node?.schema].filter(
    (p): p is string => typeof p === 'string' && p !== '',
  )
  if (parts.length > 0) return parts.join('.')
  const out = outputs?.[0]?.name
  if (!out || !out.includes('.')) return undefined
  return out.slice(0, out.lastIndexOf('.'))
}

/** The dbt unique id a structured-log job is named by, for the store to match the node's job. */
export function dbtUniqueIdOf(job: OlJob): string | undefined {
  return job.facets?.jobType?.integration.toUpperCase() === 'DBT' && DBT_UNIQUE_ID.test(job.name)
    ? job.name
    : undefined
}

/** The job, its parent (from the `parent` run facet) and the root job when it differs. */
export function jobsOf(
  job: OlJob,
  parent: ParentFacet | undefined,
  outputs?: readonly { name: string }[] | null,
): Job[] {
  const type = jobTypeOf(job)
  const self: Job = { namespace: job.namespace, name: canonicalJobName(job, outputs), type }
  const uniqueId = dbtUniqueIdOf(job)
  if (uniqueId) self.externalId = uniqueId
  const description = clip(job.facets?.documentation?.description)
  if (description) self.description = description
  const owner = job.facets?.ownership?.owners?.[0]?.name
  if (owner) self.owner = owner
  const jt = job.facets?.jobType
  if (jt) {
    self.meta = {
      openlineage: {
        integration: jt.integration,
        jobType: jt.jobType ?? null,
        processingType: jt.processingType,
      },
    }
  }
  const tags = tagList(job.facets?.tags?.tags)
  if (tags) self.meta = { ...self.meta, tags }
  if (!parent) return [self]
  const { namespace, name } = parent.job
  self.parent = { namespace, name }
  // Airflow's tasks sit under their DAG; dbt-ol's nodes under the dbt invocation's job.
  // An Airflow SQL hook-lineage query sits under its task. A dbt structured-log statement
  // (dbt_sql) sits under its node's job, whose type the node's own events give.
  const parentType =
    type === 'airflow_task'
      ? 'airflow_dag'
      : type === 'airflow_query'
        ? 'airflow_task'
        : type === 'dbt_sql'
          ? 'job'
          : type.startsWith('dbt_')
            ? 'dbt_project'
            : 'job'
  const out: Job[] = [self, { namespace, name, type: parentType }]
  const root = parent.root?.job
  if (root && (root.namespace !== namespace || root.name !== name)) {
    const rootRef = { namespace: root.namespace, name: root.name }
    if (self.meta) self.meta.root = rootRef
    else self.meta = { root: rootRef }
    out.push({ namespace: root.namespace, name: root.name, type: 'job' })
  }
  return out
}

export type ParentFacet = {
  run: { runId: string }
  job: { namespace: string; name: string }
  root?: { run: { runId: string }; job: { namespace: string; name: string } } | undefined
}

/** Dataset facets → a dataset: schema → columns, documentation, ownership, symlinks → aliases. */
export function datasetOf(ds: {
  namespace: string
  name: string
  facets?: OlDatasetFacets | null | undefined
}): Dataset {
  const out: Dataset = { namespace: ds.namespace, name: ds.name }
  const f = ds.facets
  if (!f) return out
  const fields = f.schema?.fields
  if (fields) out.columns = firstN(flattenFields([], fields, ''), 10000)
  const description = clip(f.documentation?.description)
  if (description) out.description = description
  const owner = f.ownership?.owners?.[0]?.name
  if (owner) out.owner = owner.slice(0, 512)
  const identifiers = f.symlinks?.identifiers
  if (identifiers) {
    const aliases: Ref[] = []
    for (const { namespace, name } of identifiers) {
      if (namespace !== ds.namespace || name !== ds.name) aliases.push({ namespace, name })
    }
    if (aliases.length > 0) out.aliases = firstN(aliases, 64)
  }
  const lifecycle = f.lifecycleStateChange
  if (lifecycle) {
    const meta: Record<string, unknown> = { lifecycleStateChange: lifecycle.lifecycleStateChange }
    const previous = lifecycle.previousIdentifier
    if (previous) meta.previousIdentifier = { namespace: previous.namespace, name: previous.name }
    out.meta = meta
  }
  const tags = tagList(f.tags?.tags?.filter((t) => !t.field))
  if (tags) out.tags = tags
  const type = f.datasetType
  if (type) {
    out.kind = type.datasetType.toLowerCase().slice(0, 64)
    addMeta(out, 'datasetType', { datasetType: type.datasetType, subType: type.subType ?? null })
  }
  const catalog = f.catalog
  if (catalog) {
    const { framework, type: catalogType, name, metadataUri, warehouseUri, source } = catalog
    addMeta(
      out,
      'catalog',
      dropEmpty({ framework, type: catalogType, name, metadataUri, warehouseUri, source }),
    )
  }
  const hierarchy = f.hierarchy?.hierarchy
  if (hierarchy)
    addMeta(
      out,
      'hierarchy',
      hierarchy.slice(0, 16).map(({ type: t, name }) => ({ type: t, name })),
    )
  return out
}

export function addMeta(ds: Dataset, key: string, value: unknown): void {
  ds.meta = { ...ds.meta, [key]: value }
}

export function dropEmpty(o: Record<string, string | null | undefined>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(o)) if (v) out[k] = v
  return out
}

const firstN = <T>(list: T[], n: number): T[] => (list.length > n ? list.slice(0, n) : list)

/** Appends the columns of `fields` to `out`, nested ones after their parent as `parent.child`. */
function flattenFields(out: Column[], fields: SchemaField[], prefix: string): Column[] {
  for (const field of fields) {
    const name = `${prefix}${field.name}`
    const col: Column = { name }
    if (field.type) col.type = field.type.slice(0, 1024)
    const description = clip(field.description)
    if (description) col.description = description
    out.push(col)
    if (field.fields && field.fields.length > 0) flattenFields(out, field.fields, `${name}.`)
  }
  return out
}

const NO_COLUMN_EDGES: readonly ColumnEdge[] = []

type InputField = NonNullable<NonNullable<OlDatasetFacets['columnLineage']>['dataset']>[number]

// The stronger use first (DIRECT before INDIRECT, then the spec's subtypes in this order): a column
// read several ways keeps one edge, as the store keys edges without their transformation.
const SUBTYPES = [
  'IDENTITY',
  'TRANSFORMATION',
  'AGGREGATION',
  'JOIN',
  'GROUP_BY',
  'FILTER',
  'WINDOW',
]
const strength = (t: string | undefined): number => {
  if (!t) return 1000
  const [type, subtype] = t.split('/')
  const k = SUBTYPES.indexOf(subtype ?? '')
  return (type === 'DIRECT' ? 0 : 100) + (k < 0 ? SUBTYPES.length : k)
}

/** The strongest of an input field's transformations, as `TYPE/SUBTYPE`. */
function transformationOf(input: InputField, fallback: string | null | undefined) {
  let best: string | undefined
  for (const t of input.transformations ?? []) {
    const s = t.type && t.subtype ? `${t.type}/${t.subtype}` : t.type || t.subtype || ''
    if (s && (best === undefined || strength(s) < strength(best))) best = s
  }
  return best ?? (fallback || undefined)
}

/**
 * columnLineage facet → one edge per (output column, input field). Its `dataset` list (fields that
 * shape the whole dataset: filters, joins, groupings, sorts; spec 1-2-0) is one dataset-wide edge
 * per input (column `*`, batch.ts ALL_COLUMNS), as meshwatch's own dbt column lineage records a
 * join or filter column; readers expand it to every output column (db/queries/column-lineage.ts
 * expandDatasetWide). A facet with no `fields` gives no columns to expand to: its `dataset` list
 * is then an edge to each column of the dataset's schema.
 * https://openlineage.io/docs/spec/facets/dataset-facets/column_lineage_facet
 */
export function columnEdgesOf(
  ds: Ref & { facets?: OlDatasetFacets | null | undefined },
): readonly ColumnEdge[] {
  const facet = ds.facets?.columnLineage
  if (!facet) return NO_COLUMN_EDGES
  const out: ColumnEdge[] = []
  const at = new Map<string, ColumnEdge>()
  const add = (column: string, input: InputField, transformation: string | undefined) => {
    const key = JSON.stringify([column, input.namespace, input.name, input.field])
    const prev = at.get(key)
    if (prev) {
      if (strength(transformation) < strength(prev.transformation)) {
        if (transformation) prev.transformation = transformation.slice(0, 1024)
      }
      return
    }
    const edge: ColumnEdge = {
      dataset: { namespace: ds.namespace, name: ds.name },
      column,
      from: { namespace: input.namespace, name: input.name },
      fromColumn: input.field,
    }
    if (transformation) edge.transformation = transformation.slice(0, 1024)
    at.set(key, edge)
    out.push(edge)
  }
  const columns = Object.keys(facet.fields).filter((c) => c.length > 0)
  for (const column of columns) {
    const lineage = facet.fields[column]!
    for (const input of lineage.inputFields)
      add(column, input, transformationOf(input, lineage.transformationType))
  }
  if (facet.dataset?.length) {
    const targets = columns.length > 0 ? [ALL_COLUMNS] : topLevelColumns(ds.facets?.schema?.fields)
    for (const input of facet.dataset) {
      const t = transformationOf(input, 'INDIRECT')
      for (const column of targets) add(column, input, t)
    }
  }
  return out
}

const topLevelColumns = (fields: readonly SchemaField[] | null | undefined): string[] =>
  (fields ?? []).map((f) => f.name).filter((n) => n.length > 0)

/** A test's severity `warn` (dbt, the spec's examples) or `WARNING` (the Airflow provider's). */
export const isWarnSeverity = (severity: string | null | undefined): boolean =>
  severity?.toLowerCase() === 'warn' || severity?.toLowerCase() === 'warning'

type Observation = {
  observedAt: string
  runId?: string | undefined
  /** the test job was aborted: dbt skipped the test (dbt-ol --consume-structured-logs) */
  skipped?: boolean
}

/**
 * dataQualityAssertions (an input facet; dbt-ol also repeats it among the dataset facets) → one
 * assertion per test. A failed test of severity warn is a warning, as dbt reports it. Without it,
 * Great Expectations' greatExpectations_assertions input facet gives one per expectation (named by
 * its expectation type, keyed by column; a second of the same type and column gets `#2`).
 */
export function pushAssertions(
  out: Assertion[],
  ds: OlInputDataset | OlOutputDataset,
  obs: Observation,
): void {
  const input = 'inputFacets' in ds ? ds : undefined
  const facet = input?.inputFacets?.dataQualityAssertions ?? ds.facets?.dataQualityAssertions
  if (!facet) {
    if (input) pushGreatExpectations(out, input, obs)
    return
  }
  const dataset = { namespace: ds.namespace, name: ds.name }
  for (const a of facet.assertions) {
    const name = a.name || a.assertion || 'assertion'
    const warn = isWarnSeverity(a.severity)
    const failures =
      a.actual !== null && a.actual !== undefined && /^\d+$/.test(a.actual)
        ? Number(a.actual)
        : undefined
    const assertion: Assertion = {
      key: `openlineage:${ds.namespace}:${ds.name}:${name}${a.column ? `:${a.column}` : ''}`.slice(
        0,
        4096,
      ),
      dataset,
      name: name.slice(0, 4096),
      status: obs.skipped && !a.success ? 'skipped' : a.success ? 'pass' : warn ? 'warn' : 'fail',
      severity: warn ? 'warn' : 'error',
      observedAt: obs.observedAt,
      origin: 'openlineage',
    }
    if (a.column) assertion.column = a.column.slice(0, 1024)
    if (failures !== undefined && Number.isSafeInteger(failures)) assertion.failures = failures
    const message =
      clip(a.description) ??
      (a.expected ? `expected ${a.expected}, got ${a.actual ?? '?'}` : undefined)
    if (message) assertion.message = message
    if (obs.runId) assertion.runId = obs.runId
    out.push(assertion)
  }
}

function pushGreatExpectations(out: Assertion[], ds: OlInputDataset, obs: Observation): void {
  const facet = ds.inputFacets?.greatExpectations_assertions
  if (!facet) return
  const dataset = { namespace: ds.namespace, name: ds.name }
  const seen = new Map<string, number>()
  for (const a of facet.assertions) {
    const name = a.expectationType.slice(0, 4000) || 'expectation'
    const id = `${name}${a.column ? `:${a.column}` : ''}`
    const n = (seen.get(id) ?? 0) + 1
    seen.set(id, n)
    const assertion: Assertion = {
      key: `openlineage:${ds.namespace}:${ds.name}:${id}${n > 1 ? `#${n}` : ''}`.slice(0, 4096),
      dataset,
      name,
      status: a.success ? 'pass' : 'fail',
      severity: 'error',
      observedAt: obs.observedAt,
      origin: 'openlineage',
    }
    if (a.column) assertion.column = a.column.slice(0, 1024)
    if (obs.runId) assertion.runId = obs.runId
    out.push(assertion)
  }
}

/**
 * dataQualityMetrics / inputStatistics / outputStatistics → row_count and bytes metrics, appended
 * to `out`, then each column's null count and minimum as `column_nulls:<column>` and
 * `column_min:<column>` (a contract's nullValues and, for a date or time column's oldest value,
 * its `retention` are checked against them). A later facet
 * overrides an earlier one; the metric seen first is listed first.
 */
export function pushMetrics(
  out: Metric[],
  ds: OlInputDataset | OlOutputDataset,
  obs: Observation,
): void {
  const dq = ds.facets?.dataQualityMetrics
  const input = 'inputFacets' in ds ? ds.inputFacets : undefined
  const stats = input?.inputStatistics
  const inputDq = input?.dataQualityMetrics
  const output = 'outputFacets' in ds ? ds.outputFacets?.outputStatistics : undefined
  if (!dq && !stats && !inputDq && !output) return
  const rows = lastFinite(dq?.rowCount, stats?.rowCount, inputDq?.rowCount, output?.rowCount)
  const bytes = lastFinite(dq?.bytes, stats?.size, inputDq?.bytes, output?.size)
  const dataset = { namespace: ds.namespace, name: ds.name }
  // Facet k's rowCount is read before its bytes/size.
  const bytesFirst =
    firstFinite(dq?.bytes, stats?.size, inputDq?.bytes, output?.size) <
    firstFinite(dq?.rowCount, stats?.rowCount, inputDq?.rowCount, output?.rowCount)
  if (bytes !== undefined && bytesFirst) out.push(metric(dataset, 'bytes', bytes, obs))
  if (rows !== undefined) out.push(metric(dataset, 'row_count', rows, obs))
  if (bytes !== undefined && !bytesFirst) out.push(metric(dataset, 'bytes', bytes, obs))
  const byName = new Map<string, number>()
  for (const cm of [dq?.columnMetrics, inputDq?.columnMetrics])
    for (const [column, m] of Object.entries(cm ?? {})) {
      if (typeof m.nullCount === 'number')
        byName.set(`${COLUMN_METRICS.nullCount}${column}`, m.nullCount)
      if (typeof m.min === 'number' && Number.isFinite(m.min))
        byName.set(`${COLUMN_METRICS.min}${column}`, m.min)
    }
  for (const [name, value] of byName)
    if (name.length <= 128) out.push(metric(dataset, name, value, obs))
}

type Count = number | null | undefined
const counts = (v: Count): v is number => typeof v === 'number' && Number.isFinite(v)

/** The last of the four that is a number. */
function lastFinite(a: Count, b: Count, c: Count, d: Count): number | undefined {
  return counts(d) ? d : counts(c) ? c : counts(b) ? b : counts(a) ? a : undefined
}

/** The position of the first of the four that is a number, 4 if none. */
function firstFinite(a: Count, b: Count, c: Count, d: Count): number {
  return counts(a) ? 0 : counts(b) ? 1 : counts(c) ? 2 : counts(d) ? 3 : 4
}

function metric(dataset: Ref, name: string, value: number, obs: Observation): Metric {
  const m: Metric = { dataset, name, value, observedAt: obs.observedAt }
  if (obs.runId) m.runId = obs.runId
  return m
}
