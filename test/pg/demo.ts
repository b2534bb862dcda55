import { getTableColumns, getTableName } from 'drizzle-orm'
import type { PgTable } from 'drizzle-orm/pg-core'
import type pg from 'pg'
import type { Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { columnName } from '../../db/pg/rows.ts'
import * as pgSchema from '../../db/pg/schema.ts'
import { badDay } from '../server/alerts/helpers.ts'
import { createDatabase } from './helpers.ts'
import { dbOf } from '../store-deps.ts'

// The demo store on both engines: the demo mesh evaluated on its good day, then its bad day (the
// alert outbox, incidents and their transitions filled by the real evaluator), in SQLite, then
// copied row by row, ids kept, into a new PostgreSQL database.
// A stopgap until db/pg/copy.ts (the `store copy` core, h-pgread) lands: then it copies.

const TABLES = Object.values(pgSchema) as PgTable[]

/** Copies every table of the SQLite store into the migrated, empty PostgreSQL one, ids kept. */
export async function copyStore(db: Db, pool: pg.Pool): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    await client.query('set local session_replication_role = replica') // no FK order needed
    for (const table of TABLES) {
      const name = getTableName(table)
      const columns = Object.values(getTableColumns(table))
      const rows = db.$client.prepare(`select * from "${name}"`).all() as Record<string, unknown>[]
      for (let i = 0; i < rows.length; i += 2000) {
        const part = rows.slice(i, i + 2000).map((r) => {
          const o: Record<string, unknown> = {}
          for (const c of columns) {
            const v = r[columnName(c)]
            o[columnName(c)] =
              v === null || v === undefined
                ? null
                : c.columnType === 'PgJson'
                  ? JSON.parse(v as string)
                  : c.columnType === 'PgBoolean'
                    ? v !== 0
                    : Buffer.isBuffer(v)
                      ? `\\x${v.toString('hex')}`
                      : v
          }
          return o
        })
        await client.query(
          `insert into "${name}" select * from json_populate_recordset(null::"${name}", $1::json)`,
          [JSON.stringify(part)],
        )
      }
      if (columns.some((c) => columnName(c) === 'id' && c.columnType === 'PgBigInt53'))
        await client.query(
          `select setval(pg_get_serial_sequence('"${name}"', 'id'), coalesce((select max(id) from "${name}"), 0) + 1, false)`,
        )
    }
    await client.query('commit')
  } finally {
    client.release()
  }
}

/** The demo's bad day in SQLite (in memory) and the same rows in a new PostgreSQL database. */
export async function demoOnBoth(): Promise<{ db: Db; pool: pg.Pool; now: Date }> {
  const { deps, clock } = await badDay()
  const pool = await openPgPool(await createDatabase())
  await copyStore(dbOf(deps), pool)
  return { db: dbOf(deps), pool, now: clock.now() }
}
