import type { Ref } from '../../../collectors/batch.ts'
import { assertNotRaced } from './absent.ts'
import { byKey, layers, refKey, unnest, type ArrayType } from './unnest.ts'
import type { Writes } from './writes.ts'

// What datasets.ts and jobs.ts share: nodes named by (namespace, name), read in one statement,
// and written only where what a batch says of them changes them.

/** How one node table is read and upserted. */
export interface NodeTable<V extends Record<string, unknown>> {
  /** What a row is called in an error: 'dataset', 'job'. */
  what: string
  /** The upsert's columns, `namespace` and `name` first. */
  columns: Record<string, ArrayType>
  /** The upsert's update in memory: what a stored row becomes. */
  apply(row: V, said: V): V
  same(a: V, b: V): boolean
  /** same(apply(row, said), row), without building the row apply would. */
  unchanged(row: V, said: V): boolean
  /**
   * The upsert from an unnest FROM item, `now` as parameter `$nowParam`; returns id, namespace,
   * name. With `guarded`, rows named by `$nowParam + 1` namespaces and `+ 2` names are not updated.
   */
  upsertSql(from: string, nowParam: number, guarded?: boolean): string
  /** Reads rows (id, namespace, name and the values) by `$1` namespaces and `$2` names. */
  selectStored: string
  /**
   * Reads rows by `$1` namespaces and `$2` names, each as `ord` (its name's place in them, from
   * 1), id and the fields `read` of the values (the others read as undefined).
   */
  selectSome(read: readonly string[]): string
}

/** How a node table's upsert and read are written: its described fields and their rules. */
export interface NodeSql {
  table: 'datasets' | 'jobs'
  fields: readonly string[]
  /** json columns: cast on insert, compared and read as text. */
  json: ReadonlySet<string>
  /** The update's expression of a field from `excluded` and the row `t`. */
  setOf: (field: string) => string
  /** Columns set to `now` on insert besides updated_at. */
  stamps: readonly string[]
}

/**
 * The upsert (ON CONFLICT on the name; a row is updated only when a field's expression differs
 * from it, `updated_at` then set) and the read of a node table.
 */
export function nodeSql(
  o: NodeSql,
): Pick<NodeTable<never>, 'upsertSql' | 'selectStored' | 'selectSome'> {
  const cols = ['namespace', 'name', ...o.fields]
  const asText = (f: string, e: string) => (o.json.has(f) ? `(${e})::text` : e)
  const stamps = [...o.stamps, 'updated_at']
  const select = (read: readonly string[]) => `
select ${['id', 'namespace', 'name', ...read].map((f) => (o.json.has(f) ? `${f}::text as ${f}` : f)).join(', ')}
  from ${o.table}
 where (namespace, name) in (select u.namespace, u.name from unnest($1::text[], $2::text[]) as u(namespace, name))`
  const some = new Map<string, string>()
  return {
    upsertSql: (from, nowParam, guarded) => `
insert into ${o.table} as t (${cols.join(', ')}, ${stamps.join(', ')})
select ${cols.map((c) => (o.json.has(c) ? `u.${c}::json` : `u.${c}`)).join(', ')},
       ${stamps.map(() => `$${nowParam}::text`).join(', ')}
  from ${from}
 order by u.ord
    on conflict (namespace, name) do update
   set ${o.fields.map((f) => `${f} = ${o.setOf(f)}`).join(', ')}, updated_at = excluded.updated_at
 where (${o.fields.map((f) => asText(f, o.setOf(f))).join(', ')})
       is distinct from (${o.fields.map((f) => asText(f, `t.${f}`)).join(', ')})${
         guarded
           ? `
   and (t.namespace, t.name) not in
       (select g.namespace, g.name from unnest($${nowParam + 1}::text[], $${nowParam + 2}::text[]) as g(namespace, name))`
           : ''
       }
returning id, namespace, name`,
    selectStored: select(o.fields),
    selectSome: (read) => {
      const key = read.join(',')
      let text = some.get(key)
      if (text === undefined) {
        text = `
select u.ord, t.id${read.map((f) => (o.json.has(f) ? `, t.${f}::text as ${f}` : `, t.${f}`)).join('')}
  from unnest($1::text[], $2::text[]) with ordinality as u(namespace, name, ord)
  join ${o.table} t on t.namespace = u.namespace and t.name = u.name`
        some.set(key, text)
      }
      return text
    },
  }
}

