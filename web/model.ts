// Pure view-model helpers: API JSON in, plain values out. No DOM, so test/web runs them in node.

import { formatAgo } from '../common/format.ts'

export const STATUSES = ['ok', 'warn', 'breach', 'unknown'] as const
export type Status = (typeof STATUSES)[number]

const RANK: Record<Status, number> = { unknown: 0, ok: 1, warn: 2, breach: 3 }
export const asStatus = (s: unknown): Status =>
  s === 'ok' || s === 'warn' || s === 'breach' ? s : 'unknown'

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

export interface Dimension {
  name: string
  score: number | null
  status: Status
  reason: string
}

export interface Evaluation {
  score: number | null
  status: Status
  evaluatedAt: string | null
  dimensions: Dimension[]
}

/** Accepts `{name}` or `{dimension}` per dimension, as the quality API has spelt it. */
export function readEvaluation(v: unknown): Evaluation | null {
  if (!isRecord(v)) return null
  const dims = Array.isArray(v.dimensions) ? v.dimensions : []
  return {
    score: num(v.score),
    status: asStatus(v.status),
    evaluatedAt: str(v.evaluatedAt),
    dimensions: dims.filter(isRecord).map((d) => ({
      name: str(d.name) ?? str(d.dimension) ?? '?',
      score: num(d.score),
      status: asStatus(d.status),
      reason: str(d.reason) ?? '',
    })),
  }
}

export interface CatalogRow {
  id: string
  name: string
  domain: string
  owner: string | null
  description: string | null
  updatedAt: string | null
  status: Status
  score: number | null
  outputs: { id: number; name: string }[]
}

export function readCatalogRow(p: Record<string, unknown>): CatalogRow {
  const ev = readEvaluation(p.evaluation)
  const outs = Array.isArray(p.outputs) ? p.outputs.filter(isRecord) : []
  return {
    id: str(p.id) ?? '',
    name: str(p.name) ?? str(p.id) ?? '',
    domain: str(p.domain) ?? '',
    owner: str(p.owner),
    description: str(p.description),
    updatedAt: ev?.evaluatedAt ?? str(p.updatedAt),
    status: ev?.status ?? 'unknown',
    score: ev?.score ?? null,
    outputs: outs.map((o) => ({ id: num(o.id) ?? 0, name: str(o.name) ?? '' })),
  }
}

export interface CatalogFilter {
  q: string
  domain: string
  status: string
}

/** Case-insensitive text search over name, id, domain, owner, description and output names. */
export function filterCatalog(rows: readonly CatalogRow[], f: CatalogFilter): CatalogRow[] {
  const words = f.q.toLowerCase().split(/\s+/).filter(Boolean)
  return rows.filter((r) => {
    if (f.domain && r.domain !== f.domain) return false
    if (f.status && r.status !== f.status) return false
    const hay = [
      r.name,
      r.id,
      r.domain,
      r.owner ?? '',
      r.description ?? '',
      ...r.outputs.map((o) => o.name),
    ]
      .join(' ')
      .toLowerCase()
    return words.every((w) => hay.includes(w))
  })
}

/** Worst first, then lowest score, then name: what needs attention is on top. */
export const sortCatalog = (rows: readonly CatalogRow[]): CatalogRow[] =>
  [...rows].sort(
    (a, b) =>
      RANK[b.status] - RANK[a.status] ||
      (a.score ?? 101) - (b.score ?? 101) ||
      a.name.localeCompare(b.name),
  )

/** "3 h 10 min ago" age of an ISO time relative to `now`: the server's formatter (common/format.ts). */
export const timeAgo = (iso: string | null, now: Date): string => formatAgo(iso, now)

export interface ChartPoint {
  at: string
  score: number
  status: Status
}

