/**
 * The common table expressions of a job's SQL (the `sql` job facet), read far enough to tell which
 * relation a CTE passes through. SQL parsers name a CTE in column lineage when they cannot see
 * through it (dbt-ol names `orders` for `with orders as (select * from "mesh"."sales"."stg_orders")`):
 * a CTE that selects from one relation, without join or set operation, passes each of its plain
 * column references through, `*` all of them. Anything else is not resolved.
 */

type Token = { kind: 'word' | 'quoted' | 'punct' | 'other'; text: string }

type Cte = {
  /** the relation it selects from, name parts unquoted and lower-cased where unquoted */
  from: string[]
  star: boolean
  /** output column (lower-cased) → input column */
  columns: Map<string, string>
}

const MAX_SQL = 200_000

function tokenize(sql: string): Token[] {
  const out: Token[] = []
  const n = Math.min(sql.length, MAX_SQL)
  let i = 0
  while (i < n) {
    const c = sql[i] as string
    if (/\s/.test(c)) {
      i++
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      i = end < 0 ? n : end + 1
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2)
      i = end < 0 ? n : end + 2
    } else if (c === "'") {
      let j = i + 1
      while (j < n && !(sql[j] === "'" && sql[j + 1] !== "'")) j += sql[j] === "'" ? 2 : 1
      out.push({ kind: 'other', text: sql.slice(i, j + 1) })
      i = j + 1
    } else if (c === '"' || c === '`' || c === '[') {
      const close = c === '[' ? ']' : c
      const end = sql.indexOf(close, i + 1)
      const j = end < 0 ? n : end
      out.push({ kind: 'quoted', text: sql.slice(i + 1, j) })
      i = j + 1
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1
      while (j < n && /[\w$]/.test(sql[j] as string)) j++
      out.push({ kind: 'word', text: sql.slice(i, j).toLowerCase() })
      i = j
    } else if (/[0-9]/.test(c)) {
      let j = i + 1
      while (j < n && /[\w.]/.test(sql[j] as string)) j++
      out.push({ kind: 'other', text: sql.slice(i, j) })
      i = j
    } else {
      out.push({ kind: 'punct', text: c })
      i++
    }
  }
  return out
}

const isName = (t: Token | undefined): t is Token => t?.kind === 'word' || t?.kind === 'quoted'
const is = (t: Token | undefined, kind: Token['kind'], text: string) =>
  t?.kind === kind && t.text === text

/** Index of the `)` closing the `(` at `open`, or -1. */
function closing(tokens: Token[], open: number): number {
  let depth = 0
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i] as Token
    if (t.kind !== 'punct') continue
    if (t.text === '(') depth++
    else if (t.text === ')' && --depth === 0) return i
  }
  return -1
}

/** Splits tokens at depth-0 commas. */
function splitTop(tokens: Token[]): Token[][] {
  const out: Token[][] = [[]]
  let depth = 0
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++
    if (t.kind === 'punct' && t.text === ')') depth--
    if (depth === 0 && t.kind === 'punct' && t.text === ',') out.push([])
    else (out[out.length - 1] as Token[]).push(t)
  }
  return out
}

/** The tokens of `tokens` at depth 0 (parenthesized parts left out). */
function topLevel(tokens: Token[]): Token[] {
  const out: Token[] = []
  let depth = 0
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === '(') depth++
    else if (t.kind === 'punct' && t.text === ')') depth--
    else if (depth === 0) out.push(t)
  }
  return out
}

const NOT_ALIAS = new Set([
  'where',
  'group',
  'order',
  'limit',
  'qualify',
  'having',
  'window',
  'offset',
  'fetch',
  'sample',
  'tablesample',
])
const BREAKS_PASS_THROUGH = new Set([
  'join',
  'union',
  'intersect',
  'except',
  'minus',
  'pivot',
  'unpivot',
  'lateral',
])

