import type { z } from 'zod'
import { formatIssue, formatPath } from '../../common/format.ts'
import {
  emptyBatch,
  type Batch,
  type ColumnEdge,
  type Ref,
  type Run,
  type RunState,
} from '../batch.ts'
import { passThroughCtes, resolveCteColumn } from './cte.ts'
import { specFacetKeys } from './facet-keys.ts'
import { columnEdgesOf, datasetOf, jobsOf, pushAssertions, pushMetrics } from './facets.ts'
import {
  DatasetEventSchema,
  EVENT_TYPES,
  fastEventSchema,
  JobEventSchema,
  RunEventSchema,
  type DatasetEvent,
  type EventKind,
  type JobEvent,
  type OlEvent,
  type OlInputDataset,
  type OlOutputDataset,
  type RunEvent,
  stopsAtFastDepth,
} from './schema.ts'
import {
  applyDbtModel,
  applyJobDependencies,
  applyLineageFacet,
  pushTestResults,
} from './run-facets.ts'
import { normalizeOlTime } from './time.ts'
import { own, ownMap } from '../own.ts'

export const OL_SCOPE = 'openlineage'

/** Something of an accepted event that could not be read: its JSON path and what was done. */
export interface OlWarning {
  path: string
  message: string
}

export type ParseResult =
  | ({ ok: true; batch: Batch; eventTime: string; warnings: OlWarning[] } & OlEvent)
  | { ok: false; path: string; reason: string }

const SCHEMAS = {
  RunEvent: RunEventSchema,
  JobEvent: JobEventSchema,
  DatasetEvent: DatasetEventSchema,
}

/** At most this many rounds of dropping unreadable facets before the event is refused. */
const MAX_DROP_ROUNDS = 4

/**
 * One OpenLineage event (RunEvent, JobEvent or DatasetEvent, told apart by shape and schemaURL)
 * → the normalized batch it implies. Never throws: an event missing what Marquez requires
 * (eventTime, producer, run.runId, job.namespace/name, a dataset's namespace/name) names the
 * JSON path and why. A facet that does not match its schema is dropped, with a warning naming
 * its path, and the rest of the event is kept.
 */
export function parseEvent(raw: unknown): ParseResult {
  const kind = kindOf(raw)
  if (typeof kind !== 'string') return { ok: false, ...kind }
  const warnings: OlWarning[] = []
  const keyed = specFacetKeys(raw)
  for (const m of keyed.moves)
    warnings.push({
      path: `${m.path}.${m.from}`,
      message: `read facet ${m.from} as ${m.to}, the spec's name for the facet its _schemaURL names`,
    })
  let input = keyed.event
  let parsed = schemaParse(kind, input)
  for (let round = 0; !parsed.success; round++) {
    const facets = unreadableFacets(parsed.error)
    if (facets === undefined || round === MAX_DROP_ROUNDS)
      return { ok: false, ...describe(parsed.error, kind) }
    for (const { at, issue } of facets) {
      input = without(input, at)
      warnings.push({
        path: formatPath(at),
        message: `dropped ${facetName(at)}: ${formatIssue(issue)}`,
      })
    }
    parsed = schemaParse(kind, input)
  }
  // eventTime passed the schema's refine, so it normalizes.
  const eventTime = normalizeOlTime(parsed.data.eventTime) ?? parsed.data.eventTime
  switch (kind) {
    case 'RunEvent': {
      const event = parsed.data as RunEvent
      event.eventType = eventTypeOf(event.eventType, warnings)
      return {
        ok: true,
        kind,
        event,
        eventTime,
        warnings,
        batch: runEventBatch(event, eventTime, warnings),
      }
    }
    case 'JobEvent': {
      const event = parsed.data as JobEvent
      return {
        ok: true,
        kind,
        event,
        eventTime,
        warnings,
        batch: jobEventBatch(event, eventTime, warnings),
      }
    }
    case 'DatasetEvent': {
      const event = parsed.data as DatasetEvent
      return {
        ok: true,
        kind,
        event,
        eventTime,
        warnings,
        batch: datasetEventBatch(event, eventTime, warnings),
      }
    }
  }
}

function schemaParse(kind: EventKind, raw: unknown) {
  const fast = fastEventSchema(kind).safeParse(raw)
  return fast.success || !stopsAtFastDepth(fast.error) ? fast : SCHEMAS[kind].safeParse(raw)
}

