import type { Ref, Run, RunState } from '../batch.ts'
import type { AfDagRun, AfTaskInstance } from './schema.ts'

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

type Refs = {
  dagRef: (dagId: string) => Ref
  taskRef: (dagId: string, taskId: string) => Ref
}

/**
 * DAG runs → runs of the DAG job (`airflow:<dag_id>:<dag_run_id>`, nominal time = logical date
 * ?? run_after); task instances → runs of the task job under their DAG run.
 */
export function mapRuns(dagRuns: AfDagRun[], tis: AfTaskInstance[], refs: Refs): Run[] {
  const runs: Run[] = []
  const nominal = new Map<string, string | undefined>()
  for (const r of dagRuns) {
    const runId = dagRunId(r.dagId, r.runId)
    const nominalTime = r.logicalDate ?? r.runAfter
    nominal.set(runId, nominalTime)
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
        },
      },
    })
  }
  for (const ti of tis) {
    if (!ti.state || ti.state === 'none') continue
    const parentRunId = dagRunId(ti.dagId, ti.runId)
    const mapped = ti.mapIndex >= 0 ? `:${ti.mapIndex}` : ''
    const nominalTime = nominal.get(parentRunId)
    runs.push({
      runId: `${parentRunId}:${ti.taskId}${mapped}`,
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
          state: ti.state,
          tryNumber: ti.tryNumber,
          operator: ti.operator,
          mapIndex: ti.mapIndex,
        },
      },
    })
  }
  return runs
}
