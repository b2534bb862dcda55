import { createHash, type Hash } from 'node:crypto'
import type pg from 'pg'
import type { Db } from '../client.ts'
import { COPY_TABLES, selectAll, type ColumnKind, type CopyTable } from './copy-plan.ts'
import { inTransaction } from './rows.ts'

// The check of a store copy: per table, the row count and a sha256 over the rows in primary-key
// order, each value encoded the same way whichever engine it was read from (a boolean SQLite
// keeps as 1 and PostgreSQL as true is `1` in both, a blob is its hex, a JSON column is its text
// as written: PostgreSQL's json keeps it verbatim). Keys are text COLLATE "C" or integers, so
// both engines order rows alike.

export interface TableDigest {
  rows: number
  sha256: string
}

export interface TableCheck {
  table: string
  sqlite: TableDigest
  pg: TableDigest
  equal: boolean
}

export interface VerifyOptions {
  onProgress?: (check: TableCheck) => void
}

const CHUNK = 5000

/** One value as the digest sees it, the same for SQLite's and PostgreSQL's reading of it. */
export function encodeValue(kind: ColumnKind, v: unknown): string | number | null {
  if (v === null || v === undefined) return null
  switch (kind) {
    case 'int':
    case 'real':
      return Number(v)
    case 'bool':
      return v === true || v === 1 || v === 1n ? 1 : 0
    case 'bytes':
      return Buffer.isBuffer(v) ? v.toString('hex') : String(v)
    default:
      return String(v)
  }
}

class RowDigest {
  rows = 0
  private readonly hash: Hash = createHash('sha256')
  private readonly table: CopyTable
  constructor(table: CopyTable) {
    this.table = table
  }

  add(row: readonly unknown[]): void {
    const values = this.table.columns.map((c, i) => encodeValue(c.kind, row[i]))
    this.hash.update(`${JSON.stringify(values)}\n`)
    this.rows++
  }

  done(): TableDigest {
    return { rows: this.rows, sha256: this.hash.digest('hex') }
  }
}

/** A table's rows in key order from SQLite. */
function digestSqlite(db: Db, t: CopyTable): TableDigest {
  const d = new RowDigest(t)
  const stmt = db.$client.prepare(selectAll(t)).raw(true)
  for (const row of stmt.iterate()) d.add(row as unknown[])
  return d.done()
}

/** The same from PostgreSQL, through a cursor. */
async function digestPg(client: pg.PoolClient, t: CopyTable): Promise<TableDigest> {
  const d = new RowDigest(t)
  await client.query(`declare copy_check no scroll cursor for ${selectAll(t, 'pg')}`)
  for (;;) {
    const r = await client.query<unknown[]>({
      text: `fetch ${CHUNK} from copy_check`,
      rowMode: 'array',
    })
    for (const row of r.rows) d.add(row)
    if (r.rows.length < CHUNK) break
  }
  await client.query('close copy_check')
  return d.done()
}

/**
 * Counts and digests every table on both sides; PostgreSQL read in one snapshot. A table whose
 * count or digest differs has `equal: false`.
 */
export async function verifyCopy(
  db: Db,
  pool: pg.Pool,
  opts: VerifyOptions = {},
): Promise<TableCheck[]> {
  return inTransaction(pool, async (client) => {
    // one snapshot of PostgreSQL for every table
    await client.query('set transaction isolation level repeatable read, read only')
    const checks: TableCheck[] = []
    for (const t of COPY_TABLES) {
      const sqlite = digestSqlite(db, t)
      const pgSide = await digestPg(client, t)
      const check = {
        table: t.name,
        sqlite,
        pg: pgSide,
        equal: sqlite.rows === pgSide.rows && sqlite.sha256 === pgSide.sha256,
      }
      checks.push(check)
      opts.onProgress?.(check)
    }
    return checks
  })
}
