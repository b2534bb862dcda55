import type { AssertionStatus, Batch, Check, Ref, Run, RunState } from '../batch.ts'
import { firstIssue, normalizeTime } from './envelope.ts'
import { stableUuid } from './graph.ts'
import { isRecord } from './ownership.ts'
import {
  RUN_RESULT_FIELDS,
  RunResultCoreSchema,
  type ArtifactMetadata,
  type RunResult,
} from './schema.ts'

// https://docs.getdbt.com/reference/artifacts/run-results-json: node statuses per resource type
// Prototype-less, so a status such as 'constructor' looks nothing up.
const RUN_STATES: Record<string, RunState> = Object.assign(
  Object.create(null) as Record<string, RunState>,
  {
    success: 'COMPLETE',
    error: 'FAIL',
    fail: 'FAIL',
    'runtime error': 'FAIL',
    skipped: 'ABORT',
    'partial success': 'OTHER',
  },
)
const TEST_STATUSES: Record<string, AssertionStatus> = Object.assign(
  Object.create(null) as Record<string, AssertionStatus>,
  {
    pass: 'pass',
    fail: 'fail',
    warn: 'warn',
    error: 'error',
    'runtime error': 'error',
    skipped: 'skipped',
  },
)
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
  ctx: {
    projectJob: Ref
    jobs: ReadonlyMap<string, Ref>
    checks: ReadonlyMap<string, readonly Check[]>
  },
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
  const seen = new Set<string>()
  let failed = false
  let firstStart: string | undefined
  for (const [i, raw] of data.results.entries()) {
    const result = parseRunResult(raw, `${file}: results[${i}]`, batch.warnings)
    if (!result) continue
    seen.add(result.unique_id)
    const { startedAt, endedAt } = executeTiming(result)
    if (startedAt && (!firstStart || startedAt < firstStart)) firstStart = startedAt
    const runId = stableUuid(invocation, result.unique_id)
    const tested = ctx.checks.get(result.unique_id)
    if (tested) {
      const status = TEST_STATUSES[result.status.toLowerCase()]
      const observedAt = endedAt ?? generatedAt
      if (!status || !observedAt) {
        batch.warnings.push(
          `${file}: skipped the result of ${result.unique_id}: status '${result.status}'`,
        )
        continue
      }
      for (const check of tested) {
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
          ...(typeof result.failures === 'number' &&
          Number.isSafeInteger(result.failures) &&
          result.failures >= 0
            ? { failures: result.failures }
            : {}),
          ...(result.message ? { message: result.message.slice(0, 65536) } : {}),
        })
      }
      continue
    }
    const job = ctx.jobs.get(result.unique_id)
    if (!job) continue // operations, nodes of other projects, tests of unknown nodes
    const state = RUN_STATES[result.status.toLowerCase()]
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
  const missing = fusionMissing(data, ctx.jobs, ctx.checks, seen)
  if (missing) batch.warnings.push(`${file}: ${missing}`)
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

/**
 * dbt Fusion (dbt 2.x) writes no result for a node that errored or was skipped, so an
 * invocation whose results all passed may still have failed: say how many nodes have no result.
 */
function fusionMissing(
  data: RunResultsData,
  jobs: ReadonlyMap<string, Ref>,
  checks: ReadonlyMap<string, readonly Check[]>,
  seen: ReadonlySet<string>,
): string | undefined {
  const version = data.metadata.dbt_version ?? ''
  if (!version.startsWith('2.')) return undefined
  const absent = [...jobs.keys(), ...checks.keys()].filter((id) => !seen.has(id))
  if (absent.length === 0) return undefined
  const shown = absent.slice(0, 5).join(', ') + (absent.length > 5 ? ', …' : '')
  return `from dbt ${version}, which writes no result for a node that errored or was skipped: ${absent.length} node(s) of the manifest have none (${shown}); whether they ran, failed or were not selected is unknown, and the invocation's state counts only the results written`
}

/** The result's unique_id and status, plus each optional field that parses (else a warning). */
function parseRunResult(raw: unknown, where: string, warnings: string[]): RunResult | undefined {
  const core = RunResultCoreSchema.safeParse(raw)
  if (!core.success || !isRecord(raw)) {
    warnings.push(`${where}: skipped: ${core.success ? 'not an object' : firstIssue(core.error)}`)
    return undefined
  }
  const result: RunResult = { ...core.data }
  for (const [key, schema] of Object.entries(RUN_RESULT_FIELDS)) {
    if (!Object.hasOwn(raw, key)) continue
    const field = schema.safeParse(raw[key])
    if (field.success) Object.assign(result, { [key]: field.data })
    else {
      warnings.push(
        `${where} (${core.data.unique_id}): ignored the malformed field '${key}': ${firstIssue(field.error)}`,
      )
    }
  }
  return result
}

function executeTiming(result: RunResult): { startedAt?: string; endedAt?: string } {
  const execute = result.timing?.find((t) => t.name === 'execute')
  const startedAt = normalizeTime(execute?.started_at)
  const endedAt = normalizeTime(execute?.completed_at)
  return { ...(startedAt ? { startedAt } : {}), ...(endedAt ? { endedAt } : {}) }
}
