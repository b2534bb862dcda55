import { sql, type SQL } from 'drizzle-orm'
import type { $Type, BuildColumns, HasDefault, IsPrimaryKey, NotNull } from 'drizzle-orm'
import * as p from 'drizzle-orm/pg-core'
import * as s from 'drizzle-orm/sqlite-core'

// A column is defined once as a pair of builders, one per dialect, made by the same call and
// changed by the same modifiers: db/tables.ts holds the one definition, db/schema.ts builds the
// SQLite tables from it and db/pg/schema.ts the PostgreSQL ones. Modifiers keep drizzle's
// precise builder types (NotNull<…>, $Type<…>), so the tables built from a pair are typed as if
// written by hand in their dialect.

type SqliteBuilder = s.SQLiteColumnBuilderBase
type PgBuilder = p.PgColumnBuilderBase
type ForeignKeyActions = { onDelete?: 'cascade' | 'set null' | 'restrict' }
// The builders' modifier methods, typed loosely here: each Col method states its precise result.
// oxlint-disable-next-line no-explicit-any
type Modifiable = any

/** Built columns of each dialect by their neutral column, filled when a table is built: references resolve through it. */
const SQLITE_COLUMNS = new WeakMap<AnyCol, s.SQLiteColumn>()
const PG_COLUMNS = new WeakMap<AnyCol, p.PgColumn>()

export class Col<S extends SqliteBuilder, P extends PgBuilder> {
  readonly sqlite: S
  readonly pg: P

  constructor(sqlite: S, pg: P) {
    this.sqlite = sqlite
    this.pg = pg
  }

  private with<S2 extends SqliteBuilder, P2 extends PgBuilder>(
    change: (b: Modifiable) => Modifiable,
  ): Col<S2, P2> {
    return new Col<S2, P2>(change(this.sqlite), change(this.pg))
  }

  notNull(): Col<NotNull<S>, NotNull<P>> {
    return this.with((b) => b.notNull())
  }

  primaryKey(): Col<IsPrimaryKey<NotNull<S>>, IsPrimaryKey<NotNull<P>>> {
    return this.with((b) => b.primaryKey())
  }

  $type<T>(): Col<$Type<S, T>, $Type<P, T>> {
    return this.with((b) => b.$type())
  }

  /** A constant default, the same in both dialects. */
  default(value: string | number): Col<HasDefault<S>, HasDefault<P>> {
    return this.with((b) => b.default(value))
  }

  /** A default computed by the database, written in each dialect's SQL. */
  defaultSql(sqlite: SQL, pg: SQL): Col<HasDefault<S>, HasDefault<P>> {
    const sqliteBuilder: Modifiable = this.sqlite
    const pgBuilder: Modifiable = this.pg
    return new Col(sqliteBuilder.default(sqlite), pgBuilder.default(pg))
  }

  references(target: () => AnyCol, actions: ForeignKeyActions = {}): this {
    const sqliteBuilder: Modifiable = this.sqlite
    const pgBuilder: Modifiable = this.pg
    sqliteBuilder.references(() => builtColumn(SQLITE_COLUMNS, target()), actions)
    pgBuilder.references(() => builtColumn(PG_COLUMNS, target()), actions)
    return this
  }
}

type AnyCol = Col<SqliteBuilder, PgBuilder>

function builtColumn<C>(built: WeakMap<AnyCol, C>, col: AnyCol): C {
  const found = built.get(col)
  if (!found) throw new Error('a reference names a column of a table that is not built yet')
  return found
}

// PostgreSQL text compares and sorts with COLLATE "C" (bytewise, as SQLite's BINARY does): keys
// and ISO-8601 times order the same on both engines, whatever locale the database was made with.
const pgText = p.customType<{ data: string; driverData: string }>({
  dataType: () => 'text COLLATE "C"',
})
const pgBytea = p.customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' })

export const text = () => new Col(s.text(), pgText())

export const textEnum = <const T extends readonly [string, ...string[]]>(values: T) =>
  new Col(s.text({ enum: values }), pgText().$type<T[number]>())

/** A JSON document: SQLite text, PostgreSQL json (kept as written: key order survives, unlike jsonb). */
export const json = <T>() => new Col(s.text({ mode: 'json' }).$type<T>(), p.json().$type<T>())

/** Integers are int8 on PostgreSQL (ids and counts of millions of events), read back as numbers. */
export const int = () => new Col(s.integer(), p.bigint({ mode: 'number' }))

