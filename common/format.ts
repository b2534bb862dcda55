// The one way meshwatch writes a duration, a "how long ago" time and a validation issue, for the
// server (dimension reasons, root causes, Slack messages, the gate's reports, API errors),
// the collectors' warnings and the web page alike. Pure: no imports (STYLE.md §1).

const MINUTE = 60_000

/** `0 min`, `59 min`, `2 h`, `2 h 15 min`, `2 days`, `2 days 3 h`: whole minutes, never decimals. */
export function formatDuration(ms: number): string {
  const min = Math.max(0, Math.round(ms / MINUTE))
  if (min < 60) return `${min} min`
  const h = Math.floor(min / 60)
  if (h < 48) return min % 60 === 0 ? `${h} h` : `${h} h ${min % 60} min`
  const d = Math.floor(h / 24)
  return h % 24 === 0 ? `${d} days` : `${d} days ${h % 24} h`
}

/**
 * How long before `now` something happened (last loaded, last written, evaluated):
 * `2 h 15 min ago`; `just now` under a minute (or for a time after `now`); `—` when unknown.
 */
export function formatAgo(at: string | number | null | undefined, now: Date): string {
  if (at === null || at === undefined) return '—'
  const t = typeof at === 'number' ? at : Date.parse(at)
  if (!Number.isFinite(t)) return '—'
  const ms = now.getTime() - t
  return ms < MINUTE ? 'just now' : `${formatDuration(ms)} ago`
}

/** A validation issue as zod (or anyone) reports one: where, and what is wrong there. */
export interface IssueLike {
  readonly path: readonly PropertyKey[]
  readonly message: string
}

/**
 * `$.outputs[0].name`: a JSONPath-like location, `$` for the value itself; a key that is not an
 * identifier is quoted (`$.facets["my-facet"]`).
 */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, p) =>
      typeof p === 'number'
        ? `${acc}[${p}]`
        : /^[A-Za-z_$][\w$]*$/.test(String(p))
          ? `${acc}.${String(p)}`
          : `${acc}[${JSON.stringify(String(p))}]`,
    '$',
  )
}

/** `$.run.runId: required`; an issue about the value itself is its message alone. */
export function formatIssue(issue: IssueLike): string {
  const message = issue.message.replace(
    /^Invalid input: expected \w+, received undefined$/,
    'required',
  )
  return issue.path.length === 0 ? message : `${formatPath(issue.path)}: ${message}`
}

/** The first `max` issues as one sentence, `; ` between them (`invalid` when there are none). */
export function formatIssues(issues: readonly IssueLike[], max = 5): string {
  return issues.length === 0 ? 'invalid' : issues.slice(0, max).map(formatIssue).join('; ')
}