/** `refs`' keys in order, and the parameters of a lookup of them (as refsParams). */
export function refsRead(refs: ReadonlyMap<string, Ref>): { keys: string[]; params: string[][] } {
  const keys: string[] = []
  const namespaces: string[] = []
  const names: string[] = []
  refs.forEach((r, k) => {
    keys.push(k)
    namespaces.push(r.namespace)
    names.push(r.name)
  })
  return { keys, params: [namespaces, names] }
}

/** The parameters of a `(namespace, name) in unnest($1, $2)` lookup of `refs`. */
const refsParams = (refs: readonly Ref[]): string[][] => [
  refs.map((r) => r.namespace),
  refs.map((r) => r.name),
]

/**
 * Writes what is said of each row, in order, unless it leaves the stored row as it is: one
 * upsert per repeat of a row, rows in key order. The upsert re-applies its rules to the row as it
 * is then, so a concurrent writer's change is built on, not overwritten. Adds each row's id to `ids`.
 * A row of `absent` (a scoped batch's, absent.ts) is only inserted: found stored, it is RacedError.
 */
export async function writeNodes<V extends Record<string, unknown>>(
  tx: Writes,
  table: NodeTable<V>,
  said: ReadonlyMap<string, readonly V[]>,
  stored: ReadonlyMap<string, V>,
  refs: ReadonlyMap<string, Ref>,
  now: string,
  ids: Map<string, number>,
  absent?: Set<string>,
): Promise<void> {
  assertNotRaced(table.what, absent, stored.keys())
  const writes: { row: string; values: V }[] = []
  said.forEach((list, row) => {
    const before = stored.get(row)
    if (
      before &&
      (list.length === 1
        ? table.unchanged(before, list[0] as V)
        : table.same(list.reduce(table.apply, before), before))
    )
      return
    for (const values of list) writes.push({ row, values })
  })
  const refOf = (row: string | undefined) => refs.get(row ?? '') as Ref
  for (const part of layers(writes, (w) => w.row)) {
    part.sort((a, b) => byKey(a.row, b.row))
    const u = unnest(table.columns, part.length, (c, i) =>
      c === 'namespace'
        ? refOf(part[i]?.row).namespace
        : c === 'name'
          ? refOf(part[i]?.row).name
          : part[i]?.values[c],
    )
    const guard = absent ? part.filter((w) => absent.has(w.row)).map((w) => refOf(w.row)) : []
    const r = await tx.query<{ id: number } & Ref>(
      table.upsertSql(u.from, u.values.length + 1, guard.length > 0),
      [...u.values, now, ...(guard.length > 0 ? refsParams(guard) : [])],
    )
    const written = new Set<string>()
    for (const row of r.rows) {
      ids.set(refKey(row), row.id)
      written.add(refKey(row))
    }
    if (guard.length > 0) {
      // not inserted: another transaction stored it since the check
      assertNotRaced(
        table.what,
        absent,
        guard.map(refKey).filter((k) => !written.has(k)),
      )
      for (const k of written) absent?.delete(k)
    }
  }
  // A node another replica created since it was read (the upsert then changed nothing).
  const missing: string[] = []
  said.forEach((_, k) => {
    if (!ids.has(k)) missing.push(k)
  })
  if (missing.length > 0) {
    const r = await tx.query<{ id: number } & Ref>(
      table.selectStored,
      refsParams(missing.map(refOf)),
    )
    for (const row of r.rows) ids.set(refKey(row), row.id)
  }
}
