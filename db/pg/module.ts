import type pg from 'pg'
import type { Db } from '../client.ts'

// The contract between a SQLite query module (db/queries/X.ts: sync functions whose first
// parameter is the Db) and its PostgreSQL counterpart (db/pg/queries/X.ts): the same functions,
// by the same names and arguments, on a PostgreSQL connection, awaited, with answers that are
// JSON-equal to SQLite's on the same data. A PostgreSQL module is declared as
//
//   export const catalog = { async getDataset(q, id) { … }, … } satisfies PgModule<typeof lite>
//
// so a function missing, renamed or answering another shape does not compile.

/** A PostgreSQL connection: the pool (each statement its own transaction) or a client inside one. */
export type PgConn = pg.Pool | pg.PoolClient

/** The PostgreSQL version of one SQLite query function. */
export type PgVersion<F> = F extends (db: Db, ...args: infer A) => infer R
  ? (q: PgConn, ...args: A) => Promise<Awaited<R>>
  : never

/** Every function of a SQLite query module that takes the Db first, in its PostgreSQL version. */
export type PgModule<M> = {
  [K in keyof M as M[K] extends (db: Db, ...args: never[]) => unknown ? K : never]: PgVersion<M[K]>
}
