import { asc, eq } from 'drizzle-orm'
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
