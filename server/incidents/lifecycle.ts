import type { BlastProduct } from '../../db/incident-shapes.ts'
import type { AlertRootCause } from '../../db/json-shapes.ts'
import type { IncidentRow } from '../../db/schema.ts'
import type { Status } from '../quality/facts.ts'

export const DEFAULT_REOPEN_MINUTES = 60

/** What an evaluation sees of a product now: its status, its open alert episode, why and whom it hurts. */
export interface IncidentInput {
  status: Status
  score: number | null
  at: string
  /** The product's open alert episode after this evaluation (server/alerts/outbox.ts). */
  episode: { id: number; worst: Status } | undefined
  rootCause: AlertRootCause | null
  blastRadius: BlastProduct[]
}

export type IncidentStep =
  | { op: 'none' }
  | { op: 'open' }
  | { op: 'reopen' }
  | { op: 'update'; changes: string[] }
  | { op: 'resolve' }

const blastKey = (b: readonly BlastProduct[]) =>
  b
    .map((p) => p.productId)
    .sort()
    .join(',')

/** What changed since the incident's last state: status, score (whole points), root cause, blast radius. */
export function changesOf(inc: IncidentRow, x: IncidentInput): string[] {
  const out: string[] = []
  if (inc.productStatus !== x.status) out.push('status')
  if (Math.round(inc.score ?? -1) !== Math.round(x.score ?? -1)) out.push('score')
  if ((inc.rootCause?.summary ?? null) !== (x.rootCause?.summary ?? null)) out.push('root cause')
  if (blastKey(inc.blastRadius) !== blastKey(x.blastRadius)) out.push('blast radius')
  return out
}

/**
 * How one evaluation moves a product's incident along: an alert episode with no incident opens
 * one, or reopens the last one when it was resolved less than `reopenMs` before; the incident of
 * the open episode is updated when something it shows changed; an incident whose episode closed
 * resolves (auto). One resolved by hand stays resolved while its episode lasts.
 */
export function decideIncident(
  inc: IncidentRow | undefined,
  x: IncidentInput,
  reopenMs: number,
): IncidentStep {
  if (!x.episode) return inc && inc.status !== 'resolved' ? { op: 'resolve' } : { op: 'none' }
  if (inc && inc.episodeId === x.episode.id) {
    if (inc.status === 'resolved') return { op: 'none' }
    const changes = changesOf(inc, x)
    return changes.length > 0 ? { op: 'update', changes } : { op: 'none' }
  }
  // An unresolved incident whose episode was closed unseen carries on with the new one.
  if (inc && inc.status !== 'resolved')
    return { op: 'update', changes: ['episode', ...changesOf(inc, x)] }
  if (inc?.resolvedAt && Date.parse(x.at) - Date.parse(inc.resolvedAt) <= reopenMs)
    return { op: 'reopen' }
  return { op: 'open' }
}
