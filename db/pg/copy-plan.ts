import { getTableColumns, getTableName } from 'drizzle-orm'
import { getTableConfig, type PgColumn, type PgTable } from 'drizzle-orm/pg-core'
import { columnName } from './rows.ts'
import * as pgSchema from './schema.ts'

// What `store copy` knows of each table, read from the PostgreSQL schema (db/pg/schema.ts, built
// from the same definition as SQLite's): its columns and how their values travel, its primary
// key, its identity column, and the order in which tables are filled (referenced ones first).

/** How a column's values are sent to PostgreSQL and encoded for the digest. */
export type ColumnKind = 'int' | 'real' | 'bool' | 'text' | 'json' | 'bytes'

export interface CopyColumn {
  /** The column's name in both databases. */
  name: string
  kind: ColumnKind
}

export interface CopyTable {
  name: string
  columns: CopyColumn[]
  /** The primary key's columns: the conflict target of the upsert and the digest's row order. */
  key: string[]
  /** The identity column (a generated id), whose sequence is moved past the copied ids. */
  identity: string | undefined
}

/** The PostgreSQL type of a kind's unnest array. */
export const ARRAY_TYPE: Record<ColumnKind, string> = {
  int: 'bigint[]',
  real: 'double precision[]',
  bool: 'boolean[]',
  text: 'text[]',
  json: 'json[]',
  bytes: 'bytea[]',
}

// Array elements that need no more than JSON's quoting: no control characters (JSON writes \n
// where an array literal wants the character itself) and no surrogates (JSON escapes lone ones).
// oxlint-disable-next-line no-control-regex -- the control characters are what it looks for
const JSON_QUOTABLE = /^[^\u0000-\u001f\ud800-\udfff]*$/

/**
 * One element of the array literal (`{…}`) a column's chunk is sent as: its text as PostgreSQL's
 * array input reads it. Built here rather than by pg, whose per-character escaping of a chunk of
 * OpenLineage payloads (5,000 × ~6 kB) took 15 times as long as JSON.stringify, which quotes the
 * same way for text without control characters.
 */
export function arrayElement(kind: ColumnKind, v: unknown): string {
  if (v === null || v === undefined) return 'NULL'
  if (kind === 'bool') return v === 1 || v === 1n || v === true ? 't' : 'f'
  if (kind === 'int' || kind === 'real') return String(v)
  if (kind === 'bytes') return `"\\\\x${Buffer.isBuffer(v) ? v.toString('hex') : ''}"`
  const s = String(v)
  return JSON_QUOTABLE.test(s)
    ? JSON.stringify(s)
    : `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

function kindOf(table: string, c: PgColumn): ColumnKind {
  const type = c.getSQLType()
  if (type === 'bigint') return 'int'
  if (type === 'double precision') return 'real'
  if (type === 'boolean') return 'bool'
  if (type === 'json') return 'json'
  if (type === 'bytea') return 'bytes'
  if (type.startsWith('text')) return 'text'
  throw new Error(`store copy: ${table}.${columnName(c)} has type ${type}, which it cannot copy`)
}

function planOf(t: PgTable): CopyTable {
  const name = getTableName(t)
  const all = Object.values(getTableColumns(t))
  const config = getTableConfig(t)
  const composite = config.primaryKeys[0]?.columns ?? []
  const key = (composite.length > 0 ? composite : all.filter((c) => c.primary)).map(columnName)
  if (key.length === 0) throw new Error(`store copy: ${name} has no primary key`)
  return {
    name,
    columns: all.map((c) => ({ name: columnName(c), kind: kindOf(name, c) })),
    key,
    identity: all.filter((c) => c.generatedIdentity !== undefined).map(columnName)[0],
  }
}

/** Table names each table references, from its foreign keys. */
const referencesOf = (t: PgTable): string[] =>
  getTableConfig(t).foreignKeys.map((fk) => getTableName(fk.reference().foreignTable))

/** Tables ordered so that each comes after every table it references. */
function inForeignKeyOrder(tables: PgTable[]): PgTable[] {
  const byName = new Map(tables.map((t) => [getTableName(t), t]))
  const out: PgTable[] = []
  const placed = new Set<string>()
  const visiting = new Set<string>()
  const visit = (t: PgTable) => {
    const name = getTableName(t)
    if (placed.has(name)) return
    if (visiting.has(name)) throw new Error(`store copy: foreign keys form a cycle at ${name}`)
    visiting.add(name)
    for (const ref of referencesOf(t)) {
      const target = byName.get(ref)
      if (target && ref !== name) visit(target)
    }
    visiting.delete(name)
    placed.add(name)
    out.push(t)
  }
  for (const t of tables) visit(t)
  return out
}

/** Every table of the store, referenced tables first. */
export const COPY_TABLES: readonly CopyTable[] = inForeignKeyOrder(
  Object.values(pgSchema) as PgTable[],
).map(planOf)

const quoted = (names: readonly string[]) => names.map((n) => `"${n}"`).join(', ')

/** A table's every row in key order; on PostgreSQL json as its text (as written), not parsed. */
export function selectAll(t: CopyTable, engine: 'sqlite' | 'pg' = 'sqlite'): string {
  const list = t.columns.map((c) =>
    engine === 'pg' && c.kind === 'json' ? `"${c.name}"::text` : `"${c.name}"`,
  )
  return `select ${list.join(', ')} from "${t.name}" order by ${quoted(t.key)}`
}
