import { sql, type SQL } from 'drizzle-orm'
import type { Db } from '../client.ts'

// The page's one search box (#20): every kind of thing by name, each kind its own bounded query.
// Each query scans one table's names with LIKE (a substring match cannot use a b-tree index) and
// keeps `limit + 1` rows, so the answer is small whatever the mesh's size; columns are prefiltered on
// the datasets' JSON text before json_each unpacks only the rows that can match.

export const SEARCH_KINDS = [
  'product',
  'domain',
  'owner',
  'dataset',
  'column',
  'dag',
  'job',
] as const
export type SearchKind = (typeof SEARCH_KINDS)[number]

export interface SearchHit {
  kind: SearchKind
  /** product id, domain name, owner name, or the dataset's/job's numeric id as text */
  id: string
  name: string
  domain: string | null
  /** what else identifies it: a job's type, a column's dataset, an owner's role */
  detail: string | null
  /** the dataset of a column, the domain an owner owns: what the result opens */
  target: string | null
}

export interface SearchGroup {
  kind: SearchKind
  hits: SearchHit[]
  /** more matches than `limit` exist */
  more: boolean
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

/** A LIKE pattern matching `s` anywhere, literally: `%`, `_` and the escape character escaped. */
const containsPattern = (s: string): string => `%${escapeLike(s)}%`

// SQLite's LIKE ignores case for ASCII letters only; lower() per row would triple the scan's cost.
const like = (col: SQL, pattern: string) => sql`${col} like ${pattern} escape '\\'`

// 0: the whole name or its last dotted segment is the query; 1: the name or a segment starts with
// it; 2: it is inside.
const rank = (col: SQL, q: string) => {
  const e = escapeLike(q)
  return sql`case
    when ${like(col, e)} or ${like(col, `%.${e}`)} then 0
    when ${like(col, `${e}%`)} or ${like(col, `%.${e}%`)} then 1
    else 2 end`
}

// The JSON text holds a name as written unless JSON escapes a character of it (quote, backslash, control).
const textMayHold = (q: string) => !/["\\\p{Cc}]/u.test(q)

/**
 * Matches looked at per kind before ranking: a one-letter query matches most of a big mesh, and
 * ranking all of it would cost more than the answer is worth (the rest is reported as `more`).
 */
const SEARCH_CANDIDATES = 2000
/** Datasets whose columns are unpacked per query: each holds tens of columns. */
const COLUMN_CANDIDATES = 200

type Row = Omit<SearchHit, 'kind'> & { r: number }

// `candidates` selects (id, name, domain, detail, target) of the matching rows, in the order given
// (a table's own key order: free for a rowid table's scan); the first `cap` of them are ranked.
const ranked = (candidates: SQL, q: string, n: number, cap = SEARCH_CANDIDATES) => sql`
  select id, name, domain, detail, target, ${rank(sql`name`, q)} as r
  from (${candidates} limit ${cap}) order by r, length(name), name, id, target limit ${n}`

function queries(q: string, n: number): Record<SearchKind, SQL> {
  const any = containsPattern(q)
  const jobsOf = (dag: boolean) =>
    ranked(
      sql`select cast(id as text) as id, name, domain, type as detail, null as target from jobs
        where type ${dag ? sql`=` : sql`<>`} 'airflow_dag' and ${like(sql`name`, any)}
        order by jobs.id`,
      q,
      n,
    )
  return {
    // A product is found by its name or its id (the id names its domain: sales.orders).
    product: ranked(
      sql`select id, name, domain, id as detail, null as target from products
        where ${like(sql`name`, any)} or ${like(sql`id`, any)} order by products.id`,
      q,
      n,
    ),
    domain: ranked(
      sql`select name as id, name, name as domain, description as detail, name as target
        from domains where ${like(sql`name`, any)} order by domains.name`,
      q,
      n,
    ),
    // An owner is a name written on domains, products, datasets or jobs; each (owner, domain) pair
    // is a hit that opens that domain's page.
    owner: ranked(
      sql`select owner as id, owner as name, domain, 'owns ' || count(*) || ' in ' || domain as detail,
          domain as target
        from (
          select owner, name as domain from domains where ${like(sql`owner`, any)}
          union all select owner, domain from products where ${like(sql`owner`, any)}
          union all select owner, domain from datasets
            where domain is not null and ${like(sql`owner`, any)}
          union all select owner, domain from jobs where domain is not null and ${like(sql`owner`, any)}
        ) group by owner, domain order by owner, domain`,
      q,
      n,
    ),
    dataset: ranked(
      sql`select cast(id as text) as id, name, domain, namespace as detail, null as target
        from datasets where ${like(sql`name`, any)} order by datasets.id`,
      q,
      n,
    ),
    // The JSON text prefilter skips the datasets none of whose columns can match.
    column: ranked(
      sql`select cast(d.id as text) || '.' || (c.value ->> '$.name') as id,
          c.value ->> '$.name' as name, d.domain, d.name as detail, cast(d.id as text) as target
        from (select id, name, domain, columns from datasets
          where ${textMayHold(q) ? like(sql`columns`, any) : sql`columns is not null`}
          order by id limit ${COLUMN_CANDIDATES}) d, json_each(d.columns) c
        where ${like(sql`(c.value ->> '$.name')`, any)} order by d.id, c.key`,
      q,
      n,
    ),
    dag: jobsOf(true),
    job: jobsOf(false),
  }
}

/**
 * Things whose name contains `q` (case-insensitive, `%` and `_` literal), grouped by kind in
 * SEARCH_KINDS order, best match first in each group: at most `limit` per kind.
 */
export function searchAll(db: Db, q: string, limit: number): SearchGroup[] {
  const byKind = queries(q, limit + 1)
  return SEARCH_KINDS.map((kind) => {
    const rows = db.all<Row>(byKind[kind])
    const hits = rows.slice(0, limit).map(({ r: _r, ...h }) => ({ kind, ...h }))
    return { kind, hits, more: rows.length > limit }
  }).filter((g) => g.hits.length > 0)
}
