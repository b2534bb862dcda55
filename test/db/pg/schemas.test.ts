import { readFileSync } from 'node:fs'
import {
  generateDrizzleJson,
  generateMigration,
  generateSQLiteDrizzleJson,
  generateSQLiteMigration,
} from 'drizzle-kit/api'
import { describe, expect, it } from 'vitest'
import * as pgSchema from '../../../db/pg/schema.ts'
import * as sqliteSchema from '../../../db/schema.ts'

// Both dialects' tables are built from db/tables.ts; this proves that what each dialect's
// migrations create is the same store (tables, columns, keys, indexes, references), and that
// both migration folders are up to date with the one definition.

type Journal = { entries: { idx: number; tag: string }[] }
type SnapshotColumn = { name: string; type: string; notNull: boolean; primaryKey: boolean }
type SnapshotIndex = {
  name: string
  columns: (string | { expression: string })[]
  isUnique: boolean
  where?: string
}
type SnapshotTable = {
  name: string
  columns: Record<
    string,
    SnapshotColumn & { default?: unknown; identity?: unknown; autoincrement?: boolean }
  >
  indexes: Record<string, SnapshotIndex>
  foreignKeys: Record<
    string,
    { tableTo: string; columnsFrom: string[]; columnsTo: string[]; onDelete?: string }
  >
  compositePrimaryKeys: Record<string, { columns: string[] }>
}
type Snapshot = { tables: Record<string, SnapshotTable> }

function latestSnapshot(folder: string): Snapshot & Record<string, unknown> {
  const url = new URL(`../../../db/${folder}/meta/`, import.meta.url)
  const journal: Journal = JSON.parse(readFileSync(new URL('_journal.json', url), 'utf8'))
  const last = journal.entries.at(-1)
  if (!last) throw new Error(`${folder} has no migration`)
  const prefix = String(last.idx).padStart(4, '0')
  return JSON.parse(readFileSync(new URL(`${prefix}_snapshot.json`, url), 'utf8'))
}

/** The column types each kind of db/tables-kit.ts column gets, SQLite's then PostgreSQL's. */
const SAME_KIND = new Set([
  'integer=bigint',
  'integer=boolean',
  'text=text COLLATE "C"',
  'text=json',
  'real=double precision',
  'blob=bytea',
])

/** A snapshot in dialect-free terms: what the store holds and how it is keyed and indexed. */
function shape(snapshot: Snapshot) {
  return Object.fromEntries(
    Object.values(snapshot.tables)
      .map((t) => [
        t.name,
        {
          columns: Object.values(t.columns).map((c) => ({
            name: c.name,
            notNull: c.notNull,
            primaryKey: c.primaryKey,
            generated: Boolean(c.autoincrement || c.identity),
            hasDefault: c.default !== undefined,
          })),
          primaryKeys: Object.values(t.compositePrimaryKeys).map((k) => k.columns),
          indexes: Object.values(t.indexes)
            .map((i) => ({
              name: i.name,
              columns: i.columns.map((c) => (typeof c === 'string' ? c : c.expression)),
              unique: i.isUnique,
              where: i.where ?? null,
            }))
            .sort((a, b) => a.name.localeCompare(b.name)),
          foreignKeys: Object.values(t.foreignKeys)
            .map((f) => ({
              from: f.columnsFrom,
              to: f.tableTo,
              toColumns: f.columnsTo,
              onDelete: f.onDelete,
            }))
            .sort((a, b) => a.from.join().localeCompare(b.from.join())),
        },
      ])
      .sort(([a], [b]) => String(a).localeCompare(String(b))),
  )
}

describe('the SQLite and PostgreSQL schemas', () => {
  const sqlite = latestSnapshot('migrations')
  const pg = latestSnapshot('migrations-pg')

  it('have the same tables, columns, primary and unique keys, indexes and references', () => {
    expect(Object.keys(shape(sqlite)).length).toBeGreaterThan(20)
    expect(shape(pg)).toEqual(shape(sqlite))
  })

  it('give each column the type of its kind in both dialects', () => {
    const pgTables = Object.values(pg.tables)
    for (const t of Object.values(sqlite.tables)) {
      const other = pgTables.find((p) => p.name === t.name)
      for (const c of Object.values(t.columns)) {
        expect(`${c.type}=${other?.columns[c.name]?.type}`, `${t.name}.${c.name}`).toSatisfy(
          (pair: string) => SAME_KIND.has(pair),
        )
      }
    }
  })

  it('are what the committed migrations of each dialect create (no migration is missing)', async () => {
    const sqliteNow = await generateSQLiteDrizzleJson(sqliteSchema, undefined, 'snake_case')
    expect(await generateSQLiteMigration(sqlite as never, sqliteNow)).toEqual([])
    const pgNow = generateDrizzleJson(pgSchema, undefined, undefined, 'snake_case')
    expect(await generateMigration(pg as never, pgNow)).toEqual([])
  })
})
