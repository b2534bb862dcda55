import { existsSync, statSync } from 'node:fs'
import type pg from 'pg'
import { closeDb, openDb, type Db } from '../client.ts'
import { openPgPool } from './client.ts'
import { inTransaction } from './rows.ts'
import { ARRAY_TYPE, arrayElement, COPY_TABLES, selectAll, type CopyTable } from './copy-plan.ts'
import { verifyCopy, type TableCheck } from './copy-verify.ts'

// `meshwatch store copy`: every table of a SQLite store into PostgreSQL, ids kept, in one
// transaction. Rows go in chunks as one set-based upsert each (unnest of one array per column);
// a row already there with the same values is left alone (not rewritten: its xmin stays), one
// that changed is updated, so a re-run writes only what changed since the last one. Rows that
// exist only in PostgreSQL are kept, and the check afterwards lists their table as different.

export type { TableCheck } from './copy-verify.ts'
export { verifyCopy } from './copy-verify.ts'

export interface TableCopy {
  table: string
  /** Rows read from SQLite. */
  rows: number
  /** Rows inserted or updated in PostgreSQL (0 when it already held them unchanged). */
  written: number
}

export interface CopyOptions {
  /** Called after each chunk of a table, and with `done` once the table is copied. */
  onProgress?: (p: TableCopy & { done: boolean }) => void
}

/**
 * Why a copy could not be made: the SQLite store cannot be opened (`source`), the PostgreSQL one
 * cannot be reached or migrated (`target`), or PostgreSQL holds a row that collides with one of
 * SQLite's on a unique key (`conflict`: it was written to since it was copied; nothing was copied).
 */
export class StoreCopyError extends Error {
  override name = 'StoreCopyError'
  readonly reason: 'source' | 'target' | 'conflict'
  constructor(reason: StoreCopyError['reason'], message: string, options?: ErrorOptions) {
    super(message, options)
    this.reason = reason
  }
}

const CHUNK_ROWS = 5000
/** A chunk is also sent once its values reach this size (batch payloads are MBs each). */
const CHUNK_BYTES = 16 * 1024 * 1024

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ')

/** One table's upsert: `insert … select from unnest(…) on conflict (key) do update … where distinct`. */
function upsertSql(t: CopyTable): string {
  const names = t.columns.map((c) => c.name)
  const arrays = t.columns.map((c, i) => `$${i + 1}::${ARRAY_TYPE[c.kind]}`)
  const rest = t.columns.filter((c) => !t.key.includes(c.name))
  // json has no equality operator: its text (kept as written) is what is compared
  const cmp = (prefix: string) =>
    rest
      .map((c) => (c.kind === 'json' ? `${prefix}"${c.name}"::text` : `${prefix}"${c.name}"`))
      .join(', ')
  const onConflict =
    rest.length === 0
      ? 'do nothing'
      : `do update set ${rest.map((c) => `"${c.name}" = excluded."${c.name}"`).join(', ')}
          where (${cmp(`"${t.name}".`)}) is distinct from (${cmp('excluded.')})`
  return `insert into "${t.name}" (${quoted(names)})
          select * from unnest(${arrays.join(', ')}) as u(${quoted(names)})
          on conflict (${quoted(t.key)}) ${onConflict}`
}

async function copyTable(
  db: Db,
  client: pg.PoolClient,
  t: CopyTable,
  opts: CopyOptions,
): Promise<TableCopy> {
  const text = upsertSql(t)
  const progress: TableCopy = { table: t.name, rows: 0, written: 0 }
  let columns: string[][] = t.columns.map(() => [])
  let count = 0
  let bytes = 0
  const flush = async () => {
    if (count === 0) return
    try {
      const r = await client.query(
        text,
        columns.map((elements) => `{${elements.join(',')}}`),
      )
      progress.written += r.rowCount ?? 0
    } catch (e) {
      throw conflictError(t, e)
    }
    progress.rows += count
    columns = t.columns.map(() => [])
    count = 0
    bytes = 0
    opts.onProgress?.({ ...progress, done: false })
  }
  const rows = db.$client.prepare(selectAll(t)).raw(true)
  // Chunks are gathered from one SQLite cursor; each is sent before the next is read.
  const it = rows.iterate() as IterableIterator<unknown[]>
  try {
    for (let next = it.next(); !next.done; next = it.next()) {
      const row = next.value
      t.columns.forEach((c, i) => {
        const element = arrayElement(c.kind, row[i])
        columns[i]?.push(element)
        bytes += element.length
      })
      count++
      if (count >= CHUNK_ROWS || bytes >= CHUNK_BYTES) await flush()
    }
  } finally {
    it.return?.()
  }
  await flush()
  if (t.identity) await moveSequence(db, client, t, t.identity)
  return progress
}

