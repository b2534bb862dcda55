import type { Ref, Run, RunState } from '../batch.ts'
import type { AfDagRun, AfTaskInstance } from './schema.ts'
import { dagRunOlId, taskRunOlId } from './ol-ids.ts'

const DAG_RUN_STATES: Record<string, RunState> = {
  queued: 'START',
  running: 'RUNNING',
  success: 'COMPLETE',
  failed: 'FAIL',
}

const TASK_STATES: Record<string, RunState> = {
  scheduled: 'START',
  queued: 'START',
  running: 'RUNNING',
  restarting: 'RUNNING',
  deferred: 'RUNNING',
  up_for_retry: 'RUNNING',
  up_for_reschedule: 'RUNNING',
  success: 'COMPLETE',
  failed: 'FAIL',
  // not this task's failure: root cause must walk on to the upstream task
  upstream_failed: 'ABORT',
  removed: 'ABORT',
  skipped: 'OTHER',
}

export const dagRunId = (dagId: string, runId: string) => `airflow:${dagId}:${runId}`

/**
 * A DAG run's id: the one the OpenLineage provider gives it, so its events and this REST view are
 * one run; `airflow:<dag_id>:<dag_run_id>` when the provider's inputs are not known.
 */
export function dagRunKey(r: AfDagRun, namespace: string): string {
  const ol = r.olDate
    ? dagRunOlId({ namespace, dagId: r.dagId, date: r.olDate, clearNumber: r.clearNumber })
    : undefined
  return ol ?? dagRunId(r.dagId, r.runId)
}

type Refs = {
  dagRef: (dagId: string) => Ref
  taskRef: (dagId: string, taskId: string) => Ref
}

/**
 * DAG runs → runs of the DAG job (nominal time = logical date ?? run_after); task instances →
 * runs of the task job under their DAG run, one per try. Both carry the run ids the OpenLineage
 * provider gives them (ol-ids.ts), so a run seen here and in the provider's events is one row.
 */
export function mapRuns(dagRuns: AfDagRun[], tis: AfTaskInstance[], refs: Refs): Run[] {
  const runs: Run[] = []
  const byRun = new Map<
    string,
    {
      runId: string
      nominalTime: string | undefined
      olDate: string | undefined
      partitionKey: string | undefined
    }
  >()
  for (const r of dagRuns) {
    const runId = dagRunKey(r, refs.dagRef(r.dagId).namespace)
    const nominalTime = r.logicalDate ?? r.runAfter
    byRun.set(dagRunId(r.dagId, r.runId), {
      runId,
      nominalTime,
      olDate: r.olDate,
      partitionKey: r.partitionKey,
    })
    runs.push({
      runId,
      job: refs.dagRef(r.dagId),
      state:
        (Object.hasOwn(DAG_RUN_STATES, r.state) ? DAG_RUN_STATES[r.state] : undefined) ?? 'OTHER',
      ...(r.startDate ? { startedAt: r.startDate } : {}),
      ...(r.endDate ? { endedAt: r.endDate } : {}),
      ...(nominalTime ? { nominalTime } : {}),
      ...(r.state === 'failed' ? { error: `DAG run ${r.runId} of ${r.dagId} failed` } : {}),
      facets: {
        airflow: {
          dagRunId: r.runId,
          state: r.state,
          runType: r.runType,
          triggeredBy: r.triggeredBy,
          ...(r.partitionKey !== undefined ? { partitionKey: r.partitionKey } : {}),
          ...(r.partitionDate !== undefined ? { partitionDate: r.partitionDate } : {}),
        },
      },
    })
  }
  for (const ti of tis) {
    if (!ti.state || ti.state === 'none') continue
    const parent = byRun.get(dagRunId(ti.dagId, ti.runId))
    const parentRunId = parent?.runId ?? dagRunId(ti.dagId, ti.runId)
    const mapped = ti.mapIndex >= 0 ? `:${ti.mapIndex}` : ''
    const nominalTime = parent?.nominalTime
    const olId =
      parent?.olDate && ti.tryNumber !== undefined
        ? taskRunOlId({
            namespace: refs.taskRef(ti.dagId, ti.taskId).namespace,
            dagId: ti.dagId,
            taskId: ti.taskId,
            tryNumber: ti.tryNumber,
            mapIndex: ti.mapIndex,
            date: parent.olDate,
          })
        : undefined
    runs.push({
      runId: olId ?? `${dagRunId(ti.dagId, ti.runId)}:${ti.taskId}${mapped}`,
      job: refs.taskRef(ti.dagId, ti.taskId),
      state: (Object.hasOwn(TASK_STATES, ti.state) ? TASK_STATES[ti.state] : undefined) ?? 'OTHER',
      ...(ti.startDate ? { startedAt: ti.startDate } : {}),
      ...(ti.endDate ? { endedAt: ti.endDate } : {}),
      ...(nominalTime ? { nominalTime } : {}),
      ...(ti.state === 'failed'
        ? { error: `task ${ti.taskId} failed (try ${ti.tryNumber ?? '?'})` }
        : ti.state === 'upstream_failed'
          ? { error: `task ${ti.taskId} did not run: an upstream task failed` }
          : {}),
      parentRunId,
      facets: {
        airflow: {
          dagRunId: ti.runId,
          taskId: ti.taskId,
          state: ti.state,
          tryNumber: ti.tryNumber,
          operator: ti.operator,
          mapIndex: ti.mapIndex,
          ...(parent?.partitionKey !== undefined ? { partitionKey: parent.partitionKey } : {}),
        },
      },
    })
  }
  return runs
}