/** eventType in any case → one of EVENT_TYPES; anything else is OTHER, with a warning. */
function eventTypeOf(type: string | null | undefined, warnings: OlWarning[]): RunState | undefined {
  if (type === null || type === undefined) return undefined
  const upper = type.toUpperCase()
  if ((EVENT_TYPES as readonly string[]).includes(upper)) return upper as RunState
  warnings.push({
    path: '$.eventType',
    message: `unknown eventType ${JSON.stringify(type.slice(0, 64))}: read as OTHER (expected ${EVENT_TYPES.join(', ')})`,
  })
  return 'OTHER'
}

const FACET_MAPS = new Set<PropertyKey>(['facets', 'inputFacets', 'outputFacets'])

/**
 * The facets the issues lie in (the path up to the facet's name, or the facets map itself when
 * it is not an object), or undefined if any issue lies outside a facet: then the event is refused.
 */
function unreadableFacets(
  error: z.ZodError,
): { at: PropertyKey[]; issue: z.core.$ZodIssue }[] | undefined {
  const out = new Map<string, { at: PropertyKey[]; issue: z.core.$ZodIssue }>()
  for (const issue of error.issues) {
    const i = issue.path.findIndex((p) => FACET_MAPS.has(p))
    if (i < 0) return undefined
    const at = issue.path.slice(0, Math.min(i + 2, issue.path.length))
    const key = formatPath(at)
    if (!out.has(key)) out.set(key, { at, issue })
  }
  return out.size === 0 ? undefined : [...out.values()]
}

/** A copy of `value` without what `path` names; only the objects along the path are copied. */
function without(value: unknown, path: readonly PropertyKey[]): unknown {
  const [head, ...rest] = path
  if (head === undefined) return undefined
  if (Array.isArray(value) && typeof head === 'number') {
    const copy = value.slice()
    copy[head] = without(copy[head], rest)
    return copy
  }
  if (!isObject(value) || typeof head !== 'string') return value
  const copy: Record<string, unknown> = { ...value }
  if (rest.length === 0) delete copy[head]
  else copy[head] = without(copy[head], rest)
  return copy
}

