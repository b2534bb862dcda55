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

/** Airflow 3 REST API v2: https://airflow.apache.org/docs/apache-airflow/stable/stable-rest-api-ref.html */

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
    timetable_partitioned: z.boolean().nullish(),
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
    partitioned: d.timetable_partitioned ?? false,
  }))

const V2Task = z.object({ ...taskFields, operator_name: OptStr }).transform((t): AfTask => ({
  taskId: t.task_id,
  owner: t.owner,
  operator: t.operator_name ?? t.class_ref,
  downstream: t.downstream_task_ids,
  mapped: t.is_mapped ?? false,
}))

const V2DagRun = z
  .preprocess(
    keepOlDate,
    z.object({
      ...runFields,
      ...olRunFields,
      run_after: OptTime,
      queued_at: OptTime,
      triggered_by: OptStr,
      partition_key: OptStr,
      partition_date: OptTime,
    }),
  )
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
    olDate: r.ol_date,
    clearNumber: r.clear_number ?? 0,
    partitionKey: r.partition_key,
    partitionDate: r.partition_date,
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

const V2AssetEvent = z
  .object({ ...eventFields, asset_id: z.number().int(), uri: OptStr, partition_key: OptStr })
  .transform((e): AfAssetEvent => ({
    assetId: e.asset_id,
    uri: e.uri,
    sourceDagId: e.source_dag_id,
    sourceTaskId: e.source_task_id,
    sourceRunId: e.source_run_id,
    triggered: e.created_dagruns,
    timestamp: e.timestamp,
    partitionKey: e.partition_key,
  }))

export const V2 = {
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
} as const
