import type { Db } from '../db/client.ts'
import { sqliteDbOf, type Store } from '../db/store.ts'

/** The SQLite Db under deps built on a SQLite store, for a test's direct reads (the #16 ratchet). */
export function dbOf(deps: { store: Store }): Db {
  const db = sqliteDbOf(deps.store)
  if (!db) throw new Error('these deps are not on a SQLite store')
  return db
}
