import type { IncidentRow } from '../../db/schema.ts'
import type { Store } from '../../db/store.ts'
import { fail } from '../errors.ts'

export const DEFAULT_MUTE_MS = 24 * 3_600_000

/** Who acts: an admin (or auth off), or a token of one domain; `name` is what the timeline shows. */
export interface Actor {
  admin: boolean
  domain: string | null
  name: string
}

export type IncidentAction =
  | { op: 'ack'; note?: string | undefined }
  | { op: 'mute'; until: string; note?: string | undefined }
  | { op: 'resolve'; reason: string }

export interface ActionResult {
  incident: IncidentRow
  /** The consumer domain whose own notification was acknowledged (a consumer's ack). */
  consumer?: string
  /** False when nothing changed (acknowledging twice). */
  changed: boolean
  transitionId?: number
}

/**
 * Acknowledges, mutes or resolves an incident by hand, checked against the incident's domain in
 * the write's own transaction: the owning domain's token or an admin may do all three; a domain the
 * incident's blast radius reached may only acknowledge its own notification; any other is refused (403).
 */
export function actOnIncident(
  store: Store,
  id: number,
  action: IncidentAction,
  actor: Actor,
  at: string,
): Promise<ActionResult> {
  return store.transaction(async (tx) => {
    const q = tx.incidents
    const inc = await q.lockIncident(id)
    if (!inc) fail(404, 'not_found', `unknown incident ${id}`)
    const owner = actor.admin || actor.domain === inc.domain
    if (!owner) {
      const consumer = (await q.consumersOf(id)).find((c) => c.domain === actor.domain)
      if (!consumer || action.op !== 'ack' || !actor.domain)
        fail(
          403,
          'forbidden',
          consumer
            ? `incident ${id} belongs to domain ${inc.domain}: domain ${actor.domain} may only acknowledge its own notification`
            : `incident ${id} belongs to domain ${inc.domain}; this token is of ${actor.domain ? `domain ${actor.domain}` : 'no domain'}`,
          '$.id',
        )
      if (consumer.acknowledgedAt)
        return { incident: inc, consumer: consumer.domain, changed: false }
      await q.acknowledgeConsumer(id, consumer.domain, { at, by: actor.name })
      const transitionId = await record(tx, inc, 'acknowledged', at, actor, action.note)
      return { incident: inc, consumer: consumer.domain, changed: true, transitionId }
    }
    if (inc.status === 'resolved')
      fail(409, 'conflict', `incident ${id} is resolved; it reopens by itself if it breaks again`)
    if (action.op === 'ack') {
      if (inc.status === 'acknowledged') return { incident: inc, changed: false }
      const row = await q.updateIncident(id, {
        status: 'acknowledged',
        acknowledgedAt: at,
        acknowledgedBy: actor.name,
        updatedAt: at,
      })
      return {
        incident: row,
        changed: true,
        transitionId: await record(tx, row, 'acknowledged', at, actor, action.note),
      }
    }
    if (action.op === 'mute') {
      if (Date.parse(action.until) <= Date.parse(at))
        fail(400, 'invalid_request', `until ${action.until} is not after now (${at})`, '$.until')
      const row = await q.updateIncident(id, { mutedUntil: action.until, updatedAt: at })
      const note = `muted until ${action.until}${action.note ? `: ${action.note}` : ''}`
      return {
        incident: row,
        changed: true,
        transitionId: await record(tx, row, 'muted', at, actor, note),
      }
    }
    const row = await q.updateIncident(id, {
      status: 'resolved',
      resolvedAt: at,
      resolution: 'manual',
      resolvedBy: actor.name,
      resolveReason: action.reason,
      updatedAt: at,
    })
    await q.resolveConsumers(id, at)
    return {
      incident: row,
      changed: true,
      transitionId: await record(tx, row, 'resolved', at, actor, action.reason),
    }
  })
}

function record(
  tx: Store,
  inc: IncidentRow,
  kind: 'acknowledged' | 'muted' | 'resolved',
  at: string,
  actor: Actor,
  note: string | undefined,
): Promise<number> {
  return tx.incidents.insertTransition({
    incidentId: inc.id,
    kind,
    at,
    actor: actor.name,
    actorDomain: actor.domain,
    note: note ?? null,
    productStatus: inc.productStatus,
    score: inc.score,
    changes: [],
    rootCause: inc.rootCause,
    blastRadius: inc.blastRadius,
    episodeId: inc.episodeId,
  })
}
