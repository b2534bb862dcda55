import { z } from 'zod'

/**
 * The Airflow REST API at the edge: one set of schemas per API version, each transforming its
 * responses into the same version-free shapes (`Af*`) that map.ts reads.
 * v1: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html
 * v2: https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html
 */

const Time = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), 'not a date-time')
  .transform((s) => new Date(s).toISOString())
const OptTime = Time.nullish().transform((t) => t ?? undefined)
const OptStr = z
  .string()
  .nullish()
  .transform((s) => s ?? undefined)
const Total = z.number().int().nonnegative()
const Tags = z
  .array(z.object({ name: z.string() }))
  .nullish()
  .transform((t) => (t ?? []).map((x) => x.name))
const Owners = z
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
}

const V1Schedule = z
  .union([
    z.object({ __type: z.literal('CronExpression'), value: z.string() }),
    z.object({
      __type: z.literal('TimeDelta'),
      days: z.number(),
      seconds: z.number(),
      microseconds: z.number().optional(),
    }),
    z.looseObject({ __type: z.literal('RelativeDelta') }),
  ])
  .nullish()
  .transform((s): string | undefined => {
    if (!s) return undefined
    if (s.__type === 'CronExpression') return s.value
    if (s.__type === 'TimeDelta') return `timedelta(days=${s.days}, seconds=${s.seconds})`
    return 'relativedelta'
  })

const V1Dag = z
  .object({
    dag_id: z.string().min(1),
    description: OptStr,
    owners: Owners,
    tags: Tags,
    is_paused: z.boolean().nullish(),
    is_active: z.boolean().nullish(),
    schedule_interval: V1Schedule,
    timetable_description: OptStr,
    next_dagrun: OptTime,
    next_dagrun_create_after: OptTime,
    fileloc: OptStr,
    has_import_errors: z.boolean().nullish(),
  })
  .transform((d): AfDag => ({
    dagId: d.dag_id,
    description: d.description,
    owners: d.owners,
    tags: d.tags,
    paused: d.is_paused ?? false,
    stale: d.is_active === false,
    scheduleSummary: d.schedule_interval,
    timetableDescription: d.timetable_description,
    nextRunAt: d.next_dagrun_create_after ?? d.next_dagrun,
    nextLogicalDate: d.next_dagrun,
    fileloc: d.fileloc,
    hasImportErrors: d.has_import_errors ?? false,
  }))

const V2Dag = z
  .object({
    dag_id: z.string().min(1),
    description: OptStr,
    owners: Owners,
    tags: Tags,
    is_paused: z.boolean(),
    is_stale: z.boolean().nullish(),
    timetable_summary: OptStr,
    timetable_description: OptStr,
    next_dagrun_logical_date: OptTime,
    next_dagrun_run_after: OptTime,
    fileloc: OptStr,
    has_import_errors: z.boolean().nullish(),
  })
  .transform((d): AfDag => ({
    dagId: d.dag_id,
    description: d.description,
    owners: d.owners,
    tags: d.tags,
    paused: d.is_paused,
    stale: d.is_stale ?? false,
    scheduleSummary: d.timetable_summary,
    timetableDescription: d.timetable_description,
    nextRunAt: d.next_dagrun_run_after ?? d.next_dagrun_logical_date,
    nextLogicalDate: d.next_dagrun_logical_date,
    fileloc: d.fileloc,
    hasImportErrors: d.has_import_errors ?? false,
  }))

/** Only the timezone is read from `/dags/{dag_id}/details`; v1 renders it as `Timezone('UTC')`. */
const DagDetails = z
  .object({ timezone: OptStr })
  .transform((d) => ({ timezone: d.timezone?.replace(/^Timezone\('(.*)'\)$/, '$1') }))

export type AfTask = {
  taskId: string
  owner: string | undefined
  operator: string | undefined
  downstream: string[]
  mapped: boolean
}

