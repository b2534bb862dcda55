/**
 * Renders the Jinja of a model's raw SQL that dbt resolves from the manifest alone: ref(),
 * source(), this, config(), var() with a literal default, and is_incremental() (false: the
 * full-refresh SQL, the one that defines every column). Anything else is reported, not guessed.
 */
export type RenderContext = {
  ref: (name: string, pkg: string | undefined, version: string | undefined) => string | undefined
  source: (sourceName: string, table: string) => string | undefined
  self: string | undefined
}

export type Rendered = { sql: string } | { reason: string }

const STRING = String.raw`\s*(?:'([^']*)'|"([^"]*)")\s*`
const REF = new RegExp(
  String.raw`^ref\(${STRING}(?:,${STRING})?(?:,\s*(?:v|version)\s*=\s*(?:'([^']*)'|"([^"]*)"|(\d+(?:\.\d+)?))\s*)?\)$`,
)
const SOURCE = new RegExp(String.raw`^source\(${STRING},${STRING}\)$`)
const VAR = new RegExp(
  String.raw`^var\(${STRING},\s*('(?:[^']*)'|"(?:[^"]*)"|-?\d+(?:\.\d+)?)\s*\)$`,
)
const IF_INCREMENTAL =
  /\{%-?\s*if\s+(not\s+)?is_incremental\(\)\s*-?%\}([\s\S]*?)(?:\{%-?\s*else\s*-?%\}([\s\S]*?))?\{%-?\s*endif\s*-?%\}/g

/** Jinja quoted in a warning: on one line (a call may span many) and at most 200 characters. */
const quote = (jinja: string): string => jinja.trim().replace(/\s+/g, ' ').slice(0, 200)

export function renderRawSql(raw: string, ctx: RenderContext): Rendered {
  let sql = raw.replace(/\{#[\s\S]*?#\}/g, '')
  sql = sql.replace(IF_INCREMENTAL, (_m, not: string | undefined, yes: string, no?: string) =>
    not ? yes : (no ?? ''),
  )
  let reason: string | undefined
  sql = sql.replace(/\{\{-?([\s\S]*?)-?\}\}/g, (match, inner: string) => {
    const out = renderExpression(inner.trim(), ctx)
    if (out === undefined) reason ??= `unresolved ${quote(match)}`
    return out ?? ''
  })
  sql = sql.replace(/\{%-?\s*(set\s[\s\S]*?|do\s[\s\S]*?)-?%\}/g, (m) => {
    reason ??= `Jinja statement ${quote(m)}`
    return ''
  })
  if (reason) return { reason }
  const left = /\{%[\s\S]*?%\}/.exec(sql)
  if (left) return { reason: `Jinja statement ${quote(left[0])}` }
  return { sql }
}

function renderExpression(expr: string, ctx: RenderContext): string | undefined {
  if (expr === 'this') return ctx.self
  if (/^config\([\s\S]*\)$/.test(expr)) return ''
  const ref = REF.exec(expr)
  if (ref) {
    const first = ref[1] ?? ref[2] ?? ''
    const second = ref[3] ?? ref[4]
    const version = ref[5] ?? ref[6] ?? ref[7]
    return second === undefined
      ? ctx.ref(first, undefined, version)
      : ctx.ref(second, first, version)
  }
  const source = SOURCE.exec(expr)
  if (source) return ctx.source(source[1] ?? source[2] ?? '', source[3] ?? source[4] ?? '')
  const v = VAR.exec(expr)
  if (v) return v[3]?.replace(/^(['"])([\s\S]*)\1$/, '$2')
  return undefined
}
