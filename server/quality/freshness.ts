import { missedDeadlines, providerRunInfo } from '../../collectors/airflow/provider-facets.ts'
import type { DimensionResult, OutputFacts, KnownStatus, UpstreamFacts } from './facts.ts'
import { formatAgo, formatDuration } from '../../common/format.ts'
import { HOUR, worst } from './facts.ts'
import { lastExpectedRun } from './schedule.ts'
import { expectsData, noData, type EffectiveSla } from './sla.ts'

interface OutputVerdict {
  status: KnownStatus
  score: number
  reason: string
  ageMs?: number
}

/** Time of the last successful write of an output: a COMPLETE producing run, an OL write, or a dbt source's max_loaded_at. */
export function lastWriteOf(o: OutputFacts): string | null {
  let best: string | null = null
  const take = (t: string | null | undefined) => {
    if (t && (best === null || Date.parse(t) > Date.parse(best))) best = t
  }
  for (const r of o.runs) if (r.state === 'COMPLETE') take(r.endedAt ?? r.startedAt)
  for (const t of o.writeSignals) take(t)
  if (o.freshness)
    take(new Date(Date.parse(o.freshness.observedAt) - o.freshness.value * 1000).toISOString())
  return best
}

/**
 * Freshness: each output's last successful write against `max_age_hours`, and against its
 * cron-scheduled producing DAG (late once the last expected run + grace passed with no write
 * after it; a paused DAG is never late). Stale upstream dbt sources pass their status on.
 * Returns undefined when nothing is promised and nothing can be judged.
 */
export function scoreFreshness(
  outputs: OutputFacts[],
  upstream: UpstreamFacts[],
  sla: EffectiveSla,
  now: Date,
): DimensionResult | undefined {
  const declared = expectsData(sla, 'freshness')
  const maxAge = sla.freshness.max_age_hours
  const warnAge = sla.freshness.warn_age_hours
  const graceMs = sla.freshness.grace_minutes * 60_000
  const useSchedule = sla.freshness.use_schedule
  const verdicts: OutputVerdict[] = []
  for (const o of outputs) {
    const v = judgeOutput(o, { maxAge, warnAge, graceMs, useSchedule, declared }, now)
    if (v) verdicts.push(v)
  }
  if (sla.freshness.upstream_sources) {
    for (const u of upstream) {
      const f = u.freshness
      if (!f || (f.status !== 'warn' && f.status !== 'error')) continue
      const age = Date.parse(f.observedAt) - f.value * 1000
      verdicts.push({
        status: f.status === 'error' ? 'breach' : 'warn',
        score: f.status === 'error' ? 20 : 70,
        reason: `upstream source ${u.name} (${u.domain ?? 'no domain'}) is stale: last loaded ${formatAgo(age, now)} (dbt source freshness ${f.status})`,
      })
    }
  }
  if (verdicts.length === 0)
    return noData(sla, 'freshness', 'no successful write of any output observed')
  return combine('freshness', verdicts)
}