/** A CTE body that selects from one relation, or undefined. */
function readBody(body: Token[]): Cte | undefined {
  if (!is(body[0], 'word', 'select')) return undefined
  const top = topLevel(body)
  if (top.some((t) => t.kind === 'word' && BREAKS_PASS_THROUGH.has(t.text))) return undefined
  // the depth-0 `from` of the body
  let depth = 0
  let fromAt = -1
  for (let i = 0; i < body.length; i++) {
    const t = body[i] as Token
    if (t.kind === 'punct' && t.text === '(') depth++
    else if (t.kind === 'punct' && t.text === ')') depth--
    else if (depth === 0 && is(t, 'word', 'from')) {
      fromAt = i
      break
    }
  }
  if (fromAt < 0) return undefined
  let i = fromAt + 1
  const from: string[] = []
  while (isName(body[i])) {
    from.push((body[i] as Token).text)
    if (!is(body[i + 1], 'punct', '.')) break
    i += 2
  }
  if (from.length === 0) return undefined
  i++
  if (is(body[i], 'punct', '(') || is(body[i], 'punct', ',')) return undefined
  if (is(body[i], 'word', 'as')) i++
  const aliasToken = body[i]
  const alias =
    isName(aliasToken) && !(aliasToken.kind === 'word' && NOT_ALIAS.has(aliasToken.text))
      ? aliasToken.text
      : undefined
  if (alias !== undefined && is(body[i + 1], 'punct', ',')) return undefined
  const owners = new Set([from[from.length - 1] as string, ...(alias ? [alias] : [])])

  let list = body.slice(1, fromAt)
  if (is(list[0], 'word', 'distinct') || is(list[0], 'word', 'all')) list = list.slice(1)
  const cte: Cte = { from, star: false, columns: new Map() }
  for (const item of splitTop(list)) {
    // `*`, `x.*`
    if (item.length === 1 && is(item[0], 'punct', '*')) cte.star = true
    else if (
      item.length === 3 &&
      isName(item[0]) &&
      owners.has(item[0].text) &&
      is(item[1], 'punct', '.') &&
      is(item[2], 'punct', '*')
    )
      cte.star = true
    else {
      // `col`, `x.col`, then an optional `[as] name`
      let j = 0
      if (isName(item[0]) && is(item[1], 'punct', '.') && owners.has(item[0].text)) j = 2
      const col = item[j]
      if (!isName(col)) continue
      const rest = item.slice(j + 1)
      const named = is(rest[0], 'word', 'as') ? rest.slice(1) : rest
      if (named.length > 1 || (named.length === 1 && !isName(named[0]))) continue
      const out = named[0]?.text ?? col.text
      cte.columns.set(out.toLowerCase(), col.text)
    }
  }
  return cte
}

/** The CTEs of the query's leading WITH clause that select from a single relation, by name. */
export function passThroughCtes(sql: string): Map<string, Cte> {
  const tokens = tokenize(sql)
  const out = new Map<string, Cte>()
  const withAt = tokens.findIndex((t) => is(t, 'word', 'with'))
  if (withAt < 0) return out
  let i = withAt + 1
  if (is(tokens[i], 'word', 'recursive')) i++
  while (isName(tokens[i])) {
    const name = (tokens[i] as Token).text.toLowerCase()
    i++
    // a column list renames every column: not a pass-through
    let renamed = false
    if (is(tokens[i], 'punct', '(')) {
      renamed = true
      i = closing(tokens, i) + 1
      if (i === 0) return out
    }
    if (!is(tokens[i], 'word', 'as')) return out
    i++
    if (is(tokens[i], 'word', 'not')) i++
    if (is(tokens[i], 'word', 'materialized')) i++
    if (!is(tokens[i], 'punct', '(')) return out
    const end = closing(tokens, i)
    if (end < 0) return out
    const cte = renamed ? undefined : readBody(tokens.slice(i + 1, end))
    if (cte) out.set(name, cte)
    i = end + 1
    if (!is(tokens[i], 'punct', ',')) break
    i++
  }
  return out
}

export type CteInput = { namespace: string; name: string }

/**
 * The input dataset and column a CTE's column comes from, following CTEs that select from CTEs,
 * when the relation it ends at is exactly one of `inputs` (its name, or its name's last parts).
 */
export function resolveCteColumn(
  ctes: Map<string, Cte>,
  inputs: readonly CteInput[],
  namespace: string,
  cte: string,
  column: string,
): { dataset: CteInput; column: string } | undefined {
  let name = cte.toLowerCase()
  let col = column
  for (let hops = 0; hops < 32; hops++) {
    const c = ctes.get(name)
    if (!c) return undefined
    const mapped = c.columns.get(col.toLowerCase()) ?? (c.star ? col : undefined)
    if (mapped === undefined) return undefined
    col = mapped
    const parts = c.from
    if (parts.length === 1 && ctes.has((parts[0] as string).toLowerCase()) && parts[0] !== name) {
      name = (parts[0] as string).toLowerCase()
      continue
    }
    const wanted = parts.join('.').toLowerCase()
    const hits = inputs.filter((d) => {
      if (d.namespace !== namespace) return false
      const n = d.name.toLowerCase()
      return n === wanted || n.endsWith(`.${wanted}`)
    })
    return hits.length === 1 ? { dataset: hits[0] as CteInput, column: col } : undefined
  }
  return undefined
}
