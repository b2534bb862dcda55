import { getTableColumns, getTableName, type Column } from 'drizzle-orm'
import { toSnakeCase } from 'drizzle-orm/casing'
import type { PgTable } from 'drizzle-orm/pg-core'
import pg from 'pg'
import type { PgConn } from './module.ts'

// Helpers of the operations-side PostgreSQL modules (db/pg/queries/alerts.ts, incidents.ts, …):
// raw SQL that reads rows in drizzle's shape, and transactions that join the caller's.

/** A column's name in the database: the schema's keys are turned snake_case (casing: 'snake_case'). */
export const columnName = (c: Column): string => (c.keyAsName ? toSnakeCase(c.name) : c.name)

const SELECT_LISTS = new WeakMap<PgTable, Map<string, string>>()

/**
 * The select list of a table's every column as drizzle reads a row: `t."dedupe_key" as "dedupeKey"`.
 * With the pool's int8 parser (client.ts) and pg's json parsing, a raw row is then the same
 * object drizzle's `$inferSelect` describes (and the SQLite module returns).
 */
export function columnsOf(table: PgTable, alias = ''): string {
  let byAlias = SELECT_LISTS.get(table)
  if (!byAlias) SELECT_LISTS.set(table, (byAlias = new Map()))
  let list = byAlias.get(alias)
  if (list === undefined) {
    const prefix = alias === '' ? '' : `${alias}.`
    list = Object.entries(getTableColumns(table))
      .map(([key, c]) => `${prefix}"${columnName(c)}" as "${key}"`)
      .join(', ')
    byAlias.set(alias, list)
  }
  return list
}

/** The pool itself: each statement is its own transaction (no caller's transaction to join). */
export const isPool = (q: PgConn): q is pg.Pool => q instanceof pg.Pool

/**
 * Runs `fn` in one transaction: the caller's when `q` is a client (it owns BEGIN/COMMIT), else a
 * client of the pool's in a transaction of its own, committed when `fn` resolves.
 */
export async function inTransaction<T>(
  q: PgConn,
  fn: (tx: pg.PoolClient) => Promise<T>,
): Promise<T> {
  if (!isPool(q)) return fn(q)
  const client = await q.connect()
  try {
    await client.query('begin')
    const out = await fn(client)
    await client.query('commit')
    return out
  } catch (e) {
    await client.query('rollback').catch(() => undefined)
    throw e
  } finally {
    client.release()
  }
}

/**
 * An UPDATE's SET list from a partial row (drizzle property names), its values from `$first`:
 * `{ status, lastAlertAt }` → `"status" = $2, "last_alert_at" = $3`. Undefined values are left out,
 * as drizzle's `.set()` leaves them.
 */
export function setList(
  table: PgTable,
  set: Record<string, unknown>,
  first: number,
): { sql: string; values: unknown[] } {
  const columns = getTableColumns(table)
  const parts: string[] = []
  const values: unknown[] = []
  for (const [key, value] of Object.entries(set)) {
    if (value === undefined) continue
    const c = columns[key]
    if (!c) throw new Error(`${getTableName(table)}: no column ${key}`)
    values.push(c.columnType === 'PgJson' && value !== null ? JSON.stringify(value) : value)
    parts.push(`"${columnName(c)}" = $${first + values.length - 1}`)
  }
  return { sql: parts.join(', '), values }
}

const recordType = (c: { getSQLType(): string }) => c.getSQLType().replace(/ COLLATE "C"$/, '')

/**
 * Inserts rows (drizzle property names) in one statement from one JSON parameter, in order; with
 * `skipConflicts` a row that hits a unique key is skipped (ON CONFLICT DO NOTHING). As on SQLite
 * (AUTOINCREMENT), a skipped row still draws its id, so both engines number the next rows alike.
 * Returns the `returning` list of each inserted row.
 */
export async function insertRows<R>(
  q: PgConn,
  table: PgTable,
  rows: readonly Record<string, unknown>[],
  opts: { skipConflicts?: boolean; returning: string },
): Promise<R[]> {
  if (rows.length === 0) return []
  const columns = getTableColumns(table)
  const keys = Object.keys(columns).filter((k) => rows.some((r) => r[k] !== undefined))
  const col = (k: string) => {
    const c = columns[k]
    if (!c) throw new Error(`${getTableName(table)}: no column ${k}`)
    return c
  }
  // A column the row leaves out takes its default, as drizzle's insert leaves it to the database.
  const value = (k: string) => {
    const c = col(k)
    const fallback = c.default
    if (typeof fallback === 'number') return `coalesce(r."${columnName(c)}", ${fallback})`
    if (typeof fallback === 'string')
      return `coalesce(r."${columnName(c)}", '${fallback.replaceAll("'", "''")}')`
    return `r."${columnName(c)}"`
  }
  const list = (f: (k: string) => string) => keys.map(f).join(', ')
  const text = `
    insert into "${getTableName(table)}" (${list((k) => `"${columnName(col(k))}"`)})
    select ${list(value)}
      from json_to_recordset($1::json)
        as r(${list((k) => `"${columnName(col(k))}" ${recordType(col(k))}`)}, "ord$" int)
     order by r."ord$"
    ${opts.skipConflicts ? 'on conflict do nothing' : ''}
    returning ${opts.returning}`
  const payload = rows.map((r, i) => {
    const o: Record<string, unknown> = { ord$: i }
    for (const k of keys) o[columnName(col(k))] = r[k] ?? null
    return o
  })
  return (await q.query(text, [JSON.stringify(payload)])).rows as R[]
}