const taskFields = {
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
const V1Task = z.object(taskFields).transform((t): AfTask => ({
  taskId: t.task_id,
  owner: t.owner,
  operator: t.class_ref,
  downstream: t.downstream_task_ids,
  mapped: t.is_mapped ?? false,
}))
const V2Task = z.object({ ...taskFields, operator_name: OptStr }).transform((t): AfTask => ({
  taskId: t.task_id,
  owner: t.owner,
  operator: t.operator_name ?? t.class_ref,
  downstream: t.downstream_task_ids,
  mapped: t.is_mapped ?? false,
}))

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
}

const runFields = {
  dag_id: z.string().min(1),
  dag_run_id: z.string().min(1),
  state: z.string(),
  logical_date: OptTime,
  start_date: OptTime,
  end_date: OptTime,
  last_scheduling_decision: OptTime,
  run_type: OptStr,
}
const V1DagRun = z.object({ ...runFields, execution_date: OptTime }).transform((r): AfDagRun => ({
  dagId: r.dag_id,
  runId: r.dag_run_id,
  state: r.state,
  logicalDate: r.logical_date ?? r.execution_date,
  runAfter: undefined,
  queuedAt: undefined,
  startDate: r.start_date,
  endDate: r.end_date,
  lastSchedulingDecision: r.last_scheduling_decision,
  runType: r.run_type,
  triggeredBy: undefined,
}))
const V2DagRun = z
  .object({ ...runFields, run_after: OptTime, queued_at: OptTime, triggered_by: OptStr })
  .transform((r): AfDagRun => ({
    dagId: r.dag_id,
    runId: r.dag_run_id,
    state: r.state,
    logicalDate: r.logical_date,
    runAfter: r.run_after,
    queuedAt: r.queued_at,
    startDate: r.start_date,
    endDate: r.end_date,
    lastSchedulingDecision: r.last_scheduling_decision,
    runType: r.run_type,
    triggeredBy: r.triggered_by,
  }))

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
const TaskInstance = z.object(tiFields).transform((t): AfTaskInstance => ({
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

const ProducingTask = z.object({ dag_id: z.string(), task_id: z.string() })
const producers = (p: { dag_id: string; task_id: string }[] | null | undefined) =>
  (p ?? []).map((x) => ({ dagId: x.dag_id, taskId: x.task_id }))
const DagRef = z.object({ dag_id: z.string() })

const V1Dataset = z
  .object({
    id: z.number().int(),
    uri: z.string().min(1),
    producing_tasks: z.array(ProducingTask).nullish(),
    consuming_dags: z.array(DagRef).nullish(),
  })
  .transform((a): AfAsset => ({
    id: a.id,
    uri: a.uri,
    name: undefined,
    producers: producers(a.producing_tasks),
    consumers: (a.consuming_dags ?? []).map((d) => d.dag_id),
  }))
const V2Asset = z
  .object({
    id: z.number().int(),
    uri: z.string().min(1),
    name: OptStr,
    producing_tasks: z.array(ProducingTask).nullish(),
    scheduled_dags: z.array(DagRef).nullish(),
  })
  .transform((a): AfAsset => ({
    id: a.id,
    uri: a.uri,
    name: a.name,
    producers: producers(a.producing_tasks),
    consumers: (a.scheduled_dags ?? []).map((d) => d.dag_id),
  }))

export type AfAssetEvent = {
  assetId: number | undefined
  uri: string | undefined
  sourceDagId: string | undefined
  sourceTaskId: string | undefined
  sourceRunId: string | undefined
  triggered: { dagId: string; runId: string }[]
  timestamp: string
}

const CreatedRuns = z
  .array(z.object({ dag_id: z.string(), run_id: z.string() }))
  .nullish()
  .transform((r) => (r ?? []).map((x) => ({ dagId: x.dag_id, runId: x.run_id })))
const eventFields = {
  source_dag_id: OptStr,
  source_task_id: OptStr,
  source_run_id: OptStr,
  created_dagruns: CreatedRuns,
  timestamp: Time,
}
const V1DatasetEvent = z
  .object({ ...eventFields, dataset_id: z.number().int().nullish(), dataset_uri: OptStr })
  .transform((e): AfAssetEvent => ({
    assetId: e.dataset_id ?? undefined,
    uri: e.dataset_uri,
    sourceDagId: e.source_dag_id,
    sourceTaskId: e.source_task_id,
    sourceRunId: e.source_run_id,
    triggered: e.created_dagruns,
    timestamp: e.timestamp,
  }))
const V2AssetEvent = z
  .object({ ...eventFields, asset_id: z.number().int(), uri: OptStr })
  .transform((e): AfAssetEvent => ({
    assetId: e.asset_id,
    uri: e.uri,
    sourceDagId: e.source_dag_id,
    sourceTaskId: e.source_task_id,
    sourceRunId: e.source_run_id,
    triggered: e.created_dagruns,
    timestamp: e.timestamp,
  }))

export type AfImportError = { filename: string | undefined; stackTrace: string | undefined }
const ImportError = z
  .object({ filename: OptStr, stack_trace: OptStr })
  .transform((e): AfImportError => ({ filename: e.filename, stackTrace: e.stack_trace }))

const pageOf = <T>(items: T[], total: number | undefined): Page<T> => ({ items, total })

const TaskInstancePage = z
  .object({ task_instances: z.array(TaskInstance), total_entries: Total })
  .transform((p) => pageOf(p.task_instances, p.total_entries))
const ImportErrorPage = z
  .object({ import_errors: z.array(ImportError), total_entries: Total })
  .transform((p) => pageOf(p.import_errors, p.total_entries))

export const VersionSchema = z.object({ version: z.string() })

/** Per API version: paths and the schema of each response. */
export const API = {
  v1: {
    prefix: '/api/v1',
    assetsPath: '/datasets',
    assetEventsPath: '/datasets/events',
    dags: z
      .object({ dags: z.array(V1Dag), total_entries: Total })
      .transform((p) => pageOf(p.dags, p.total_entries)),
    dagDetails: DagDetails,
    // v1's task list has no total_entries and is not paginated
    tasks: z.object({ tasks: z.array(V1Task) }).transform((p) => pageOf(p.tasks, undefined)),
    dagRuns: z
      .object({ dag_runs: z.array(V1DagRun), total_entries: Total })
      .transform((p) => pageOf(p.dag_runs, p.total_entries)),
    taskInstances: TaskInstancePage,
    assets: z
      .object({ datasets: z.array(V1Dataset), total_entries: Total })
      .transform((p) => pageOf(p.datasets, p.total_entries)),
    assetEvents: z
      .object({ dataset_events: z.array(V1DatasetEvent), total_entries: Total })
      .transform((p) => pageOf(p.dataset_events, p.total_entries)),
    importErrors: ImportErrorPage,
  },
  v2: {
    prefix: '/api/v2',
    assetsPath: '/assets',
    assetEventsPath: '/assets/events',
    dags: z
      .object({ dags: z.array(V2Dag), total_entries: Total })
      .transform((p) => pageOf(p.dags, p.total_entries)),
    dagDetails: DagDetails,
    tasks: z
      .object({ tasks: z.array(V2Task), total_entries: Total.optional() })
      .transform((p) => pageOf(p.tasks, p.total_entries)),
    dagRuns: z
      .object({ dag_runs: z.array(V2DagRun), total_entries: Total })
      .transform((p) => pageOf(p.dag_runs, p.total_entries)),
    taskInstances: TaskInstancePage,
    assets: z
      .object({ assets: z.array(V2Asset), total_entries: Total })
      .transform((p) => pageOf(p.assets, p.total_entries)),
    assetEvents: z
      .object({ asset_events: z.array(V2AssetEvent), total_entries: Total })
      .transform((p) => pageOf(p.asset_events, p.total_entries)),
    importErrors: ImportErrorPage,
  },
} as const

export type ApiVersion = keyof typeof API
export const API_VERSIONS = ['v1', 'v2'] as const satisfies readonly ApiVersion[]
