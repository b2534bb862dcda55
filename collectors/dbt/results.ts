import type { AssertionStatus, Batch, Check, Ref, Run, RunState } from '../batch.ts'
import { firstIssue, normalizeTime } from './envelope.ts'
import { stableUuid, type Graph } from './graph.ts'
import {
  FreshnessResultSchema,
  RunResultSchema,
  type ArtifactMetadata,
  type RunResult,
} from './schema.ts'

// https://docs.getdbt.com/reference/artifacts/run-results-json: node statuses per resource type
// Prototype-less, so a status such as 'constructor' looks nothing up.
const RUN_STATES: Record<string, RunState> = Object.assign(Object.create(null) as Record<string, RunState>, {
  success: 'COMPLETE',
  error: 'FAIL',
  fail: 'FAIL',
  'runtime error': 'FAIL',
  skipped: 'ABORT',
  'partial success': 'OTHER',
})
const TEST_STATUSES: Record<string, AssertionStatus> = Object.assign(Object.create(null) as Record<string, AssertionStatus>, {
  pass: 'pass',
  fail: 'fail',
  warn: 'warn',
  error: 'error',
  'runtime error': 'error',
  skipped: 'skipped',
})
/** Commands whose run_results record compilation, not execution. */
const COMPILE_ONLY = new Set(['compile', 'generate', 'docs', 'list', 'ls', 'parse', 'show'])

type RunResultsData = {
  metadata: ArtifactMetadata
  results: unknown[]
  args?: { which?: string | null | undefined } | null | undefined
}

/**
 * run_results.json → one run per executed model/seed/snapshot (under one run of the project
 * job for the invocation) and one assertion per test result.
 */
export function addRunResults(
  batch: Batch,
  data: RunResultsData,
  file: string,
  ctx: { projectJob: Ref; jobs: ReadonlyMap<string, Ref>; checks: ReadonlyMap<string, Check> },
): void {
  const command = data.args?.which ?? undefined
  if (command && COMPILE_ONLY.has(command)) {
    batch.warnings.push(`${file}: from 'dbt ${command}', which executes nothing: no runs recorded`)
    return
  }
  const invocation = data.metadata.invocation_id ?? data.metadata.generated_at ?? file
  const generatedAt = normalizeTime(data.metadata.generated_at)
  const parentRunId = stableUuid(invocation)
  const runs: Run[] = []
  let failed = false
  let firstStart: string | undefined
  for (const [i, raw] of data.results.entries()) {
    const parsed = RunResultSchema.safeParse(raw)
    if (!parsed.success) {
      batch.warnings.push(`${file}: skipped results[${i}]: ${firstIssue(parsed.error)}`)
      continue
    }
    const result = parsed.data
    const { startedAt, endedAt } = executeTiming(result)
    if (startedAt && (!firstStart || startedAt < firstStart)) firstStart = startedAt
    const runId = stableUuid(invocation, result.unique_id)
    const check = ctx.checks.get(result.unique_id)
    if (check) {
      const status = TEST_STATUSES[result.status]
      const observedAt = endedAt ?? generatedAt
      if (!status || !observedAt) {
        batch.warnings.push(
          `${file}: skipped the result of ${result.unique_id}: status '${result.status}'`,
        )
        continue
      }
      batch.assertions.push({
        key: check.key,
        dataset: check.dataset,
        name: check.name,
        status,
        severity: check.severity,
        origin: 'dbt',
        observedAt,
        runId: parentRunId,
        ...(check.column ? { column: check.column } : {}),
        ...(typeof result.failures === 'number' && Number.isSafeInteger(result.failures) && result.failures >= 0
          ? { failures: result.failures }
          : {}),
        ...(result.message ? { message: result.message.slice(0, 65536) } : {}),
      })
      continue
    }
    const job = ctx.jobs.get(result.unique_id)
    if (!job) continue // operations, nodes of other projects, tests of unknown nodes
    const state = RUN_STATES[result.status]
    if (!state) {
      batch.warnings.push(
        `${file}: skipped the result of ${result.unique_id}: status '${result.status}'`,
      )
      continue
    }
    if (state === 'FAIL') failed = true
    const run: Run = { runId, job, state, parentRunId }
    if (startedAt) run.startedAt = startedAt
    if (endedAt) run.endedAt = endedAt
    const rows = result.adapter_response?.rows_affected
    if (rows != null && Number.isInteger(rows) && rows >= 0) run.rowsAffected = rows
    if (state !== 'COMPLETE' && result.message) run.error = result.message.slice(0, 65536)
    runs.push(run)
  }
  const parent: Run = {
    runId: parentRunId,
    job: ctx.projectJob,
    state: failed ? 'FAIL' : 'COMPLETE',
    facets: { invocationId: invocation, ...(command ? { command } : {}) },
  }
  const startedAt = normalizeTime(data.metadata.invocation_started_at) ?? firstStart
  if (startedAt) parent.startedAt = startedAt
  if (generatedAt) parent.endedAt = generatedAt
  batch.runs.push(parent, ...runs)
}

function executeTiming(result: RunResult): { startedAt?: string; endedAt?: string } {
  const execute = result.timing?.find((t) => t.name === 'execute')
  const startedAt = normalizeTime(execute?.started_at)
  const endedAt = normalizeTime(execute?.completed_at)
  return { ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}) }
}

type FreshnessData = { metadata: ArtifactMetadata; results: unknown[] }

/** sources.json (`dbt source freshness`) → a freshness_age_seconds metric per source. */
export function addFreshness(batch: Batch, data: FreshnessData, file: string, graph: Graph): void {
  const generatedAt = normalizeTime(data.metadata.generated_at)
  for (const [i, raw] of data.results.entries()) {
    const parsed = FreshnessResultSchema.safeParse(raw)
    if (!parsed.success) {
      batch.warnings.push(`${file}: skipped results[${i}]: ${firstIssue(parsed.error)}`)
      continue
    }
    const r = parsed.data
    const source = graph.datasets.get(r.unique_id)
    if (!source) {
      batch.warnings.push(`${file}: skipped ${r.unique_id}: not a source in the manifest`)
      continue
    }
    const age = r.max_loaded_at_time_ago_in_s
    const observedAt = normalizeTime(r.snapshotted_at) ?? generatedAt
    if (r.status === 'runtime error' || age == null || !Number.isFinite(age) || !observedAt) {
      const why = r.error != null ? String(r.error) : `status '${r.status}'`
      batch.warnings.push(`${file}: no freshness for ${r.unique_id}: ${why}`)
      continue
    }
    const status =
      r.status === 'pass' || r.status === 'warn' || r.status === 'error' ? r.status : undefined
    batch.metrics.push({
      dataset: source.ref,
      name: 'freshness_age_seconds',
      value: age,
      observedAt,
      detail: JSON.stringify({ max_loaded_at: r.max_loaded_at, criteria: r.criteria ?? null }),
      ...(status ? { status } : {}),
    })
  }
}
