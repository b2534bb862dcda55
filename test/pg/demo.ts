import type pg from 'pg'
import type { Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { copyStore } from '../../db/pg/copy.ts'
import { badDay } from '../server/alerts/helpers.ts'
import { createDatabase } from './helpers.ts'
import { dbOf } from '../store-deps.ts'

// The demo store on both engines: the demo mesh evaluated on its good day, then its bad day (the
// alert outbox, incidents and their transitions filled by the real evaluator), in SQLite, then
// copied by `store copy`'s core (db/pg/copy.ts), ids kept, into a new PostgreSQL database.

export { copyStore }

/** The demo's bad day in SQLite (in memory) and the same rows in a new PostgreSQL database. */
export async function demoOnBoth(): Promise<{ db: Db; pool: pg.Pool; now: Date }> {
  const { deps, clock } = await badDay()
  const pool = await openPgPool(await createDatabase())
  await copyStore(dbOf(deps), pool)
  return { db: dbOf(deps), pool, now: clock.now() }
}

/** The product ids of a SQLite store, in id order (what the contract tests walk on both engines). */
export const productIdsOf = (db: Db): string[] =>
  (db.$client.prepare('select id from products order by id').all() as { id: string }[]).map(
    (r) => r.id,
  )