function judgeOutput(
  o: OutputFacts,
  opts: {
    maxAge?: number | undefined
    warnAge?: number | undefined
    graceMs: number
    useSchedule: boolean
    declared: boolean
  },
  now: Date,
): OutputVerdict | undefined {
  const last = lastWriteOf(o)
  const ageMs = last === null ? undefined : now.getTime() - Date.parse(last)
  const found: OutputVerdict[] = []
  const scheduled = opts.useSchedule
    ? o.dags.filter((d) => d.schedule?.cron || d.schedule?.paused)
    : []
  let paused = false
  for (const dag of scheduled) {
    if (dag.schedule?.paused) {
      paused = true
      found.push({
        status: 'ok',
        score: 100,
        reason: `${o.name}: producing DAG ${dag.name} is paused, so no run is expected`,
      })
      continue
    }
    const expected = lastExpectedRun(dag.schedule?.cron ?? '', {
      now,
      graceMs: opts.graceMs,
      timezone: dag.schedule?.timezone,
    })
    if (!expected) continue
    const lastOk = [last, dag.lastSuccessAt]
      .filter((t): t is string => t !== null)
      .sort()
      .at(-1)
    if (lastOk === undefined) {
      if (opts.declared)
        found.push({
          status: 'warn',
          score: 50,
          reason: `no data yet: ${o.name} was never written (DAG ${dag.name} never succeeded)`,
        })
    } else if (Date.parse(lastOk) < expected.at.getTime()) {
      found.push({
        status: 'breach',
        score: 20,
        reason: `${o.name} is late: DAG ${dag.name} (${dag.schedule?.summary ?? dag.schedule?.cron}) was due at ${expected.at.toISOString()} + ${formatDuration(opts.graceMs)} grace; last successful write ${lastOk}`,
        ...(ageMs === undefined ? {} : { ageMs }),
      })
    } else {
      found.push({
        status: 'ok',
        score: 100,
        reason: `${o.name} is on schedule: written ${formatAgo(lastOk, now)}, next run due ${expected.next.toISOString()}`,
      })
    }
  }
  found.push(...deadlineVerdicts(o))
  // A paused producer is not expected to write, so its age is not held against it.
  if (paused) return combineOutput(found)
  if (opts.maxAge !== undefined) {
    if (ageMs === undefined) {
      if (opts.declared)
        found.push({
          status: 'warn',
          score: 50,
          reason: `no data yet: ${o.name} was never written`,
        })
    } else {
      const ratio = ageMs / (opts.maxAge * HOUR)
      const status: KnownStatus =
        ratio > 1
          ? 'breach'
          : opts.warnAge !== undefined && ageMs > opts.warnAge * HOUR
            ? 'warn'
            : 'ok'
      found.push({
        status,
        score: status === 'ok' ? 100 : status === 'warn' ? 70 : Math.round(40 / ratio),
        reason:
          status === 'ok'
            ? `${o.name} was written ${formatAgo(now.getTime() - ageMs, now)} (max ${opts.maxAge} h)`
            : `${o.name} was last written ${formatAgo(now.getTime() - ageMs, now)}, over its ${status === 'warn' ? `${opts.warnAge} h warning` : `${opts.maxAge} h maximum`}`,
        ageMs,
      })
    }
  } else if (o.freshness && (o.freshness.status === 'warn' || o.freshness.status === 'error')) {
    found.push({
      status: o.freshness.status === 'error' ? 'breach' : 'warn',
      score: o.freshness.status === 'error' ? 20 : 70,
      reason: `${o.name} is stale per dbt source freshness (${o.freshness.status})`,
    })
  }
  return found.length === 0 ? undefined : combineOutput(found)
}

/**
 * A producing DAG whose newest run missed an Airflow Deadline Alert (as the OpenLineage provider
 * reports it) breaches freshness, whatever the output's age: the run was promised by a time and
 * was not done by then. A later run that meets its deadlines clears it.
 */
function deadlineVerdicts(o: OutputFacts): OutputVerdict[] {
  const out: OutputVerdict[] = []
  for (const dag of o.dags) {
    const run = dag.latestRun
    if (!run) continue
    const runName = providerRunInfo(run.facets)?.dagRunId ?? run.runId
    for (const d of missedDeadlines(run.facets)) {
      const due =
        d.deadlineTime && !Number.isNaN(Date.parse(d.deadlineTime))
          ? ` (due ${new Date(d.deadlineTime).toISOString()})`
          : ''
      out.push({
        status: 'breach',
        score: 20,
        reason: `${o.name}: DAG ${dag.name} missed its deadline${d.name ? ` "${d.name}"` : ''}${due} in run ${runName}`,
      })
    }
  }
  return out
}

function combineOutput(found: OutputVerdict[]): OutputVerdict {
  const status = worst(...found.map((f) => f.status))
  const pick =
    found.filter((f) => f.status === status).sort((a, b) => a.score - b.score)[0] ?? found[0]
  if (!pick) return { status: 'ok', score: 100, reason: '' }
  return pick
}

/** One dimension from per-item verdicts: the worst status, the lowest score, its reason first. */
export function combine(
  dimension: DimensionResult['dimension'],
  verdicts: { status: KnownStatus; score: number; reason: string }[],
): DimensionResult {
  const sorted = [...verdicts].sort((a, b) => a.score - b.score)
  const status = verdicts.reduce<KnownStatus>((a, v) => worst(a, v.status), 'ok')
  const first = sorted.find((v) => v.status === status) ?? sorted[0]
  const others = verdicts.filter((v) => v.status !== 'ok' && v !== first).length
  return {
    dimension,
    status,
    score: Math.max(0, Math.min(100, Math.round(Math.min(...verdicts.map((v) => v.score))))),
    reason: `${first?.reason ?? ''}${others > 0 ? ` (and ${others} more)` : ''}`,
  }
}