function facetName(at: readonly PropertyKey[]): string {
  const key = at.at(-1)
  if (typeof key !== 'string' || FACET_MAPS.has(key)) return 'facets'
  const name = own(FACET_NAMES, key)
  return name ? `facet ${key} (${name})` : `facet ${key}`
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function kindOf(raw: unknown): EventKind | { path: string; reason: string } {
  if (!isObject(raw)) {
    return {
      path: '$',
      reason: 'expected a JSON object: an OpenLineage RunEvent, JobEvent or DatasetEvent',
    }
  }
  if ('run' in raw) return 'RunEvent'
  if ('dataset' in raw && !('job' in raw)) return 'DatasetEvent'
  const url = typeof raw.schemaURL === 'string' ? raw.schemaURL : ''
  const named = /\/(RunEvent|JobEvent|DatasetEvent)$/.exec(url)?.[1] as EventKind | undefined
  if ('job' in raw) return named === 'RunEvent' ? 'RunEvent' : 'JobEvent'
  if (named) return named
  return {
    path: '$',
    reason:
      'not an OpenLineage event: expected run and job (RunEvent), job (JobEvent) or dataset (DatasetEvent)',
  }
}

const FACET_NAMES: Record<string, string> = {
  parent: 'ParentRunFacet',
  nominalTime: 'NominalTimeRunFacet',
  errorMessage: 'ErrorMessageRunFacet',
  'spark.exception': 'Spark exception facet',
  jobType: 'JobTypeJobFacet',
  ownership: 'OwnershipFacet',
  schema: 'SchemaDatasetFacet',
  symlinks: 'SymlinksDatasetFacet',
  columnLineage: 'ColumnLineageDatasetFacet',
  dataQualityAssertions: 'DataQualityAssertionsDatasetFacet',
  dataQualityMetrics: 'DataQualityMetricsInputDatasetFacet',
  outputStatistics: 'OutputStatisticsOutputDatasetFacet',
  lifecycleStateChange: 'LifecycleStateChangeDatasetFacet',
}

function describe(error: z.ZodError, kind: EventKind): { path: string; reason: string } {
  // The first issue outside a facet: one inside would have been dropped.
  const first = error.issues.find((i) => !i.path.some((p) => FACET_MAPS.has(p))) ?? error.issues[0]
  if (!first) return { path: '$', reason: `invalid ${kind}` }
  const path = formatPath(first.path)
  const facetAt = first.path.findIndex(
    (p) => p === 'facets' || p === 'inputFacets' || p === 'outputFacets',
  )
  const facetKey = facetAt >= 0 ? first.path[facetAt + 1] : undefined
  const facet = typeof facetKey === 'string' ? own(FACET_NAMES, facetKey) : undefined
  return { path, reason: `invalid ${kind}: ${formatIssue(first)}${facet ? ` (${facet})` : ''}` }
}

const DATE_ONLY = { dateOnly: true }

function runEventBatch(e: RunEvent, eventTime: string, warnings: OlWarning[]): Batch {
  const batch = emptyBatch('openlineage', OL_SCOPE)
  batch.producedAt = eventTime
  const facets = e.run.facets
  const parent = facets?.parent ?? facets?.parentRun ?? undefined
  const jobs = jobsOf(e.job, parent, e.outputs)
  const [self] = jobs
  if (!self) return batch
  for (const job of jobs) batch.jobs.push(job)
  const jobRef = { namespace: self.namespace, name: self.name }
  const runId = e.run.runId
  // parseEvent mapped eventType onto EVENT_TYPES.
  const state = (e.eventType ?? 'OTHER') as RunState
  const run: Run = { runId, job: jobRef, state }
  const started = state === 'START' || state === 'RUNNING'
  if (started) run.startedAt = eventTime
  if (state === 'COMPLETE' || state === 'FAIL' || state === 'ABORT') run.endedAt = eventTime
  const nominal = facets?.nominalTime?.nominalStartTime
  if (nominal) run.nominalTime = normalizeOlTime(nominal, DATE_ONLY)
  const error = facets?.errorMessage?.message ?? facets?.['spark.exception']?.message
  if (error) run.error = error.slice(0, 65536)
  // A parent facet naming the run itself (DataHub's Spark map-partitions sample) links the job to
  // its parent job, not the run to itself: a run is never its own parent.
  if (parent && parent.run.runId !== runId) run.parentRunId = parent.run.runId
  else if (parent)
    warnings.push({
      path: '$.run.facets.parent.run.runId',
      message: `the parent run is this run (${runId.slice(0, 64)}): not recorded as its own parent; the parent job is kept`,
    })
  const outputs = e.outputs ?? []
  const rows = rowsAffected(outputs)
  if (rows !== undefined) run.rowsAffected = rows
  if (facets) run.facets = dropNulls(facets)
  batch.runs.push(run)
  // A test result is known once the run has run: dbt-ol repeats the assertions on START, before
  // the test ran; a RUNNING event (the Airflow provider's task events) reports what was checked.
  const results = state !== 'START'
  const isTest = isTestJob(e.job)
  // dbt-ol --consume-structured-logs ends a test dbt skipped with ABORT (its assertion success:
  // false, though it never ran): a skipped test, not a failed one
  const obs =
    isTest && state === 'ABORT'
      ? { observedAt: eventTime, runId, skipped: true }
      : { observedAt: eventTime, runId }
  addDatasets(
    batch,
    jobRef,
    isTest || hasLineageFacet(e.job),
    e.inputs ?? [],
    outputs,
    obs,
    warnings,
    e.job.facets?.sql?.query,
    results,
  )
  applyLineageFacet(batch, isTest ? undefined : jobRef, self, e, warnings)
  if (results) pushTestResults(batch, e, obs, warnings)
  applyDbtModel(batch, e, self.name, warnings)
  applyJobDependencies(batch, e, self)
  return batch
}

/** A job LineageFacet gives the edges explicitly, instead of every input × every output. */
const hasLineageFacet = (job: RunEvent['job']): boolean =>
  (job.facets?.lineage?.entries?.length ?? 0) > 0

/** The outputs' rowCounts summed (negative ones as 0), if any output has one. */
function rowsAffected(outputs: OlOutputDataset[]): number | undefined {
  let sum: number | undefined
  for (const o of outputs) {
    const r = o.outputFacets?.outputStatistics?.rowCount
    if (typeof r === 'number') sum = (sum ?? 0) + (r > 0 ? r : 0)
  }
  return sum
}

function jobEventBatch(e: JobEvent, eventTime: string, warnings: OlWarning[]): Batch {
  const batch = emptyBatch('openlineage', OL_SCOPE)
  batch.producedAt = eventTime
  const jobs = jobsOf(e.job, undefined, e.outputs)
  batch.jobs.push(...jobs)
  const self = jobs[0]
  if (!self) return batch
  const jobRef = { namespace: self.namespace, name: self.name }
  const isTest = isTestJob(e.job)
  addDatasets(
    batch,
    jobRef,
    isTest || hasLineageFacet(e.job),
    e.inputs ?? [],
    e.outputs ?? [],
    { observedAt: eventTime },
    warnings,
    e.job.facets?.sql?.query,
  )
  applyLineageFacet(batch, isTest ? undefined : jobRef, self, e, warnings)
  return batch
}

function datasetEventBatch(e: DatasetEvent, eventTime: string, warnings: OlWarning[]): Batch {
  const batch = emptyBatch('openlineage', OL_SCOPE)
  batch.producedAt = eventTime
  batch.datasets.push(datasetOf(e.dataset))
  batch.columnEdges.push(...columnEdgesOf(e.dataset))
  const obs = { observedAt: eventTime }
  pushAssertions(batch.assertions, e.dataset, obs)
  pushMetrics(batch.metrics, e.dataset, obs)
  applyLineageFacet(batch, undefined, undefined, { outputs: [e.dataset] }, warnings)
  return batch
}

function addDatasets(
  batch: Batch,
  job: { namespace: string; name: string },
  isTest: boolean,
  inputs: OlInputDataset[],
  outputs: OlOutputDataset[],
  obs: { observedAt: string; runId?: string; skipped?: boolean },
  warnings: OlWarning[],
  sql: string | undefined,
  results = true,
): void {
  // A test job observes its inputs; it is quality, not lineage (dbt-ol's `.test` jobs).
  const edgeJob = isTest ? undefined : job
  for (const ds of inputs) {
    addDataset(batch, ds, 'input', edgeJob, obs)
    if (results) pushAssertions(batch.assertions, ds, obs)
  }
  outputs.forEach((ds, i) => {
    // A dbt test job's output is the audit table dbt-ol names for --store-failures, which dbt
    // writes only with that flag: not a dataset the test observed.
    if (isTest && ds.facets?.dbt_model) {
      warnings.push({
        path: `$.outputs[${i}]`,
        message: `${ds.namespace} ${ds.name}: the store-failures audit table of a dbt test (written only with --store-failures): not recorded as a dataset`,
      })
      return
    }
    addDataset(batch, ds, 'output', edgeJob, obs)
    // The spec makes dataQualityAssertions an input facet; a task that checks what it wrote puts
    // it on the output's facets (the Airflow provider's manual-lineage example).
    if (results && ds.facets?.dataQualityAssertions) pushAssertions(batch.assertions, ds, obs)
  })
  addColumnEdges(batch, inputs, outputs, warnings, sql)
}

function addDataset(
  batch: Batch,
  ds: OlInputDataset | OlOutputDataset,
  direction: 'input' | 'output',
  job: { namespace: string; name: string } | undefined,
  obs: { observedAt: string; runId?: string },
): void {
  batch.datasets.push(datasetOf(ds))
  if (job) batch.edges.push({ job, dataset: { namespace: ds.namespace, name: ds.name }, direction })
  pushMetrics(batch.metrics, ds, obs)
}

/**
 * Column lineage from a dataset that is not among the event's inputs or outputs is kept (the
 * dataset recorded as seen) with a warning: a producer may list fewer inputs than the columns it
 * read. A bare name where the event's other datasets of that namespace are qualified
 * (`db.schema.table`) is not a table but a CTE or alias (dbt-ol's SQL parser names them): when the
 * job's SQL shows the CTE selecting from one of the event's inputs, the edge is kept as read from
 * that input (its column followed through the CTE), with a warning saying so; otherwise its edges
 * would invent a node, so they are left out, with a warning naming them.
 */
function addColumnEdges(
  batch: Batch,
  inputs: OlInputDataset[],
  outputs: OlOutputDataset[],
  warnings: OlWarning[],
  sql: string | undefined,
): void {
  let known: Set<string> | undefined
  let qualified: Set<string> | undefined
  let folded: Map<string, Ref> | undefined
  const respelled = new Set<string>()
  let ctes: ReturnType<typeof passThroughCtes> | undefined
  for (const [side, list] of [
    ['inputs', inputs],
    ['outputs', outputs],
  ] as const) {
    list.forEach((ds, index) => {
      const edges = columnEdgesOf(ds)
      if (edges.length === 0) return
      known ??= new Set([...inputs, ...outputs].map(datasetKey))
      qualified ??= new Set(
        [...inputs, ...outputs].filter((d) => d.name.includes('.')).map((d) => d.namespace),
      )
      type Unknown = { from: Ref; kept: boolean; columns: Set<string>; via: Set<string> }
      const unknown = new Map<string, Unknown>()
      for (const c of edges) {
        const key = datasetKey(c.from)
        if (known.has(key)) {
          batch.columnEdges.push(c)
          continue
        }
        // Spark lower-cases the tables of its column lineage (a JDBC input DataHub.Aspect_V2 is
        // datahub.aspect_v2 there): the one input spelled alike but for case is that input.
        folded ??= foldedNames([...inputs, ...outputs])
        const same = folded.get(datasetKey(c.from).toLowerCase())
        if (same) {
          batch.columnEdges.push({ ...c, from: same })
          if (!respelled.has(key)) {
            respelled.add(key)
            warnings.push({
              path: `$.${side}[${index}].facets.columnLineage`,
              message: `column lineage reads ${c.from.name}, which differs from the event's dataset ${same.name} only in case: taken as ${same.name}`,
            })
          }
          continue
        }
        let u = unknown.get(key)
        if (!u) {
          const kept = c.from.name.includes('.') || !qualified.has(c.from.namespace)
          u = { from: c.from, kept, columns: new Set(), via: new Set() }
          unknown.set(key, u)
          if (kept) batch.datasets.push({ namespace: c.from.namespace, name: c.from.name })
        }
        if (u.kept) {
          u.columns.add(c.column)
          batch.columnEdges.push(c)
          continue
        }
        ctes ??= sql ? passThroughCtes(sql) : new Map()
        const hit = resolveCteColumn(ctes, inputs, c.from.namespace, c.from.name, c.fromColumn)
        if (!hit) {
          u.columns.add(c.column)
          continue
        }
        u.via.add(hit.dataset.name)
        const edge: ColumnEdge = { ...c, from: { ...hit.dataset }, fromColumn: hit.column }
        batch.columnEdges.push(edge)
      }
      for (const u of unknown.values()) {
        const path = `$.${side}[${index}].facets.columnLineage`
        if (u.via.size > 0) {
          warnings.push({
            path,
            message: `column lineage reads ${u.from.name}, a CTE of the job's SQL that selects from ${[...u.via].join(', ')}: kept as read from it`,
          })
        }
        if (u.columns.size === 0) continue
        const columns = [...u.columns].slice(0, 10).join(', ')
        warnings.push({
          path,
          message: u.kept
            ? `column lineage of ${columns} reads ${u.from.namespace} ${u.from.name}, which is not among the event's inputs: kept, the dataset recorded`
            : `column lineage of ${columns} reads ${u.from.name}, a bare name where this namespace's datasets are qualified (a CTE or alias, not a table${sql ? ", and not one the job's SQL shows selecting from one of its inputs" : '; the event has no SQL to resolve it'}): those edges are not stored`,
        })
      }
    })
  }
}

const datasetKey = (d: { namespace: string; name: string }) => `${d.namespace}\u0000${d.name}`

/** The event's datasets by their case-folded key; a key two of them share maps to neither. */
function foldedNames(list: readonly Ref[]): Map<string, Ref> {
  const out = new Map<string, Ref>()
  const shared = new Set<string>()
  for (const d of list) {
    const k = datasetKey(d).toLowerCase()
    const prev = out.get(k)
    if (prev && (prev.name !== d.name || prev.namespace !== d.namespace)) shared.add(k)
    else out.set(k, { namespace: d.namespace, name: d.name })
  }
  for (const k of shared) out.delete(k)
  return out
}

const isTestJob = (job: RunEvent['job']): boolean =>
  job.facets?.jobType?.jobType?.toUpperCase() === 'TEST'

function dropNulls(facets: Record<string, unknown>): Record<string, unknown> {
  const out = ownMap<unknown>()
  for (const k of Object.keys(facets)) {
    const v = facets[k]
    if (v !== null && v !== undefined) out[k] = v
  }
  return out
}
