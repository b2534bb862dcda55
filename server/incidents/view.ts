import type { IncidentChannel } from '../../common/incident-vocab.ts'
import type { IncidentRow } from '../../db/schema.ts'
import type { Store } from '../../db/store.ts'
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
export async function viewIncident(store: Store, cfg: MeshwatchConfig, id: number, now: Date) {
  const inc = await store.incidents.getIncident(id)
  if (!inc) return undefined
  const transitions = await store.incidents.transitionsOf(id)
  const timeline = transitions.map((t) => ({
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
  const episodes = [...new Set(transitions.map((t) => t.episodeId))]
  const [consumers, deliveries, alerts, digests] = await Promise.all([
    store.incidents.consumersOf(id),
    store.incidentDeliveries.deliveriesOf(id),
    store.incidents.webhookAlertsOf(episodes),
    store.incidentDigests.digestItemsOf(id),
  ])
  return {
    incident: summarizeIncident(inc, now),
    timeline,
    consumers: consumers.map(({ incidentId: _, ...c }) => c),
    deliveries: {
      ...byChannel(
        deliveries.map((d) => ({
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
      'slack-webhook': alerts.map((a) => describeAlert(cfg, a)),
    },
    /** The transitions a digest route collected: when their digest is (or was) due, and whether it went out. */
    digests: digests.map((d) => ({
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
