import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3'
import { migrate } from 'drizzle-orm/better-sqlite3/migrator'
import * as schema from './schema.ts'

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database }

const MIGRATIONS = fileURLToPath(new URL('./migrations', import.meta.url))

/** Opens (creating if needed) the SQLite store, in WAL mode, with every migration applied. */
export function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const client = new Database(file)
  // 8 KB pages for a new store (an existing one keeps its size): a dataset row with its columns'
  // JSON is often 2-3 KB, and only one such row fits a 4 KB page (the rest left empty).
  client.pragma('page_size = 8192')
  client.pragma('journal_mode = WAL')
  // NORMAL is durable in WAL mode except on power loss; FULL survives that too, so acknowledged data stays.
  client.pragma('synchronous = FULL')
  client.pragma('foreign_keys = ON')
  client.pragma('busy_timeout = 5000')
  // A 16 MB page cache (default 2 MB) keeps a big batch's index pages in memory while it is stored.
  client.pragma('cache_size = -16384')
  const db = drizzle({ client, schema, casing: 'snake_case' })
  migrate(db, { migrationsFolder: MIGRATIONS })
  return db
}

export function closeDb(db: Db): void {
  db.$client.close()
}

/**
 * Runs `fn` with foreign-key enforcement off, then on again (also when it throws): replay clears
 * and rebuilds tables that evaluations point into. SQLite ignores the switch inside a transaction,
 * so this is called outside one and `fn` opens its own.
 */
export function withoutForeignKeys<T>(db: Db, fn: () => T): T {
  if (db.$client.inTransaction)
    throw new Error('withoutForeignKeys must be called outside a transaction')
  db.$client.pragma('foreign_keys = OFF')
  try {
    return fn()
  } finally {
    db.$client.pragma('foreign_keys = ON')
  }
}
