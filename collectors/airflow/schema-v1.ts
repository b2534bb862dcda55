import { z } from 'zod'
import {
  DagDetails,
  DagRef,
  ImportErrorPage,
  OptStr,
  OptTime,
  keepOlDate,
  olRunFields,
  Owners,
  ProducingTask,
  Tags,
  TaskInstancePage,
  Total,
  eventFields,
  pageOf,
  producers,
  runFields,
  taskFields,
  type AfAsset,
  type AfAssetEvent,
  type AfDag,
  type AfDagRun,
  type AfTask,
} from './schema-fields.ts'

/** Airflow 2 REST API v1: https://airflow.apache.org/docs/apache-airflow/2.11.0/stable-rest-api-ref.html */

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
    partitioned: false,
  }))

const V1Task = z.object(taskFields).transform((t): AfTask => ({
  taskId: t.task_id,
  owner: t.owner,
  operator: t.class_ref,
  downstream: t.downstream_task_ids,
  mapped: t.is_mapped ?? false,
}))
const V1DagRun = z
  .preprocess(keepOlDate, z.object({ ...runFields, ...olRunFields, execution_date: OptTime }))
  .transform((r): AfDagRun => ({
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
    olDate: r.ol_date,
    clearNumber: r.clear_number ?? 0,
    partitionKey: undefined,
    partitionDate: undefined,
  }))
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
    partitionKey: undefined,
  }))
export const V1 = {
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
} as const
