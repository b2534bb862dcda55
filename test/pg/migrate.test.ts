import { readFileSync } from 'node:fs'
import type pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { migratePg, openPgPool } from '../../db/pg/client.ts'
import { createDatabase } from './helpers.ts'

type Catalog = Record<string, { columns: string[]; indexes: string[] }>

/** What a migrated SQLite store holds: per table its columns (name, not null) and indexes (name, unique, columns). */
function sqliteCatalog(): Catalog {
  const db = openDb(':memory:')
  const c = db.$client
  const out: Catalog = {}
  const tables = c
    .prepare(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%'",
    )
    .all() as { name: string }[]
  for (const { name } of tables) {
    const cols = c.prepare(`pragma table_info(${name})`).all() as {
      name: string
      notnull: number
      pk: number
    }[]
    const idx = c.prepare(`pragma index_list(${name})`).all() as {
      name: string
      unique: number
      origin: string
    }[]
    out[name] = {
      columns: cols.map((x) => `${x.name} ${x.notnull || x.pk ? 'not null' : 'null'}`).sort(),
      indexes: idx
        .filter((i) => i.origin === 'c')
        .map((i) => {
          const on = (c.prepare(`pragma index_info(${i.name})`).all() as { name: string }[]).map(
            (x) => x.name,
          )
          return `${i.name} ${i.unique ? 'unique' : ''} (${on.join(',')})`
        })
        .sort(),
    }
  }
  closeDb(db)
  return out
}

async function pgCatalog(pool: pg.Pool): Promise<Catalog> {
  const cols = await pool.query<{ table_name: string; column_name: string; is_nullable: string }>(
    "select table_name, column_name, is_nullable from information_schema.columns where table_schema = 'public'",
  )
  const idx = await pool.query<{ table: string; name: string; unique: boolean; columns: string[] }>(
    `select t.relname as table, i.relname as name, x.indisunique as unique,
            array(select a.attname from unnest(x.indkey) with ordinality k(n, o)
                  join pg_attribute a on a.attrelid = t.oid and a.attnum = k.n order by k.o)::text[] as columns
       from pg_index x join pg_class i on i.oid = x.indexrelid join pg_class t on t.oid = x.indrelid
       join pg_namespace s on s.oid = t.relnamespace
      where s.nspname = 'public' and not x.indisprimary`,
  )
  const out: Catalog = {}
  for (const r of cols.rows) {
    const t = (out[r.table_name] ??= { columns: [], indexes: [] })
    t.columns.push(`${r.column_name} ${r.is_nullable === 'NO' ? 'not null' : 'null'}`)
  }
  for (const r of idx.rows)
    out[r.table]?.indexes.push(`${r.name} ${r.unique ? 'unique' : ''} (${r.columns.join(',')})`)
  for (const t of Object.values(out)) {
    t.columns.sort()
    t.indexes.sort()
  }
  return out
}

const journal: { entries: unknown[] } = JSON.parse(
  readFileSync(new URL('../../db/migrations-pg/meta/_journal.json', import.meta.url), 'utf8'),
)

describe('PostgreSQL migrations (db/migrations-pg, db/pg/client.ts)', () => {
  const pools: pg.Pool[] = []
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.end()))
  })

  it('run once when four replicas start at once (advisory lock), and again are a no-op', async () => {
    const url = await createDatabase()
    const opened = await Promise.all([1, 2, 3, 4].map(() => openPgPool(url)))
    pools.push(...opened)
    const first = opened[0]!
    await migratePg(first)
    const applied = await first.query('select count(*) as n from drizzle.__drizzle_migrations')
    // int8 count(*) comes back as a number
    expect(applied.rows).toEqual([{ n: journal.entries.length }])
  })

  it('create the same tables, columns (with nullability) and indexes as the SQLite migrations', async () => {
    const pool = await openPgPool(await createDatabase())
    pools.push(pool)
    const live = await pgCatalog(pool)
    const expected = sqliteCatalog()
    expect(Object.keys(expected).length).toBeGreaterThan(20)
    expect(live).toEqual(expected)
  })

  it('sort text bytewise (COLLATE "C"), as SQLite does', async () => {
    const pool = await openPgPool(await createDatabase())
    pools.push(pool)
    const now = '2026-01-01T00:00:00Z'
    for (const name of ['b', 'B', 'a', '_x', 'Z'])
      await pool.query('insert into domains (name, updated_at) values ($1, $2)', [name, now])
    const rows = await pool.query<{ name: string }>('select name from domains order by name')
    expect(rows.rows.map((r) => r.name)).toEqual(['B', 'Z', '_x', 'a', 'b'])
  })
})
