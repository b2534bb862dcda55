import { and, asc, desc, eq, inArray, isNull, lte, min, sql } from 'drizzle-orm'
import type { AlertStatus, Status } from '../../common/vocab.ts'
import type { Db } from '../client.ts'
import { alertEpisodes, alerts, products } from '../schema.ts'
import { chunk } from './merge.ts'

export type AlertRow = typeof alerts.$inferSelect
export type AlertInsert = typeof alerts.$inferInsert
export type EpisodeRow = typeof alertEpisodes.$inferSelect

export function openEpisodes(db: Db, productIds: string[]): Map<string, EpisodeRow> {
  const out = new Map<string, EpisodeRow>()
  for (const part of chunk(productIds, 5000)) {
    const rows = db
      .select()
      .from(alertEpisodes)
      .where(and(inArray(alertEpisodes.productId, part), isNull(alertEpisodes.closedAt)))
      .all()
    for (const r of rows) out.set(r.productId, r)
  }
  return out
}

export function productMeta(db: Db, productIds: string[]) {
  const out = new Map<string, { id: string; name: string; domain: string; owner: string | null }>()
  for (const part of chunk(productIds, 5000)) {
    const rows = db
      .select({
        id: products.id,
        name: products.name,
        domain: products.domain,
        owner: products.owner,
      })
      .from(products)
      .where(inArray(products.id, part))
      .all()
    for (const r of rows) out.set(r.id, r)
  }
  return out
}

export function insertEpisode(
  db: Db,
  e: { productId: string; domain: string; status: Status; at: string },
): number {
  const row = db
    .insert(alertEpisodes)
    .values({
      productId: e.productId,
      domain: e.domain,
      openedAt: e.at,
      status: e.status,
      worst: e.status,
      lastAlertAt: e.at,
    })
    .returning({ id: alertEpisodes.id })
    .get()
  return row.id
}

export function updateEpisode(
  db: Db,
  id: number,
  set: Partial<Pick<EpisodeRow, 'status' | 'worst' | 'lastAlertAt' | 'reminders' | 'closedAt'>>,
): void {
  db.update(alertEpisodes).set(set).where(eq(alertEpisodes.id, id)).run()
}

/** Adds alerts to the outbox; one whose dedupe key exists already is skipped. Returns the ids added. */
export function enqueueAlerts(db: Db, rows: AlertInsert[]): number[] {
  if (rows.length === 0) return []
  const ids: number[] = []
  for (const part of chunk(rows, 500)) {
    ids.push(
      ...db
        .insert(alerts)
        .values(part)
        .onConflictDoNothing({ target: alerts.dedupeKey })
        .returning({ id: alerts.id })
        .all()
        .map((r) => r.id),
    )
  }
  return ids
}

/**
 * Claims up to `limit` due pending alerts for one delivery attempt: their nextAttemptAt moves
 * to `leaseUntil`, so a dispatcher that dies mid-send leaves them due again once the lease ends.
 */
export function claimDueAlerts(
  db: Db,
  opts: { now: string; leaseUntil: string; limit: number },
): AlertRow[] {
  return db.transaction(
    (tx) => {
      const due = tx
        .select({ id: alerts.id })
        .from(alerts)
        .where(and(eq(alerts.status, 'pending'), lte(alerts.nextAttemptAt, opts.now)))
        .orderBy(asc(alerts.nextAttemptAt), asc(alerts.id))
        .limit(opts.limit)
        .all()
      if (due.length === 0) return []
      return tx
        .update(alerts)
        .set({
          nextAttemptAt: opts.leaseUntil,
          attempts: sql`${alerts.attempts} + 1`,
          lastAttemptAt: opts.now,
        })
        .where(
          and(
            inArray(
              alerts.id,
              due.map((d) => d.id),
            ),
            eq(alerts.status, 'pending'),
          ),
        )
        .returning()
        .all()
        .sort((a, b) => a.id - b.id)
    },
    { behavior: 'immediate' },
  )
}

export function markDelivered(db: Db, ids: number[], at: string): void {
  for (const part of chunk(ids, 5000)) {
    db.update(alerts)
      .set({ status: 'delivered', deliveredAt: at, lastError: null })
      .where(inArray(alerts.id, part))
      .run()
  }
}

export function markRetry(db: Db, ids: number[], nextAttemptAt: string, error: string): void {
  for (const part of chunk(ids, 5000)) {
    db.update(alerts)
      .set({ nextAttemptAt, lastError: error })
      .where(and(inArray(alerts.id, part), eq(alerts.status, 'pending')))
      .run()
  }
}

/**
 * Keeps claimed alerts invisible to other dispatchers until `until` (a longer send than the
 * claim's lease), but only those still under this dispatcher's lease (`held`: the `leaseUntil`
 * they were claimed with): one whose lease ran out and that another dispatcher claimed (or sent)
 * since is left to it. Returns the ids renewed, the only ones this dispatcher may send.
 */
export function renewLease(db: Db, ids: number[], held: string, until: string): number[] {
  const out: number[] = []
  for (const part of chunk(ids, 5000)) {
    const rows = db
      .update(alerts)
      .set({ nextAttemptAt: until })
      .where(
        and(inArray(alerts.id, part), eq(alerts.status, 'pending'), eq(alerts.nextAttemptAt, held)),
      )
      .returning({ id: alerts.id })
      .all()
    for (const r of rows) out.push(r.id)
  }
  return out.sort((a, b) => a - b)
}

export function markFailed(db: Db, ids: number[], error: string): void {
  for (const part of chunk(ids, 5000)) {
    db.update(alerts)
      .set({ status: 'failed', lastError: error })
      .where(inArray(alerts.id, part))
      .run()
  }
}

/**
 * Puts failed alerts (all, or the given ids) back in the queue, due at once: at their creation
 * time, which every dispatcher clock (the demo's included) has passed. Returns how many.
 */
export function requeueFailed(db: Db, ids?: number[]): number {
  const where = ids
    ? and(eq(alerts.status, 'failed'), inArray(alerts.id, ids))
    : eq(alerts.status, 'failed')
  return db
    .update(alerts)
    .set({ status: 'pending', nextAttemptAt: sql`${alerts.createdAt}` })
    .where(where)
    .run().changes
}

/** When the next pending alert falls due (ISO), if any. */
export function nextDueAt(db: Db): string | undefined {
  const r = db
    .select({ t: min(alerts.nextAttemptAt) })
    .from(alerts)
    .where(eq(alerts.status, 'pending'))
    .get()
  return r?.t ?? undefined
}

export interface ListAlertsOptions {
  status?: AlertStatus | undefined
  domain?: string | undefined
  productId?: string | undefined
  limit?: number | undefined
}

/** Alerts, newest first. */
export function listAlerts(db: Db, opts: ListAlertsOptions = {}): AlertRow[] {
  const where = and(
    opts.status ? eq(alerts.status, opts.status) : undefined,
    opts.domain ? eq(alerts.domain, opts.domain) : undefined,
    opts.productId ? eq(alerts.productId, opts.productId) : undefined,
  )
  return db
    .select()
    .from(alerts)
    .where(where)
    .orderBy(desc(alerts.id))
    .limit(opts.limit ?? 100)
    .all()
}

export function alertCounts(db: Db): Record<string, number> {
  const rows = db
    .select({ status: alerts.status, n: sql<number>`count(*)` })
    .from(alerts)
    .groupBy(alerts.status)
    .all()
  return Object.fromEntries(rows.map((r) => [r.status, r.n]))
}
