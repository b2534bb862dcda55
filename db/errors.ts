import Database from 'better-sqlite3'

/**
 * The store could not take or keep its lock in time (another writer held it past busy_timeout):
 * nothing was written, and the same call may succeed shortly. The HTTP API answers 503 with
 * Retry-After; the CLI says to retry. `code` is SQLite's (SQLITE_BUSY, SQLITE_LOCKED, …).
 */
export class StoreBusyError extends Error {
  override name = 'StoreBusyError'
  readonly code: string
  constructor(code: string, options?: { cause?: unknown }) {
    super(
      `the store is busy (${code}): another process held its write lock too long; retry shortly`,
      options,
    )
    this.code = code
  }
}

/** SQLite's busy and locked result codes, extended ones included (SQLITE_BUSY_SNAPSHOT, …). */
const BUSY = /^SQLITE_(BUSY|LOCKED)(_|$)/

/**
 * An error from the store as the rest of the app sees it: SQLite's busy/locked errors become a
 * StoreBusyError (the original as its cause); anything else is returned as it is.
 */
export function storeErrorOf(e: unknown): unknown {
  if (e instanceof StoreBusyError) return e
  if (e instanceof Database.SqliteError && BUSY.test(e.code))
    return new StoreBusyError(e.code, { cause: e })
  return e
}
