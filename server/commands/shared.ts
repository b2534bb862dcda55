import type { Db } from '../../db/client.ts'
import { openStore } from '../../db/open-store.ts'
import { sqliteDbOf, StoreUnsupportedError, type Store } from '../../db/store.ts'
import { loadConfig } from '../config.ts'

/** Bad usage or unreadable input: exit code 2 with the reason. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export const dbFileOf = (opts: { db?: string }): string => {
  if (opts.db) return opts.db
  const cfg = loadConfig(process.env)
  if (!cfg.ok) throw new UsageError(`bad environment: ${cfg.message}`)
  return cfg.env.MESHWATCH_DB
}

/** The store of --db, else $MESHWATCH_DB (a SQLite file or a postgres:// URL), opened and migrated. */
export const openCommandStore = (opts: { db?: string }): Promise<Store> =>
  openStore(dbFileOf(opts), { source: opts.db ? '--db' : 'MESHWATCH_DB' })

/**
 * The ratchet of #16 for a command whose code still takes the SQLite Db (`what` names it): the
 * store's Db, or, on PostgreSQL, the store closed and a StoreUnsupportedError (exit 1, no stack).
 */
export async function commandDbOf(store: Store, what: string): Promise<Db> {
  const db = sqliteDbOf(store)
  if (db) return db
  await store.close()
  throw new StoreUnsupportedError(what)
}

/** Progress on a TTY only, so CI logs and pipes stay clean. */
export function progress(label: string): {
  step(done: number, total: number, what?: string): void
  end(): void
} {
  const tty = process.stderr.isTTY === true
  return {
    step(done, total, what) {
      if (!tty) return
      process.stderr.write(`\r${label} ${done}/${total}${what ? ` ${what}` : ''}\u001b[K`)
    },
    end() {
      if (tty) process.stderr.write('\n')
    },
  }
}
