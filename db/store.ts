import { closeDb, type Db } from './client.ts'
import { listRunEvents, pageRawEvents, type RawEventInput } from './queries/raw-events.ts'
import { rawEvents } from './schema.ts'

// The async store interface of #16: one contract, a SQLite implementation here (over the sync
// query modules, each method one transaction) and a PostgreSQL one in db/pg/store.ts. Phase 1
// covers the raw OpenLineage events only; serve and collect still call db/queries/ directly.

/** One raw OpenLineage event to keep, deduplicated by (eventTime, eventHash): without its derived batch. */
export type RawEventRow = Omit<RawEventInput, 'batch' | 'reads' | 'domain'> & {
  domain: string | null
}

export type RunEvent = ReturnType<typeof listRunEvents>[number]
export type RawEventPage = {
  id: number
  payload: string
  receivedAt: string
  domain: string | null
}[]

export interface Store {
  /** Keeps the events in order in one transaction; per event, true when it was new. */
  keepRawEvents(events: readonly RawEventRow[], now: string): Promise<boolean[]>
  /** A run's raw events in received order, parsed. */
  listRunEvents(runId: string): Promise<RunEvent[]>
  /** Raw events in received order, `limit` at a time after `afterId`. */
  pageRawEvents(afterId: number, limit: number): Promise<RawEventPage>
  close(): Promise<void>
}

export function sqliteStore(db: Db): Store {
  return {
    async keepRawEvents(events, now) {
      return db.transaction(
        (tx) =>
          events.map(
            (e) =>
              tx
                .insert(rawEvents)
                .values({ ...e, receivedAt: now })
                .onConflictDoNothing()
                .run().changes > 0,
          ),
        { behavior: 'immediate' },
      )
    },
    async listRunEvents(runId) {
      return listRunEvents(db, runId)
    },
    async pageRawEvents(afterId, limit) {
      return pageRawEvents(db, afterId, limit)
    },
    async close() {
      closeDb(db)
    },
  }
}
