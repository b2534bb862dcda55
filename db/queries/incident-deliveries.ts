import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { addDigestItems, type NewDigestItem } from './incident-digests.ts'
import {
  incidentDeliveries,
  incidentRouteHolds,
  incidents,
  incidentTransitions,
  type IncidentDeliveryRow,
} from '../schema.ts'

// Written out qualified: drizzle renders ${incidents.id} as a bare "id", which inside the
// subquery would be the transition's own id (t.incident_id = t.id).
const latestTransition = sql<number>`(select coalesce(max(t.id), 0) from incident_transitions t where t.incident_id = "incidents"."id")`

/** Incidents with transitions whose routes were not worked out yet. */
export const incidentsToFanOut = (db: Db, limit = 500) =>
  db
    .select({ incident: incidents, latest: latestTransition })
    .from(incidents)
    .where(sql`${latestTransition} > ${incidents.fannedOut}`)
    .orderBy(asc(incidents.id))
    .limit(limit)
    .all()

/**
 * Records the routes of an incident (once; a known one is left as it is) and the transitions its
 * digest routes collect, and marks the fan-out done up to `through`, in one transaction.
 */
export function addDeliveries(
  db: Db,
  incidentId: number,
  rows: Omit<typeof incidentDeliveries.$inferInsert, 'incidentId'>[],
  through: number,
  digest: readonly NewDigestItem[] = [],
): void {
  db.transaction(() => {
    addDigestItems(db, incidentId, digest)
    for (const r of rows)
      db.insert(incidentDeliveries)
        .values({ ...r, incidentId })
        .onConflictDoNothing()
        .run()
    db.update(incidents).set({ fannedOut: through }).where(eq(incidents.id, incidentId)).run()
  })
}

/**
 * Claims the active deliveries that have transitions to send and are due, with a lease (their
 * nextAttemptAt moves to `leaseUntil`, so a dispatcher that dies leaves them due again).
 */
export function claimDueDeliveries(
  db: Db,
  opts: { now: string; leaseUntil: string; limit: number },
): IncidentDeliveryRow[] {
  return db.transaction(
    () => {
      const due = db
        .select({ id: incidentDeliveries.id })
        .from(incidentDeliveries)
        .where(
          and(
            eq(incidentDeliveries.status, 'active'),
            lte(incidentDeliveries.nextAttemptAt, opts.now),
            sql`${incidentDeliveries.cursor} < (select coalesce(max(t.id), 0) from incident_transitions t where t.incident_id = "incident_deliveries"."incident_id")`,
          ),
        )
        .orderBy(asc(incidentDeliveries.nextAttemptAt), asc(incidentDeliveries.id))
        .limit(opts.limit)
        .all()
      if (due.length === 0) return []
      return db
        .update(incidentDeliveries)
        .set({
          nextAttemptAt: opts.leaseUntil,
          attempts: sql`${incidentDeliveries.attempts} + 1`,
          lastAttemptAt: opts.now,
        })
        .where(
          inArray(
            incidentDeliveries.id,
            due.map((d) => d.id),
          ),
        )
        .returning()
        .all()
        .sort((a, b) => a.id - b.id)
    },
    { behavior: 'immediate' },
  )
}

/** The transitions of an incident after `cursor`, oldest first. */
export const transitionsAfter = (db: Db, incidentId: number, cursor: number) =>
  db
    .select()
    .from(incidentTransitions)
    .where(and(eq(incidentTransitions.incidentId, incidentId), gt(incidentTransitions.id, cursor)))
    .orderBy(asc(incidentTransitions.id))
    .all()

/** A transition (or the first post) went out: the cursor moves on and the failure streak ends. */
export function advanceDelivery(
  db: Db,
  id: number,
  set: { cursor: number; at: string; ref?: IncidentDeliveryRow['ref'] },
): void {
  db.update(incidentDeliveries)
    .set({
      cursor: set.cursor,
      deliveredAt: set.at,
      attempts: 0,
      failingSince: null,
      lastError: null,
      ...(set.ref ? { ref: set.ref } : {}),
    })
    .where(eq(incidentDeliveries.id, id))
    .run()
}

/**
 * Moves a claimed delivery's lease on to `until` if this dispatcher still holds it (`held`: the
 * lease it claimed or last renewed it with). False when the lease ran out and another dispatcher
 * claimed it since (or it was settled): that one sends it, this one must not.
 */
export function renewDeliveryLease(db: Db, id: number, held: string, until: string): boolean {
  return (
    db
      .update(incidentDeliveries)
      .set({ nextAttemptAt: until })
      .where(
        and(
          eq(incidentDeliveries.id, id),
          eq(incidentDeliveries.status, 'active'),
          eq(incidentDeliveries.nextAttemptAt, held),
        ),
      )
      .run().changes === 1
  )
}

/** Sending is done for this round: due again at `nextAttemptAt` (now when more is waiting). */
export function scheduleDelivery(
  db: Db,
  id: number,
  set: { nextAttemptAt: string; error?: string; failingSince?: string },
): void {
  db.update(incidentDeliveries)
    .set({
      nextAttemptAt: set.nextAttemptAt,
      ...(set.error === undefined ? {} : { lastError: set.error }),
      ...(set.failingSince === undefined ? {} : { failingSince: set.failingSince }),
    })
    .where(eq(incidentDeliveries.id, id))
    .run()
}

export function failDelivery(db: Db, id: number, error: string): void {
  db.update(incidentDeliveries)
    .set({ status: 'failed', lastError: error })
    .where(eq(incidentDeliveries.id, id))
    .run()
}

export const deliveriesOf = (db: Db, incidentId: number) =>
  db
    .select()
    .from(incidentDeliveries)
    .where(eq(incidentDeliveries.incidentId, incidentId))
    .orderBy(asc(incidentDeliveries.id))
    .all()

/** The delivery of an incident's message on one Slack channel (the button clicked there came from it). */
export const deliveryAt = (db: Db, incidentId: number, ref: { channel: string; ts: string }) =>
  db
    .select()
    .from(incidentDeliveries)
    .where(
      and(
        eq(incidentDeliveries.incidentId, incidentId),
        sql`json_extract(${incidentDeliveries.ref}, '$.ts') = ${ref.ts}`,
        sql`json_extract(${incidentDeliveries.ref}, '$.channel') = ${ref.channel}`,
      ),
    )
    .get()

/** The Retry-After holds still running at `now`, by key (a Slack bot token's variable, or a route). */
export const activeHolds = (db: Db, now: string): Map<string, number> =>
  new Map(
    db
      .select()
      .from(incidentRouteHolds)
      .where(gt(incidentRouteHolds.until, now))
      .all()
      .map((h) => [h.key, Date.parse(h.until)]),
  )

/** Nothing goes out on `key` before `until` (a later hold replaces an earlier one, never the reverse). */
export function holdRoute(db: Db, key: string, until: string, reason: string): void {
  db.insert(incidentRouteHolds)
    .values({ key, until, reason })
    .onConflictDoUpdate({
      target: incidentRouteHolds.key,
      set: { until: sql`max(${incidentRouteHolds.until}, excluded.until)`, reason },
    })
    .run()
}
