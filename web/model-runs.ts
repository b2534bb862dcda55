// Pure view-models of runs: the product's recent runs and a DAG run's Gantt. No DOM (test/web).
import type { ProductRuns, RunTimeline } from './api.ts'
import { runStatus, type Status } from './model.ts'

/** `0.4 s`, `5.1 s`, `2 min 3 s`, `1 h 4 min`: a run's length, to the second under an hour. */
export function formatSpan(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—'
  if (ms < 1000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`
  const s = Math.round(ms / 1000)
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`
  const m = Math.round(s / 60)
  return m % 60 === 0 ? `${m / 60} h` : `${Math.floor(m / 60)} h ${m % 60} min`
}

/** `orders` of `mesh.sales.sales.orders`, `load_ledger` of `finance_ledger.load_ledger`. */
export function shortJobName(name: string, type: string): string {
  if (type === 'airflow_task') return name.slice(name.indexOf('.') + 1)
  if (type.startsWith('dbt_') && type !== 'dbt_project')
    return name.slice(name.lastIndexOf('.') + 1)
  return name
}

/** What kind of job, in words: the page never relies on an icon or colour alone. */
export const JOB_KIND_LABEL: Record<string, string> = {
  airflow_dag: 'Airflow DAG',
  airflow_task: 'Airflow task',
  dbt_project: 'dbt invocation',
  dbt_model: 'dbt model',
  dbt_seed: 'dbt seed',
  dbt_snapshot: 'dbt snapshot',
  dbt_test: 'dbt test',
  dbt_function: 'dbt function',
}
export const jobKindLabel = (type: string): string =>
  JOB_KIND_LABEL[type] ?? (type ? `${type.replace(/_/g, ' ')} job` : 'job')

export interface RecentRun {
  runId: string
  timelineRunId: string
  job: string
  kind: string
  parent: string | null
  parentKind: string | null
  state: string
  status: Status
  startedAt: string | null
  duration: string
  error: string | null
  /** The run's tags (TagsRunFacet): `key:value`, or a flag's key. */
  tags: string[]
}

/** The product's runs answer as rows: job, its DAG or dbt invocation, duration, state and tags. */
export const recentRunRows = (answer: ProductRuns): RecentRun[] =>
  answer.runs.map((r) => ({
    runId: r.runId,
    timelineRunId: r.parentRunId ?? r.runId,
    job: shortJobName(r.job.name, r.job.type),
    kind: jobKindLabel(r.job.type),
    parent: r.parent?.name ?? null,
    parentKind: r.parent ? jobKindLabel(r.parent.type) : null,
    state: r.state,
    status: runStatus(r.state),
    startedAt: r.startedAt,
    duration: formatSpan(r.durationMs),
    error: r.error,
    tags: r.tags,
  }))

export interface GanttRow {
  key: string
  runId: string | null
  depth: 0 | 1
  name: string
  kind: string
  jobId: number | null
  state: string
  status: Status
  startedAt: string | null
  endedAt: string | null
  duration: string
  expected: string
  tries: number | null
  /** Longer than expected (1.5× its usual time and at least 2 s more), or failed. */
  late: boolean
  problem: boolean
  /** Bar position in percent of the run's span. */
  left: number
  width: number
}

const LATE_FACTOR = 1.5
const LATE_MIN_MS = 2000

export const isLate = (durationMs: number | null, expectedMs: number | null): boolean =>
  durationMs !== null &&
  expectedMs !== null &&
  durationMs > expectedMs * LATE_FACTOR &&
  durationMs - expectedMs >= LATE_MIN_MS

/** The Gantt rows of a timeline (tasks, each followed by its dbt models) and the first problem. */
export function ganttRows(t: RunTimeline): { rows: GanttRow[]; firstProblem: GanttRow | null } {
  const times = [
    t.run,
    ...t.steps,
    ...t.steps.flatMap((s) => s.models.flatMap((m) => (m.run ? [m.run] : []))),
  ]
    .flatMap((r) => [Date.parse(r.startedAt ?? ''), Date.parse(r.endedAt ?? '')])
    .filter(Number.isFinite)
  const t0 = Math.min(...times)
  const span = Math.max(1, Math.max(...times) - t0)
  const bar = (start: string | null, end: string | null) => {
    const a = Date.parse(start ?? '')
    const b = Date.parse(end ?? start ?? '')
    if (!Number.isFinite(a) || !Number.isFinite(t0)) return { left: 0, width: 0 }
    const left = ((a - t0) / span) * 100
    return { left, width: Math.max(0.4, (((Number.isFinite(b) ? b : a) - a) / span) * 100) }
  }
  const rows: GanttRow[] = []
  for (const s of t.steps) {
    const status = runStatus(s.state)
    const late = isLate(s.durationMs, s.expectedMs)
    rows.push({
      key: s.runId,
      runId: s.runId,
      depth: 0,
      name: shortJobName(s.job.name, s.job.type),
      kind: jobKindLabel(s.job.type),
      jobId: s.job.id,
      state: s.state,
      status,
      startedAt: s.startedAt,
      endedAt: s.endedAt,
      duration: formatSpan(s.durationMs),
      expected: formatSpan(s.expectedMs),
      tries: s.tries,
      late,
      problem: status === 'breach' || late,
      ...bar(s.startedAt, s.endedAt),
    })
    for (const m of s.models) {
      const r = m.run
      const mStatus = r ? runStatus(r.state) : status
      rows.push({
        key: `${s.runId}/${m.name}`,
        runId: r?.runId ?? null,
        depth: 1,
        name: m.name,
        kind: 'dbt model',
        jobId: m.jobId,
        state: r?.state ?? 'in task',
        status: mStatus,
        startedAt: r?.startedAt ?? s.startedAt,
        endedAt: r?.endedAt ?? s.endedAt,
        duration: r ? formatSpan(r.durationMs) : '—',
        expected: '—',
        tries: null,
        late: false,
        problem: r !== null && mStatus === 'breach',
        ...(r ? bar(r.startedAt, r.endedAt) : bar(s.startedAt, s.endedAt)),
      })
    }
  }
  const byStart = [...rows].sort(
    (a, b) =>
      (Date.parse(a.startedAt ?? '') || Infinity) - (Date.parse(b.startedAt ?? '') || Infinity),
  )
  return { rows, firstProblem: byStart.find((r) => r.problem) ?? null }
}

export interface DurationBar {
  runId: string
  startedAt: string | null
  ms: number | null
  status: Status
  label: string
}

/** The same job's last runs, oldest first, for the durations chart. */
export const durationBars = (t: RunTimeline): DurationBar[] =>
  t.history.map((r) => ({
    runId: r.runId,
    startedAt: r.startedAt,
    ms: r.durationMs,
    status: runStatus(r.state),
    label: `${(r.startedAt ?? '').slice(0, 16).replace('T', ' ')}: ${formatSpan(r.durationMs)}, ${r.state}`,
  }))
