import { and, asc, eq, isNull } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { collectorState } from '../schema.ts'

export type CollectorStateRow = typeof collectorState.$inferSelect

export function getCollectorState(db: Db, name: string): CollectorStateRow | undefined {
  return db.select().from(collectorState).where(eq(collectorState.name, name)).get()
}

export function listCollectorStates(db: Db): CollectorStateRow[] {
  return db.select().from(collectorState).orderBy(asc(collectorState.name)).all()
}

/** A successful poll: its cursor and time (call inside the transaction that stored its batch). */
export function recordPollSuccess(db: Db, name: string, cursor: string, at: string): void {
  db.insert(collectorState)
    .values({ name, cursor, lastAttemptAt: at, lastSuccessAt: at, lastError: null })
    .onConflictDoUpdate({
      target: collectorState.name,
      set: { cursor, lastAttemptAt: at, lastSuccessAt: at, lastError: null },
    })
    .run()
}

/**
 * A successful poll that read the cursor `from` (null: none): moves it to `to`, as
 * recordPollSuccess does, only while the stored cursor is still `from`; false, and nothing
 * written, when another poll moved it since (db/pg/cursor.ts: replicas sharing one store).
 */
export function advancePollCursor(
  db: Db,
  name: string,
  from: string | null,
  to: string,
  at: string,
): boolean {
  const set = { cursor: to, lastAttemptAt: at, lastSuccessAt: at, lastError: null }
  const moved = db
    .update(collectorState)
    .set(set)
    .where(
      and(
        eq(collectorState.name, name),
        from === null ? isNull(collectorState.cursor) : eq(collectorState.cursor, from),
      ),
    )
    .run()
  if (moved.changes > 0) return true
  if (from !== null) return false
  return (
    db
      .insert(collectorState)
      .values({ name, ...set })
      .onConflictDoNothing()
      .run().changes > 0
  )
}

/** A failed poll: the cursor stays where it was, so the next poll reads the same window again. */
export function recordPollFailure(db: Db, name: string, error: string, at: string): void {
  db.insert(collectorState)
    .values({ name, lastAttemptAt: at, lastError: error })
    .onConflictDoUpdate({
      target: collectorState.name,
      set: { lastAttemptAt: at, lastError: error },
    })
    .run()
}
