import type * as lite from '../../queries/search.ts'
import { SEARCH_KINDS, type SearchHit, type SearchKind } from '../../queries/search.ts'
import type { PgModule } from '../module.ts'

// The page's one search box on PostgreSQL: SQLite's LIKE ignores ASCII case, so every match here
// is ILIKE (ASCII-only under the columns' "C" collation) with the same escape character; each kind
// one bounded query over its candidates in key order, ranked as SQLite ranks them.

const SEARCH_CANDIDATES = 2000
const COLUMN_CANDIDATES = 200

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)
const textMayHold = (q: string) => !/["\\\p{Cc}]/u.test(q)

// $1 the query escaped, $2 the rows wanted; a pattern is built from $1 in SQL
const like = (col: string, pattern: string) => `${col} ilike ${pattern} escape '\\'`
const ANY = `'%' || $1 || '%'`
const RANK = (col: string) => `case
    when ${like(col, '$1')} or ${like(col, `'%.' || $1`)} then 0
    when ${like(col, `$1 || '%'`)} or ${like(col, `'%.' || $1 || '%'`)} then 1
    else 2 end`

const ranked = (candidates: string, cap = SEARCH_CANDIDATES) => `
  select id, name, domain, detail, target, ${RANK('name')} as r
  from (${candidates} limit ${cap}) c
  order by r, length(name), name collate "C", id collate "C", target collate "C" limit $2`

const jobsOf = (dag: boolean) =>
  ranked(`select id::text as id, name, domain, type as detail, null::text as target from jobs
    where type ${dag ? '=' : '<>'} 'airflow_dag' and ${like('name', ANY)} order by jobs.id`)

const QUERIES = (q: string): Record<SearchKind, string> => ({
  product: ranked(`select id, name, domain, id as detail, null::text as target from products
    where ${like('name', ANY)} or ${like('id', ANY)} order by products.id`),
  domain: ranked(`select name as id, name, name as domain, description as detail, name as target
    from domains where ${like('name', ANY)} order by domains.name`),
  owner: ranked(`select owner as id, owner as name, domain,
      'owns ' || count(*) || ' in ' || domain as detail, domain as target
    from (
      select owner, name as domain from domains where ${like('owner', ANY)}
      union all select owner, domain from products where ${like('owner', ANY)}
      union all select owner, domain from datasets where domain is not null and ${like('owner', ANY)}
      union all select owner, domain from jobs where domain is not null and ${like('owner', ANY)}
    ) o group by owner, domain order by owner, domain`),
  dataset: ranked(`select id::text as id, name, domain, namespace as detail, null::text as target
    from datasets where ${like('name', ANY)} order by datasets.id`),
  // the JSON text prefilter skips the datasets none of whose columns can match
  column: ranked(`select d.id::text || '.' || (c.value ->> 'name') as id,
      c.value ->> 'name' as name, d.domain, d.name as detail, d.id::text as target
    from (select id, name, domain, columns from datasets
      where ${textMayHold(q) ? like('columns::text', ANY) : 'columns is not null'}
      order by id limit ${COLUMN_CANDIDATES}) d
    cross join lateral json_array_elements(
      case when json_typeof(d.columns) = 'array' then d.columns else '[]' end) with ordinality c(value, n)
    where ${like(`(c.value ->> 'name')`, ANY)} order by d.id, c.n`),
  dag: jobsOf(true),
  job: jobsOf(false),
})

type Row = Omit<SearchHit, 'kind'> & { r: number }

export const search = {
  async searchAll(q, text, limit) {
    const queries = QUERIES(text)
    const args = [escapeLike(text), limit + 1]
    const out = []
    for (const kind of SEARCH_KINDS) {
      const rows = (await q.query<Row>(queries[kind], args)).rows
      const hits = rows.slice(0, limit).map(({ r: _r, ...h }) => ({ kind, ...h }))
      if (hits.length > 0) out.push({ kind, hits, more: rows.length > limit })
    }
    return out
  },
} satisfies PgModule<typeof lite>
