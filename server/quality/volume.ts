import { combine } from './freshness.ts'
import type { DimensionResult, MetricFact, OutputFacts, KnownStatus } from './facts.ts'
import { noData, type EffectiveSla } from './sla.ts'

/**
 * Volume: the latest row count of each output (row_count, else rows_affected) within
 * `min_rows`/`max_rows`, or, without bounds, within a band learned from its history.
 */
export function scoreVolume(
  outputs: OutputFacts[],
  sla: EffectiveSla,
): DimensionResult | undefined {
  const { min_rows: min, max_rows: max, learn, tolerance, min_history: minHistory } = sla.volume
  const verdicts: { status: KnownStatus; score: number; reason: string }[] = []
  let counted = 0
  for (const o of outputs) {
    const series = seriesOf(o.volume)
    const latest = series.at(-1)
    if (!latest) continue
    counted++
    const rows = latest.value
    if (min !== undefined || max !== undefined) {
      const low = min !== undefined && rows < min
      const high = max !== undefined && rows > max
      verdicts.push(
        low || high
          ? {
              status: 'breach',
              score: 20,
              reason: `${o.name} has ${rows} rows, ${low ? `under the minimum of ${min}` : `over the maximum of ${max}`}`,
            }
          : { status: 'ok', score: 100, reason: `${o.name} has ${rows} rows, within bounds` },
      )
      continue
    }
    const history = series.slice(0, -1).slice(-30)
    if (!learn || history.length < minHistory) continue
    const med = median(history.map((m) => m.value))
    const lo = med / tolerance
    const hi = med * tolerance
    if (rows === 0 && med > 0) {
      verdicts.push({
        status: 'breach',
        score: 10,
        reason: `${o.name} is empty; it usually has about ${Math.round(med)} rows`,
      })
    } else if (rows < lo || rows > hi) {
      verdicts.push({
        status: 'warn',
        score: 60,
        reason: `${o.name} has ${rows} rows, outside its usual band ${Math.round(lo)}–${Math.round(hi)} (median of ${history.length} loads)`,
      })
    } else {
      verdicts.push({
        status: 'ok',
        score: 100,
        reason: `${o.name} has ${rows} rows, within its usual band`,
      })
    }
  }
  if (verdicts.length === 0) {
    if (counted === 0) return noData(sla, 'volume', 'no row count observed for the outputs')
    // Row counts exist, but nothing to hold them against yet: no bounds, too short a history.
    return noData(
      sla,
      'volume',
      `no bounds promised and too few loads to learn a band from (needs ${minHistory} before the latest)`,
    )
  }
  return combine('volume', verdicts)
}

function seriesOf(metrics: MetricFact[]): MetricFact[] {
  const counts = metrics.filter((m) => m.name === 'row_count')
  const chosen = counts.length > 0 ? counts : metrics.filter((m) => m.name === 'rows_affected')
  return [...chosen].sort((a, b) => Date.parse(a.observedAt) - Date.parse(b.observedAt))
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2
}