/** The next generated id comes after every copied one, and after every id SQLite handed out. */
async function moveSequence(db: Db, client: pg.PoolClient, t: CopyTable, column: string) {
  const seq = db.$client.prepare('select seq from sqlite_sequence where name = ?').get(t.name) as
    { seq: number } | undefined
  await client.query(
    `select setval(pg_get_serial_sequence($1, $2),
                   greatest((select coalesce(max("${column}"), 0) from "${t.name}"), $3::bigint) + 1,
                   false)`,
    [`"${t.name}"`, column, seq?.seq ?? 0],
  )
}

/** A row of SQLite whose unique key PostgreSQL holds under another primary key: the target is not a copy of this store. */
function conflictError(t: CopyTable, e: unknown): unknown {
  const err = e as { code?: string; constraint?: string }
  if (err.code !== '23505') return e
  return new StoreCopyError(
    'conflict',
    `${t.name}: a row's unique key ${err.constraint ?? ''} is held by another row in PostgreSQL ` +
      '(written there since the last copy?); nothing was copied',
    { cause: e },
  )
}

/**
 * Copies every table of the SQLite store into the migrated PostgreSQL one, referenced tables
 * first, ids kept, identity sequences moved past them, all in one transaction (all or nothing).
 * Unchanged rows are not rewritten. Returns per table the rows read and written.
 */
export async function copyStore(
  db: Db,
  pool: pg.Pool,
  opts: CopyOptions = {},
): Promise<TableCopy[]> {
  return inTransaction(pool, async (client) => {
    const out: TableCopy[] = []
    for (const t of COPY_TABLES) {
      const copied = await copyTable(db, client, t, opts)
      out.push(copied)
      opts.onProgress?.({ ...copied, done: true })
    }
    return out
  })
}

export interface CopyFileOptions {
  onCopy?: CopyOptions['onProgress']
  onCheck?: (check: TableCheck) => void
}

export interface CopyFileReport {
  copied: TableCopy[]
  checks: TableCheck[]
  /** The tables whose count or digest differs. */
  mismatches: string[]
}

function openSource(path: string): Db {
  if (!existsSync(path) || !statSync(path).isFile())
    throw new StoreCopyError('source', `${path}: no such file`)
  try {
    return openDb(path)
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e)
    throw new StoreCopyError('source', `${path}: not a meshwatch SQLite store (${why})`, {
      cause: e,
    })
  }
}

/** An error's message; a failed connect to each of a name's addresses (localhost) is an AggregateError without one. */
const whyOf = (e: unknown): string =>
  e instanceof AggregateError && e.message === ''
    ? e.errors.map(whyOf).join('; ')
    : e instanceof Error
      ? e.message || e.name
      : String(e)

async function openTarget(url: string): Promise<pg.Pool> {
  try {
    return await openPgPool(url)
  } catch (e) {
    throw new StoreCopyError('target', `cannot open the PostgreSQL store: ${whyOf(e)}`, {
      cause: e,
    })
  }
}

/**
 * Opens the SQLite store at `path` and the PostgreSQL one at `url` (migrating it), copies, then
 * verifies. SQLite is read in one snapshot for both, so a server still writing to it does not
 * make the check differ.
 */
export async function copyStoreFile(
  path: string,
  url: string,
  opts: CopyFileOptions = {},
): Promise<CopyFileReport> {
  const db = openSource(path)
  try {
    const pool = await openTarget(url)
    try {
      db.$client.exec('begin')
      try {
        const copied = await copyStore(db, pool, { onProgress: opts.onCopy })
        const checks = await verifyCopy(db, pool, { onProgress: opts.onCheck })
        return { copied, checks, mismatches: checks.filter((c) => !c.equal).map((c) => c.table) }
      } finally {
        db.$client.exec('commit')
      }
    } finally {
      await pool.end()
    }
  } finally {
    closeDb(db)
  }
}
