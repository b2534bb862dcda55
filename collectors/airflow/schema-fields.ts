import { z } from 'zod'

/** Field schemas and version-free shapes shared by the v1 and v2 schemas. */

export const Time = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time')
  .transform((s) => new Date(s).toISOString())
export const OptTime = Time.nullish().transform((t) => t ?? undefined)
export const OptStr = z
  .string()
  .nullish()
  .transform((s) => s ?? undefined)
export const Total = z.number().int().nonnegative()
export const Tags = z
  .array(z.object({ name: z.string() }))
  .nullish()
  .transform((t) => (t ?? []).map((x) => x.name))
export const Owners = z
  .array(z.string())
  .nullish()
  .transform((o) => o ?? [])
const Rendered = z.record(z.string(), z.unknown()).nullish()

export type Page<T> = { items: T[]; total: number | undefined }

export type AfDag = {
  dagId: string
  description: string | undefined
  owners: string[]
  tags: string[]
  paused: boolean
  stale: boolean
  /** v2 `timetable_summary`; v1 the cron of `schedule_interval` or a rendering of it. */
  scheduleSummary: string | undefined
  timetableDescription: string | undefined
  nextRunAt: string | undefined
  nextLogicalDate: string | undefined
  fileloc: string | undefined
  hasImportErrors: boolean
  /** v2 `timetable_partitioned` (Airflow 3.2+): its runs are for partition keys. */
  partitioned: boolean
}

/** Only the timezone is read from `/dags/{dag_id}/details`; v1 renders it as `Timezone('UTC')`. */
export const DagDetails = z
  .object({ timezone: OptStr })
  .transform((d) => ({ timezone: d.timezone?.replace(/^Timezone\('(.*)'\)$/, '$1') }))

export type AfTask = {
  taskId: string
  owner: string | undefined
  operator: string | undefined
  downstream: string[]
  mapped: boolean
}

export const taskFields = {
  task_id: z.string().min(1),
  owner: OptStr,
  downstream_task_ids: z
    .array(z.string())
    .nullish()
    .transform((d) => d ?? []),
  is_mapped: z.boolean().nullish(),
  class_ref: z
    .object({ class_name: z.string().nullish() })
    .nullish()
    .transform((c) => c?.class_name ?? undefined),
}
export type AfDagRun = {
  dagId: string
  runId: string
  state: string
  logicalDate: string | undefined
  runAfter: string | undefined
  queuedAt: string | undefined
  startDate: string | undefined
  endDate: string | undefined
  lastSchedulingDecision: string | undefined
  runType: string | undefined
  triggeredBy: string | undefined
  /**
   * The date the OpenLineage provider derives the run's ids from, as Airflow wrote it (logical
   * date, else run_after; microseconds kept), and the run's clear number (0 when not given).
   */
  olDate: string | undefined
  clearNumber: number
  /** The partition the run is for (Airflow 3.2+ partitioned DAGs), and its date when it has one. */
  partitionKey: string | undefined
  partitionDate: string | undefined
}

/**
 * Copies a DAG run's dates as written into `ol_date` before they are normalized to milliseconds:
 * the OpenLineage run ids (ol-ids.ts) hash them with their microseconds.
 */
export function keepOlDate(raw: unknown): unknown {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw
  const r = raw as Record<string, unknown>
  return { ...r, ol_date: r.logical_date ?? r.execution_date ?? r.run_after }
}
export const olRunFields = {
  ol_date: z
    .string()
    .nullish()
    .transform((s) => s ?? undefined),
  clear_number: z.number().int().nonnegative().nullish(),
}

export const runFields = {
  dag_id: z.string().min(1),
  dag_run_id: z.string().min(1),
  state: z.string(),
  logical_date: OptTime,
  start_date: OptTime,
  end_date: OptTime,
  last_scheduling_decision: OptTime,
  run_type: OptStr,
}
export type AfTaskInstance = {
  dagId: string
  runId: string
  taskId: string
  mapIndex: number
  state: string | undefined
  tryNumber: number | undefined
  operator: string | undefined
  startDate: string | undefined
  endDate: string | undefined
  renderedFields: Record<string, unknown> | undefined
}

const tiFields = {
  dag_id: z.string().min(1),
  dag_run_id: z.string().min(1),
  task_id: z.string().min(1),
  map_index: z.number().int().nullish(),
  state: OptStr,
  try_number: z.number().int().nullish(),
  operator: OptStr,
  start_date: OptTime,
  end_date: OptTime,
  rendered_fields: Rendered,
}
export const TaskInstance = z.object(tiFields).transform((t): AfTaskInstance => ({
  dagId: t.dag_id,
  runId: t.dag_run_id,
  taskId: t.task_id,
  mapIndex: t.map_index ?? -1,
  state: t.state,
  tryNumber: t.try_number ?? undefined,
  operator: t.operator,
  startDate: t.start_date,
  endDate: t.end_date,
  renderedFields: t.rendered_fields ?? undefined,
}))

export type AfAsset = {
  id: number
  uri: string
  name: string | undefined
  producers: { dagId: string; taskId: string }[]
  consumers: string[]
}

export const ProducingTask = z.object({ dag_id: z.string(), task_id: z.string() })
export const producers = (p: { dag_id: string; task_id: string }[] | null | undefined) =>
  (p ?? []).map((x) => ({ dagId: x.dag_id, taskId: x.task_id }))
export const DagRef = z.object({ dag_id: z.string() })

export type AfAssetEvent = {
  assetId: number | undefined
  uri: string | undefined
  sourceDagId: string | undefined
  sourceTaskId: string | undefined
  sourceRunId: string | undefined
  triggered: { dagId: string; runId: string }[]
  timestamp: string
  /** The partition the event is for (Airflow 3.2+). */
  partitionKey: string | undefined
}

/** The runs an asset event triggered: v2 names the run id `run_id`, v1 `dag_run_id`. */
const CreatedRuns = z
  .array(
    z.object({
      dag_id: z.string(),
      run_id: z.string().optional(),
      dag_run_id: z.string().optional(),
    }),
  )
  .nullish()
  .transform((r) =>
    (r ?? []).flatMap((x) => {
      const runId = x.run_id ?? x.dag_run_id
      return runId ? [{ dagId: x.dag_id, runId }] : []
    }),
  )
export const eventFields = {
  source_dag_id: OptStr,
  source_task_id: OptStr,
  source_run_id: OptStr,
  created_dagruns: CreatedRuns,
  timestamp: Time,
}
export type AfImportError = { filename: string | undefined; stackTrace: string | undefined }
const ImportError = z
  .object({ filename: OptStr, stack_trace: OptStr })
  .transform((e): AfImportError => ({ filename: e.filename, stackTrace: e.stack_trace }))

export const pageOf = <T>(items: T[], total: number | undefined): Page<T> => ({ items, total })

export const TaskInstancePage = z
  .object({ task_instances: z.array(TaskInstance), total_entries: Total })
  .transform((p) => pageOf(p.task_instances, p.total_entries))
export const ImportErrorPage = z
  .object({ import_errors: z.array(ImportError), total_entries: Total })
  .transform((p) => pageOf(p.import_errors, p.total_entries))
