import type { IncidentChannel } from '../../common/incident-vocab.ts'
import type { Db } from '../../db/client.ts'
import {
  consumersOf,
  getIncident,
  transitionsOf,
  webhookAlertsOf,
} from '../../db/queries/incidents.ts'
import { deliveriesOf } from '../../db/queries/incident-deliveries.ts'
import { digestItemsOf } from '../../db/queries/incident-digests.ts'
import type { IncidentRow } from '../../db/schema.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { describeAlert } from '../routes/alerts.ts'

/** An incident as the list shows it: its state, never a secret (routes appear by variable name). */
export function summarizeIncident(r: IncidentRow, now: Date) {
  return {
    id: r.id,
    productId: r.productId,
    title: r.title,
    domain: r.domain,
    status: r.status,
    muted:
      r.status !== 'resolved' && r.mutedUntil !== null && Date.parse(r.mutedUntil) > now.getTime(),
    severity: r.severity,
    productStatus: r.productStatus,
    score: r.score,
    detectedAt: r.detectedAt,
    startedAt: r.startedAt,
    acknowledgedAt: r.acknowledgedAt,
    acknowledgedBy: r.acknowledgedBy,
    mutedUntil: r.mutedUntil,
    resolvedAt: r.resolvedAt,
    resolution: r.resolution,
    resolvedBy: r.resolvedBy,
    resolveReason: r.resolveReason,
    reopened: r.reopened,
    rootCause: r.rootCause,
    blastRadius: r.blastRadius,
    updatedAt: r.updatedAt,
  }
}

/** One incident: its state, its timeline (with the root cause at each step), its consumers and its deliveries per channel. */
export function viewIncident(db: Db, cfg: MeshwatchConfig, id: number, now: Date) {
  const inc = getIncident(db, id)
  if (!inc) return undefined
  const timeline = transitionsOf(db, id).map((t) => ({
    id: t.id,
    kind: t.kind,
    at: t.at,
    actor: t.actor,
    actorDomain: t.actorDomain,
    note: t.note,
    productStatus: t.productStatus,
    score: t.score,
    changes: t.changes,
    rootCause: t.rootCause,
    blastRadius: t.blastRadius,
  }))
  const episodes = [...new Set(transitionsOf(db, id).map((t) => t.episodeId))]
  return {
    incident: summarizeIncident(inc, now),
    timeline,
    consumers: consumersOf(db, id).map(({ incidentId: _, ...c }) => c),
    deliveries: {
      ...byChannel(
        deliveriesOf(db, id).map((d) => ({
          id: d.id,
          channel: d.channel,
          route: d.routeKey,
          audience: d.audience,
          status: d.status,
          deliveredThrough: d.cursor,
          pending: timeline.filter((t) => t.id > d.cursor).length,
          deliveredAt: d.deliveredAt,
          attempts: d.attempts,
          nextAttemptAt: d.nextAttemptAt,
          lastError: d.lastError,
        })),
      ),
      'slack-webhook': webhookAlertsOf(db, episodes).map((a) => describeAlert(cfg, a)),
    },
    /** The transitions a digest route collected: when their digest is (or was) due, and whether it went out. */
    digests: digestItemsOf(db, id).map((d) => ({
      transition: d.transitionId,
      channel: d.channel,
      route: d.routeKey,
      audience: d.audience,
      status: d.status,
      dueAt: d.dueAt,
      sentAt: d.sentAt,
      attempts: d.attempts,
      lastError: d.lastError,
    })),
  }
}

// Keyed by the channel names (not any string), so the page's typed client sees every channel.
function byChannel<T extends { channel: IncidentChannel }>(
  rows: T[],
): Partial<Record<IncidentChannel, T[]>> {
  const out: Partial<Record<IncidentChannel, T[]>> = {}
  for (const r of rows) (out[r.channel] ??= []).push(r)
  return out
}
