import { and, asc, eq, inArray, lte, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { incidentDigestItems, type IncidentDigestItemRow } from '../schema.ts'

export type NewDigestItem = Omit<typeof incidentDigestItems.$inferInsert, 'incidentId'>

/** Records transitions for a route's digest (once: a known one is left as it is). */
export function addDigestItems(db: Db, incidentId: number, rows: readonly NewDigestItem[]): void {
  for (const r of rows)
    db.insert(incidentDigestItems)
      .values({ ...r, incidentId })
      .onConflictDoNothing()
      .run()
}

/** The last transition of an incident a route's digest took (0 for none): a living message that follows starts after it. */
export const digestedThrough = (
  db: Db,
  incidentId: number,
  routeKey: string,
  audience: string,
): number =>
  db
    .select({ max: sql<number>`coalesce(max(${incidentDigestItems.transitionId}), 0)` })
    .from(incidentDigestItems)
    .where(
      and(
        eq(incidentDigestItems.incidentId, incidentId),
        eq(incidentDigestItems.routeKey, routeKey),
        eq(incidentDigestItems.audience, audience),
      ),
    )
    .get()?.max ?? 0

/**
 * Claims the pending digest items that are due, with a lease (their nextAttemptAt moves to
 * `leaseUntil`, so a dispatcher that dies leaves them due again), oldest first.
 */
export function claimDueDigestItems(
  db: Db,
  opts: { now: string; leaseUntil: string; limit: number },
): IncidentDigestItemRow[] {
  return db.transaction(
    () => {
      const due = db
        .select({ id: incidentDigestItems.id })
        .from(incidentDigestItems)
        .where(
          and(
            eq(incidentDigestItems.status, 'pending'),
            lte(incidentDigestItems.nextAttemptAt, opts.now),
          ),
        )
        .orderBy(asc(incidentDigestItems.id))
        .limit(opts.limit)
        .all()
      if (due.length === 0) return []
      return db
        .update(incidentDigestItems)
        .set({
          nextAttemptAt: opts.leaseUntil,
          attempts: sql`${incidentDigestItems.attempts} + 1`,
        })
        .where(
          inArray(
            incidentDigestItems.id,
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

/** The items' digest went out (or, with `failed`, will never go out: the reason is kept). */
export function settleDigestItems(
  db: Db,
  ids: readonly number[],
  set: { sentAt: string } | { failed: string },
): void {
  db.update(incidentDigestItems)
    .set(
      'sentAt' in set
        ? { status: 'sent', sentAt: set.sentAt, lastError: null, failingSince: null }
        : { status: 'failed', lastError: set.failed },
    )
    .where(inArray(incidentDigestItems.id, [...ids]))
    .run()
}

/** The items' digest is tried again at `nextAttemptAt` (after a failure, with its reason). */
export function rescheduleDigestItems(
  db: Db,
  ids: readonly number[],
  set: { nextAttemptAt: string; error?: string; failingSince?: string },
): void {
  db.update(incidentDigestItems)
    .set({
      nextAttemptAt: set.nextAttemptAt,
      ...(set.error === undefined ? {} : { lastError: set.error }),
      ...(set.failingSince === undefined ? {} : { failingSince: set.failingSince }),
    })
    .where(inArray(incidentDigestItems.id, [...ids]))
    .run()
}

export const digestItemsOf = (db: Db, incidentId: number) =>
  db
    .select()
    .from(incidentDigestItems)
    .where(eq(incidentDigestItems.incidentId, incidentId))
    .orderBy(asc(incidentDigestItems.id))
    .all()
