import type { z } from 'zod'
import { emptyBatch, type Batch, type Run, type RunState } from '../batch.ts'
import { columnEdgesOf, datasetOf, jobsOf, pushAssertions, pushMetrics } from './facets.ts'
import {
  DatasetEventSchema,
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
import { normalizeOlTime } from './time.ts'
import { own, ownMap } from '../own.ts'

export const OL_SCOPE = 'openlineage'

export type ParseResult =
  | ({ ok: true; batch: Batch; eventTime: string } & OlEvent)
  | { ok: false; path: string; reason: string }

const SCHEMAS = { RunEvent: RunEventSchema, JobEvent: JobEventSchema, DatasetEvent: DatasetEventSchema }

/**
 * One OpenLineage event (RunEvent, JobEvent or DatasetEvent, told apart by shape and schemaURL)
 * → the normalized batch it implies. Never throws: an invalid event names the JSON path and why.
 */
export function parseEvent(raw: unknown): ParseResult {
  const kind = kindOf(raw)
  if (typeof kind !== 'string') return { ok: false, ...kind }
  const fast = fastEventSchema(kind).safeParse(raw)
  const parsed = fast.success || !stopsAtFastDepth(fast.error) ? fast : SCHEMAS[kind].safeParse(raw)
  if (!parsed.success) return { ok: false, ...describe(parsed.error, kind) }
  // eventTime passed the schema's refine, so it normalizes.
  const eventTime = normalizeOlTime(parsed.data.eventTime) ?? parsed.data.eventTime
  switch (kind) {
    case 'RunEvent': {
      const event = parsed.data as RunEvent
      return { ok: true, kind, event, eventTime, batch: runEventBatch(event, eventTime) }
    }
    case 'JobEvent': {
      const event = parsed.data as JobEvent
      return { ok: true, kind, event, eventTime, batch: jobEventBatch(event, eventTime) }
    }
    case 'DatasetEvent': {
      const event = parsed.data as DatasetEvent
      return { ok: true, kind, event, eventTime, batch: datasetEventBatch(event, eventTime) }
    }
  }
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function kindOf(raw: unknown): EventKind | { path: string; reason: string } {
  if (!isObject(raw)) {
    return { path: '$', reason: 'expected a JSON object: an OpenLineage RunEvent, JobEvent or DatasetEvent' }
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
  const first = error.issues[0]
  if (!first) return { path: '$', reason: `invalid ${kind}` }
  const path = formatPath(first.path)
  const facetAt = first.path.findIndex((p) => p === 'facets' || p === 'inputFacets' || p === 'outputFacets')
  const facetKey = facetAt >= 0 ? first.path[facetAt + 1] : undefined
  const facet = typeof facetKey === 'string' ? own(FACET_NAMES, facetKey) : undefined
  const message = first.message.replace(/^Invalid input: expected \w+, received undefined$/, 'required')
  return { path, reason: `invalid ${kind}: ${path}: ${message}${facet ? ` (${facet})` : ''}` }
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : /^[A-Za-z_$][\w$]*$/.test(String(p)) ? `${acc}.${String(p)}` : `${acc}[${JSON.stringify(String(p))}]`),
    '$',
  )
}

const DATE_ONLY = { dateOnly: true }

function runEventBatch(e: RunEvent, eventTime: string): Batch {
  const batch = emptyBatch('openlineage', OL_SCOPE)
  batch.producedAt = eventTime
  const facets = e.run.facets
  const parent = facets?.parent ?? undefined
  const jobs = jobsOf(e.job, parent)
  const [self] = jobs
  if (!self) return batch
  for (const job of jobs) batch.jobs.push(job)
  const jobRef = { namespace: self.namespace, name: self.name }
  const runId = e.run.runId
  const state: RunState = e.eventType ?? 'OTHER'
  const run: Run = { runId, job: jobRef, state }
  const started = state === 'START' || state === 'RUNNING'
  if (started) run.startedAt = eventTime
  if (state === 'COMPLETE' || state === 'FAIL' || state === 'ABORT') run.endedAt = eventTime
  const nominal = facets?.nominalTime?.nominalStartTime
  if (nominal) run.nominalTime = normalizeOlTime(nominal, DATE_ONLY)
  const error = facets?.errorMessage?.message
  if (error) run.error = error.slice(0, 65536)
  if (parent) run.parentRunId = parent.run.runId
  const outputs = e.outputs ?? []
  const rows = rowsAffected(outputs)
  if (rows !== undefined) run.rowsAffected = rows
  if (facets) run.facets = dropNulls(facets)
  batch.runs.push(run)
  // A test result is known when its run ends; dbt-ol repeats the assertions on START.
  const obs = { observedAt: eventTime, runId }
  addDatasets(batch, jobRef, isTestJob(e.job), e.inputs ?? [], outputs, obs, !started)
  return batch
}

/** The outputs' rowCounts summed (negative ones as 0), if any output has one. */
function rowsAffected(outputs: OlOutputDataset[]): number | undefined {
  let sum: number | undefined
  for (const o of outputs) {
    const r = o.outputFacets?.outputStatistics?.rowCount
    if (typeof r === 'number') sum = (sum ?? 0) + (r > 0 ? r : 0)
  }
  return sum
}

function jobEventBatch(e: JobEvent, eventTime: string): Batch {
  const batch = emptyBatch('openlineage', OL_SCOPE)
  batch.producedAt = eventTime
  const jobs = jobsOf(e.job, undefined)
  batch.jobs.push(...jobs)
  const self = jobs[0]
  if (!self) return batch
  const jobRef = { namespace: self.namespace, name: self.name }
  addDatasets(batch, jobRef, isTestJob(e.job), e.inputs ?? [], e.outputs ?? [], { observedAt: eventTime })
  return batch
}

function datasetEventBatch(e: DatasetEvent, eventTime: string): Batch {
  const batch = emptyBatch('openlineage', OL_SCOPE)
  batch.producedAt = eventTime
  batch.datasets.push(datasetOf(e.dataset))
  batch.columnEdges.push(...columnEdgesOf(e.dataset))
  const obs = { observedAt: eventTime }
  pushAssertions(batch.assertions, e.dataset, obs)
  pushMetrics(batch.metrics, e.dataset, obs)
  return batch
}

function addDatasets(
  batch: Batch,
  job: { namespace: string; name: string },
  isTest: boolean,
  inputs: OlInputDataset[],
  outputs: OlOutputDataset[],
  obs: { observedAt: string; runId?: string },
  results = true,
): void {
  // A test job observes its inputs; it is quality, not lineage (dbt-ol's `.test` jobs).
  const edgeJob = isTest ? undefined : job
  for (const ds of inputs) {
    addDataset(batch, ds, 'input', edgeJob, obs)
    if (results) pushAssertions(batch.assertions, ds, obs)
  }
  for (const ds of outputs) addDataset(batch, ds, 'output', edgeJob, obs)
  addColumnEdges(batch, inputs, outputs)
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

/** Column lineage may only point at the event's datasets: dbt-ol sometimes names a CTE instead. */
function addColumnEdges(batch: Batch, inputs: OlInputDataset[], outputs: OlOutputDataset[]): void {
  let known: Set<string> | undefined
  for (const list of [inputs, outputs]) {
    for (const ds of list) {
      const edges = columnEdgesOf(ds)
      if (edges.length === 0) continue
      known ??= new Set([...inputs, ...outputs].map(datasetKey))
      for (const c of edges) if (known.has(datasetKey(c.from))) batch.columnEdges.push(c)
    }
  }
}

const datasetKey = (d: { namespace: string; name: string }) => `${d.namespace}\u0000${d.name}`

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
