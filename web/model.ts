// Pure view-model helpers: API answers (typed by hc<AppType>) in, plain values out. No DOM, so
// test/web runs them in node.
import type {
  CatalogProduct,
  Governance,
  ProductDetail,
  ProductHistory,
  RootCauseAnswer,
} from './api.ts'

import { formatAgo } from '../common/format.ts'

export const STATUSES = ['ok', 'warn', 'breach', 'unknown'] as const
export type Status = (typeof STATUSES)[number]

const RANK: Record<Status, number> = { unknown: 0, ok: 1, warn: 2, breach: 3 }

/** A product's latest evaluation, as the catalog and the product page show it. */
export type Evaluation = NonNullable<CatalogProduct['evaluation']>

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

export function toCatalogRow(p: CatalogProduct): CatalogRow {
  return {
    id: p.id,
    name: p.name,
    domain: p.domain,
    owner: p.owner,
    description: p.description,
    updatedAt: p.evaluation?.evaluatedAt ?? p.updatedAt,
    status: p.evaluation?.status ?? 'unknown',
    score: p.evaluation?.score ?? null,
    outputs: p.outputs.map((o) => ({ id: o.id, name: o.name })),
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

/** The scored evaluations of `/history`'s answer, as chart points. */
export const historyPoints = (h: ProductHistory): ChartPoint[] =>
  h.evaluations.flatMap((e) =>
    e.score === null ? [] : [{ at: e.evaluatedAt, score: e.score, status: e.status }],
  )

export type Route =
  | { view: 'home' }
  | { view: 'catalog' }
  | { view: 'domain'; name: string }
  | { view: 'run'; runId: string | null; job: number | null }
  | { view: 'product'; id: string }
  | { view: 'lineage'; node: string | null; depth: number; domain: string | null }
  | { view: 'incidents'; id: number | null }
  | { view: 'not-found'; path: string }

/**
 * The page for a URL path and query: `/` (mesh home), `/products` (catalog), `/products/:id`,
 * `/domains/:name`, `/runs/:runId` or `/runs?job=<id>` (a run's timeline),
 * `/lineage?node=…&depth=…&domain=…`, `/incidents` (filters in the query) or `/incidents/:id`.
 */
export function parseRoute(pathname: string, search: string): Route {
  const q = new URLSearchParams(search)
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/') return { view: 'home' }
  if (path === '/products') return { view: 'catalog' }
  const m = /^\/products\/(.+)$/.exec(path)
  if (m?.[1]) return { view: 'product', id: decodeURIComponent(m[1]) }
  const d = /^\/domains\/(.+)$/.exec(path)
  if (d?.[1]) return { view: 'domain', name: decodeURIComponent(d[1]) }
  const r = /^\/runs(?:\/(.+))?$/.exec(path)
  if (r) {
    const job = Number(q.get('job'))
    return {
      view: 'run',
      runId: r[1] ? decodeURIComponent(r[1]) : null,
      job: Number.isInteger(job) && job > 0 ? job : null,
    }
  }
  if (path === '/lineage') {
    const depth = Number(q.get('depth') ?? 2)
    return {
      view: 'lineage',
      node: q.get('node'),
      depth: Number.isInteger(depth) && depth >= 1 && depth <= 10 ? depth : 2,
      domain: q.get('domain'),
    }
  }
  const inc = /^\/incidents(?:\/(\d+))?$/.exec(path)
  if (inc) return { view: 'incidents', id: inc[1] ? Number(inc[1]) : null }
  return { view: 'not-found', path }
}

export const productHref = (id: string): string => `/products/${encodeURIComponent(id)}`
export const domainHref = (name: string): string => `/domains/${encodeURIComponent(name)}`
export const runHref = (runId: string): string => `/runs/${encodeURIComponent(runId)}`
export const jobRunsHref = (jobId: number): string => `/runs?job=${jobId}`
export const incidentHref = (id: number): string => `/incidents/${id}`
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

/** The root-cause chain of `/root-cause`'s answer; each step's owner is its domain's. */
export function rootCauseView(
  answer: RootCauseAnswer,
  domainOwners: ReadonlyMap<string, string | null> = new Map(),
): RootCauseView | null {
  const rc = answer.rootCause
  if (!rc || rc.chain.length === 0) return null
  return {
    summary: rc.summary,
    confidence: rc.confidence,
    chain: rc.chain.map((n) => ({
      id: n.id,
      kind: n.kind,
      name: n.name,
      domain: n.domain,
      owner: n.domain === null ? null : (domainOwners.get(n.domain) ?? null),
      problem: n.problem ?? '',
      status: n.status ?? 'unknown',
      via: n.via ?? null,
    })),
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
export function productFindings(
  g: Governance,
  productId: string,
  outputNames: readonly string[],
): Finding[] {
  const targets = new Set([productId, ...outputNames])
  return g.violations
    .filter(
      (f) =>
        targets.has(f.target) ||
        outputNames.some((n) => f.target.endsWith(`.${n}`) || n.endsWith(`.${f.target}`)),
    )
    .map((f) => ({
      policy: f.policy,
      severity: f.severity,
      target: f.target,
      message: f.message,
      waived: f.waived,
    }))
}

export function runStatus(state: string): Status {
  const s = state.toUpperCase()
  if (['FAIL', 'FAILED', 'ERROR', 'UPSTREAM_FAILED'].includes(s)) return 'breach'
  if (['ABORT', 'SKIPPED', 'UP_FOR_RETRY'].includes(s)) return 'warn'
  if (['COMPLETE', 'SUCCESS'].includes(s)) return 'ok'
  return 'unknown'
}

type EffectiveSla = ProductDetail['effectiveSla']
type Dimension = Evaluation['dimensions'][number]['dimension']

/** The effective SLA of one dimension as a line: "max age hours 24 · grace minutes 30". */
export function slaPromise(sla: EffectiveSla, dimension: Dimension): string {
  return Object.entries(sla[dimension])
    .flatMap(([k, { value }]) =>
      typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'
        ? [`${k.replace(/_/g, ' ')} ${String(value)}`]
        : [],
    )
    .join(' · ')
}

export interface DimensionHistory {
  dimension: string
  points: { at: string; score: number; status: Status; note: string }[]
}

/** `/history`'s evaluations as one series per SLA dimension, each point with its reason then. */
export function historyByDimension(h: ProductHistory): DimensionHistory[] {
  const out = new Map<string, DimensionHistory>()
  for (const e of [...h.evaluations].reverse()) {
    for (const d of e.dimensions) {
      if (d.score === null) continue
      const series = out.get(d.dimension) ?? { dimension: d.dimension, points: [] }
      series.points.push({ at: e.evaluatedAt, score: d.score, status: d.status, note: d.reason })
      out.set(d.dimension, series)
    }
  }
  return [...out.values()]
}
