import type { IncidentRow } from '../../db/schema.ts'

export interface DomainIncidentStats {
  domain: string
  incidents: number
  open: number
  /** Mean time to detect: from the upstream start to meshwatch's detection. */
  mttdMs: number | null
  /** Mean time to acknowledge, over the acknowledged ones: from detection. */
  mttaMs: number | null
  /** Mean time to resolve, over the resolved ones: from detection. */
  mttrMs: number | null
}

const mean = (xs: number[]): number | null =>
  xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length)

const span = (from: string, to: string | null): number[] =>
  to === null ? [] : [Math.max(0, Date.parse(to) - Date.parse(from))]

/** Per owning domain: how many incidents, how many still open, and their mean times (null when none to average). */
export function incidentStats(rows: readonly IncidentRow[]): DomainIncidentStats[] {
  const byDomain = new Map<string, IncidentRow[]>()
  for (const r of rows) byDomain.set(r.domain, [...(byDomain.get(r.domain) ?? []), r])
  return [...byDomain.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([domain, rs]) => ({
      domain,
      incidents: rs.length,
      open: rs.filter((r) => r.status !== 'resolved').length,
      mttdMs: mean(rs.flatMap((r) => span(r.startedAt, r.detectedAt))),
      mttaMs: mean(rs.flatMap((r) => span(r.detectedAt, r.acknowledgedAt))),
      mttrMs: mean(rs.flatMap((r) => span(r.detectedAt, r.resolvedAt))),
    }))
}