export const bool = () => new Col(s.integer({ mode: 'boolean' }), p.boolean())

export const real = () => new Col(s.real(), p.doublePrecision())

export const bytes = () => new Col(s.blob({ mode: 'buffer' }), pgBytea())

/** A generated row id: SQLite AUTOINCREMENT, PostgreSQL int8 identity (by default, so a copy keeps ids). */
export const id = () =>
  new Col(
    s.integer().primaryKey({ autoIncrement: true }),
    p.bigint({ mode: 'number' }).primaryKey().generatedByDefaultAsIdentity(),
  )

export type Extra<K extends string> =
  | { kind: 'index' | 'unique'; name: string; on: readonly K[]; where?: string }
  | { kind: 'pk'; on: readonly K[] }

export const index = <K extends string>(name: string, ...on: K[]): Extra<K> => ({
  kind: 'index',
  name,
  on,
})
export const unique = <K extends string>(name: string, ...on: K[]): Extra<K> => ({
  kind: 'unique',
  name,
  on,
})
/** A partial unique index; `where` is SQL both dialects read alike. */
export const uniqueWhere = <K extends string>(
  name: string,
  where: string,
  ...on: K[]
): Extra<K> => ({
  kind: 'unique',
  name,
  on,
  where,
})
export const pk = <K extends string>(...on: K[]): Extra<K> => ({ kind: 'pk', on })

type Cols = Record<string, AnyCol>

export type Table<N extends string, C extends Cols> = {
  name: N
  columns: C
  extras: readonly Extra<keyof C & string>[]
}

export function table<N extends string, C extends Cols>(
  name: N,
  columns: C,
  extras: readonly Extra<keyof C & string>[] = [],
): Table<N, C> {
  return { name, columns, extras }
}

type Builders<C extends Cols, D extends 'sqlite' | 'pg'> = { [K in keyof C]: C[K][D] }

function builders<C extends Cols, D extends 'sqlite' | 'pg'>(columns: C, dialect: D) {
  return Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, c[dialect]])) as Builders<
    C,
    D
  >
}

export type SqliteTableOf<N extends string, C extends Cols> = s.SQLiteTableWithColumns<{
  name: N
  schema: undefined
  columns: BuildColumns<N, Builders<C, 'sqlite'>, 'sqlite'>
  dialect: 'sqlite'
}>

export type PgTableOf<N extends string, C extends Cols> = p.PgTableWithColumns<{
  name: N
  schema: undefined
  columns: BuildColumns<N, Builders<C, 'pg'>, 'pg'>
  dialect: 'pg'
}>

function pickColumns<T>(built: Record<string, unknown>, on: readonly string[]): [T, ...T[]] {
  const cols = on.map((k) => built[k] as T)
  if (cols.length === 0) throw new Error('an index needs at least one column')
  return cols as [T, ...T[]]
}

export function sqliteTableOf<N extends string, C extends Cols>(
  t: Table<N, C>,
): SqliteTableOf<N, C> {
  const built = s.sqliteTable<N, Builders<C, 'sqlite'>>(
    t.name,
    builders(t.columns, 'sqlite'),
    (self) =>
      t.extras.map((e) => {
        const on = pickColumns<s.SQLiteColumn>(self, e.on)
        if (e.kind === 'pk') return s.primaryKey({ columns: on })
        const ix = (e.kind === 'unique' ? s.uniqueIndex(e.name) : s.index(e.name)).on(...on)
        return e.where ? ix.where(sql.raw(e.where)) : ix
      }),
  )
  for (const [k, c] of Object.entries(t.columns)) SQLITE_COLUMNS.set(c, built[k] as s.SQLiteColumn)
  return built
}

export function pgTableOf<N extends string, C extends Cols>(t: Table<N, C>): PgTableOf<N, C> {
  const built = p.pgTable<N, Builders<C, 'pg'>>(t.name, builders(t.columns, 'pg'), (self) =>
    t.extras.map((e) => {
      const on = pickColumns<p.PgColumn>(self, e.on)
      if (e.kind === 'pk') return p.primaryKey({ columns: on })
      const ix = (e.kind === 'unique' ? p.uniqueIndex(e.name) : p.index(e.name)).on(...on)
      return e.where ? ix.where(sql.raw(e.where)) : ix
    }),
  )
  for (const [k, c] of Object.entries(t.columns)) PG_COLUMNS.set(c, built[k] as p.PgColumn)
  return built
}
