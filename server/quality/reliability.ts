import type { DimensionResult, OutputFacts, KnownStatus } from './facts.ts'
import { noData, type EffectiveSla } from './sla.ts'

const TERMINAL = new Set(['COMPLETE', 'FAIL', 'ABORT'])

/** Reliability: share of finished producing runs that succeeded within the last `window_days`. */
export function scoreReliability(
  outputs: OutputFacts[],
  sla: EffectiveSla,
  now: Date,
): DimensionResult | undefined {
  const { window_days: days, min_success_rate: target, breach_below: floor } = sla.reliability
  const since = now.getTime() - days * 86_400_000
  const seen = new Set<string>()
  let ok = 0
  let total = 0
  for (const o of outputs) {
    for (const r of o.runs) {
      const at = r.endedAt ?? r.startedAt
      if (!at || !TERMINAL.has(r.state) || Date.parse(at) < since || Date.parse(at) > now.getTime())
        continue
      const k = `${r.jobId}@${at}`
      if (seen.has(k)) continue
      seen.add(k)
      total++
      if (r.state === 'COMPLETE') ok++
    }
  }
  if (total === 0)
    return noData(sla, 'reliability', `no producing run finished in the last ${days} days`)
  const rate = ok / total
  const status: KnownStatus = rate >= target ? 'ok' : rate >= floor ? 'warn' : 'breach'
  return {
    dimension: 'reliability',
    status,
    score: Math.round(rate * 100),
    reason: `${ok} of ${total} producing runs succeeded in the last ${days} days (${Math.round(rate * 100)}%, promised ${Math.round(target * 100)}%)`,
    detail: { ok, total, rate },
  }
}