/** Points of a score history (0–100) laid out in a w×h box, oldest left; the SVG path through them. */
export function scoreChart(points: readonly ChartPoint[], w: number, h: number, pad = 4) {
  const sorted = [...points].sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
  const t0 = Date.parse(sorted[0]?.at ?? '')
  const t1 = Date.parse(sorted[sorted.length - 1]?.at ?? '')
  const span = t1 - t0 || 1
  const xy = sorted.map((p) => ({
    ...p,
    x: sorted.length === 1 ? w / 2 : pad + ((Date.parse(p.at) - t0) / span) * (w - 2 * pad),
    y: pad + (1 - Math.max(0, Math.min(100, p.score)) / 100) * (h - 2 * pad),
  }))
  const path = xy
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${p.x.toFixed(1)},${p.y.toFixed(1)}`)
    .join(' ')
  return { points: xy, path }
}

/** What the page says of a product or dimension in status unknown (no data to score it by). */
export const UNKNOWN_TEXT =
  'Nothing observed yet to score it by: no run, test result, row count or schema of its outputs. It is scored once its producers are collected (a dbt build with run_results.json, OpenLineage events, an Airflow poll).'

/** The line under the score history: how many evaluations, and the current score (or why none). */
export function historyNote(points: readonly ChartPoint[], status: Status): string {
  if (points.length === 0)
    return status === 'unknown'
      ? 'No score yet: the product is unknown (nothing observed to score it by).'
      : 'No history yet.'
  const last = [...points].sort((a, b) => Date.parse(a.at) - Date.parse(b.at)).at(-1)
  const first = points.reduce((a, p) => (Date.parse(p.at) < Date.parse(a.at) ? p : a))
  const now =
    status === 'unknown' ? 'now unknown (no data to score by)' : `now ${last?.score ?? '—'}`
  return `${points.length} scored evaluation${points.length === 1 ? '' : 's'}; since ${first.at.slice(0, 16)}, ${now}`
}

/** Reads `/history`'s answer: an array, or `{history|evaluations: [...]}`, of `{evaluatedAt|at, score, status}`. */
export function readHistory(v: unknown): ChartPoint[] {
  const list = Array.isArray(v) ? v : isRecord(v) ? (v.history ?? v.evaluations ?? v.points) : []
  if (!Array.isArray(list)) return []
  return list.filter(isRecord).flatMap((p) => {
    const at = str(p.evaluatedAt) ?? str(p.at)
    const score = num(p.score)
    return at && score !== null ? [{ at, score, status: asStatus(p.status) }] : []
  })
}

export type Route =
  | { view: 'catalog' }
  | { view: 'product'; id: string }
  | { view: 'lineage'; node: string | null; depth: number; domain: string | null }
  | { view: 'not-found'; path: string }

/** The page for a URL path and query: `/`, `/products/:id`, `/lineage?node=…&depth=…&domain=…`. */
export function parseRoute(pathname: string, search: string): Route {
  const q = new URLSearchParams(search)
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/' || path === '/products') return { view: 'catalog' }
  const m = /^\/products\/(.+)$/.exec(path)
  if (m?.[1]) return { view: 'product', id: decodeURIComponent(m[1]) }
  if (path === '/lineage') {
    const depth = Number(q.get('depth') ?? 2)
    return {
      view: 'lineage',
      node: q.get('node'),
      depth: Number.isInteger(depth) && depth >= 1 && depth <= 10 ? depth : 2,
      domain: q.get('domain'),
    }
  }
  return { view: 'not-found', path }
}

export const productHref = (id: string): string => `/products/${encodeURIComponent(id)}`
export const lineageHref = (node: string, depth?: number): string =>
  `/lineage?node=${encodeURIComponent(node)}${depth ? `&depth=${depth}` : ''}`

export interface CauseStep {
  id: string | null
  kind: string
  name: string
  domain: string | null
  owner: string | null
  problem: string
  status: Status
  via: string | null
}

export interface RootCauseView {
  summary: string
  confidence: string | null
  chain: CauseStep[]
}

/** Reads `/root-cause` (`{summary, chain:[…], confidence}`, possibly under `rootCause`); owners fall back to the domain's. */
export function readRootCause(
  v: unknown,
  domainOwners: ReadonlyMap<string, string | null> = new Map(),
): RootCauseView | null {
  const rc = isRecord(v) && isRecord(v.rootCause) ? v.rootCause : v
  if (!isRecord(rc) || !Array.isArray(rc.chain) || rc.chain.length === 0) return null
  return {
    summary: str(rc.summary) ?? '',
    confidence: str(rc.confidence),
    chain: rc.chain.filter(isRecord).map((n) => {
      const domain = str(n.domain)
      return {
        id: str(n.id),
        kind: str(n.kind) ?? '',
        name: str(n.name) ?? str(n.id) ?? '?',
        domain,
        owner: str(n.owner) ?? (domain === null ? null : (domainOwners.get(domain) ?? null)),
        problem: str(n.problem) ?? str(n.reason) ?? '',
        status: asStatus(n.status),
        via: str(n.via),
      }
    }),
  }
}

export interface Finding {
  policy: string
  severity: string
  target: string
  message: string
  waived: boolean
}

/** Governance findings about a product: target is the product id or one of its output datasets. */
export function readFindings(
  v: unknown,
  productId: string,
  outputNames: readonly string[],
): Finding[] {
  const list = Array.isArray(v) ? v : isRecord(v) ? (v.violations ?? v.findings) : []
  if (!Array.isArray(list)) return []
  const targets = new Set([productId, ...outputNames])
  return list.filter(isRecord).flatMap((f) => {
    const target = str(f.target) ?? ''
    if (
      !targets.has(target) &&
      !outputNames.some((n) => target.endsWith(`.${n}`) || n.endsWith(`.${target}`))
    )
      return []
    return [
      {
        policy: str(f.policy) ?? '',
        severity: str(f.severity) ?? '',
        target,
        message: str(f.message) ?? '',
        waived: f.waived === true,
      },
    ]
  })
}

export interface RunView {
  job: string
  state: string
  status: Status
  startedAt: string | null
  endedAt: string | null
  error: string | null
}

export function runStatus(state: string): Status {
  const s = state.toUpperCase()
  if (['FAIL', 'FAILED', 'ERROR', 'UPSTREAM_FAILED'].includes(s)) return 'breach'
  if (['ABORT', 'SKIPPED', 'UP_FOR_RETRY'].includes(s)) return 'warn'
  if (['COMPLETE', 'SUCCESS'].includes(s)) return 'ok'
  return 'unknown'
}

/** Runs from `/api/jobs/:id/runs` answers, newest first. */
export function readRuns(
  answers: readonly { job: string; body: unknown }[],
  limit = 10,
): RunView[] {
  const out: RunView[] = []
  for (const a of answers) {
    const runs = isRecord(a.body) && Array.isArray(a.body.runs) ? a.body.runs : []
    for (const r of runs.filter(isRecord)) {
      const state = str(r.state) ?? '?'
      out.push({
        job: a.job,
        state,
        status: runStatus(state),
        startedAt: str(r.startedAt),
        endedAt: str(r.endedAt),
        error: str(r.error),
      })
    }
  }
  const t = (r: RunView) => Date.parse(r.startedAt ?? r.endedAt ?? '') || 0
  return out.sort((a, b) => t(b) - t(a)).slice(0, limit)
}

/** `{freshness: {max_age_hours: {value, source}}, …}` → "max_age_hours 24 · …" per dimension. */
export function readSlaPromises(v: unknown): Map<string, string> {
  const out = new Map<string, string>()
  if (!isRecord(v)) return out
  for (const [dim, group] of Object.entries(v)) {
    if (!isRecord(group) || dim === 'weights') continue
    const parts = Object.entries(group).flatMap(([k, val]) => {
      const value = isRecord(val) ? val.value : val
      return typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
        ? [`${k.replace(/_/g, ' ')} ${String(value)}`]
        : []
    })
    if (parts.length > 0) out.set(dim, parts.join(' · '))
  }
  return out
}
