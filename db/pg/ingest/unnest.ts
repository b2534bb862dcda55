// Set-based writes: a statement's rows go in as one array per column (unnest), whatever their
// number, so one multi-row statement replaces SQLite's one prepared statement per row.

/** The PostgreSQL type of an unnested column; json travels as text and is cast after unnest. */
export type ArrayType = 'text' | 'int8' | 'float8' | 'bool' | 'json'

export interface Unnested {
  /** `unnest($1::text[], …) with ordinality as u(a, …, ord)`: each column `u.<name>`, `u.ord` the row's place. */
  from: string
  values: unknown[][]
}

/**
 * The FROM item and parameters of rows given as one array per column, numbered from `$first`.
 * A json column is read as `u.<name>` text: cast it (`u.meta::json`) where it is inserted. An
 * insert that selects `order by u.ord` writes (and locks) the rows in the order given.
 */
export function unnest(
  columns: Record<string, ArrayType>,
  rows: number,
  value: (column: string, row: number) => unknown,
  first = 1,
): Unnested {
  const names = Object.keys(columns)
  const values = names.map((c) => {
    const a: unknown[] = []
    for (let i = 0; i < rows; i++) a.push(value(c, i) ?? null)
    return a
  })
  const casts = names.map((c, i) => {
    const t = columns[c]
    return `$${first + i}::${t === 'json' ? 'text' : t}[]`
  })
  return {
    from: `unnest(${casts.join(', ')}) with ordinality as u(${names.map((n) => `"${n}"`).join(', ')}, ord)`,
    values,
  }
}

/**
 * Items split so that no key occurs twice in one part: the first occurrence of each key in the
 * first part, the second in the second, … A multi-row ON CONFLICT DO UPDATE may not touch one
 * row twice; running the parts in order applies repeats as SQLite's row-by-row upserts do.
 */
export function layers<T>(items: readonly T[], key: (item: T) => string): T[][] {
  const seen = new Map<string, number>()
  const out: T[][] = []
  for (const item of items) {
    const k = key(item)
    const n = seen.get(k) ?? 0
    seen.set(k, n + 1)
    ;(out[n] ??= []).push(item)
  }
  return out
}

/** A dataset's or job's natural key, as collectors/batch.ts's refKey (a value db/ may not import). */
export const refKey = (r: { namespace: string; name: string }): string =>
  `${r.namespace}\u0000${r.name}`

/**
 * Ids by (namespace, name), found without building a key string per lookup: storeBatch asks
 * for a dataset's or job's id once per edge, run, metric and schema that names it.
 */
export class RefIds {
  readonly #by = new Map<string, Map<string, number>>()

  set(r: { namespace: string; name: string }, id: number): void {
    let names = this.#by.get(r.namespace)
    if (!names) {
      names = new Map()
      this.#by.set(r.namespace, names)
    }
    names.set(r.name, id)
  }

  get(r: { namespace: string; name: string }): number | undefined {
    return this.#by.get(r.namespace)?.get(r.name)
  }
}

/** The (namespace, name) pairs met so far, asked without building a key string. */
export class RefSet {
  readonly #by = new Map<string, Set<string>>()

  /** Adds `r`: whether it was not met before. */
  add(r: { namespace: string; name: string }): boolean {
    let names = this.#by.get(r.namespace)
    if (!names) {
      names = new Set()
      this.#by.set(r.namespace, names)
    }
    if (names.has(r.name)) return false
    names.add(r.name)
    return true
  }
}

/** Natural keys compared in one fixed order (code units), so every replica locks rows alike. */
export const byKey = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** A JSON escape that is not also an array literal's (`\"`, `\\`): a control character, a lone surrogate. */
const NOT_LITERAL = /(?<!\\)(?:\\\\)*\\[^"\\]/

/**
 * A flat array of strings, numbers, booleans and nulls as PostgreSQL's array literal text, the
 * text pg would send for it (`{"a",1,NULL}`), built by JSON.stringify: JSON's string escapes (`\"`,
 * `\\`) are the literal's, `null` reads as NULL. Any other array (an element JSON escapes
 * otherwise, an object, a non-finite number) is left to pg, which escapes element by element.
 */
export function pgParam(v: unknown): unknown {
  if (!Array.isArray(v)) return v
  for (const x of v as unknown[]) {
    const t = typeof x
    if (t === 'string' || t === 'boolean' || x === null || x === undefined) continue
    if (t === 'number' && Number.isFinite(x)) continue
    return v
  }
  const json = JSON.stringify(v)
  return NOT_LITERAL.test(json) ? v : `{${json.slice(1, -1)}}`
}

/** Statement parameters with their flat arrays as literal text (pgParam). */
export const pgParams = (values: readonly unknown[]): unknown[] => values.map(pgParam)

export const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v)
export const jsonOrNull = (v: unknown): string | null =>
  v === undefined || v === null ? null : JSON.stringify(v)
