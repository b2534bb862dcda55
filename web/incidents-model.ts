// Pure helpers of the Incidents page: filters in the URL, an incident's state as words and a
// glyph, the transitions as lines. No DOM, so test/web runs them in node.
import type { IncidentDetail, IncidentSummary } from './api.ts'
import { formatDuration } from '../common/format.ts'
import { INCIDENT_CHANNELS, type IncidentChannel } from '../common/incident-vocab.ts'

export const INCIDENT_FILTER_STATUSES = ['open', 'acknowledged', 'muted', 'resolved'] as const

/** `since` presets of the filter; an ISO date or date-time in the URL is taken as given. */
export const SINCE_PRESETS = { '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 }

export interface IncidentFilter {
  domain: string
  product: string
  status: string
  since: string
}

const FILTER_KEYS = ['domain', 'product', 'status', 'since'] as const

export function parseIncidentFilter(search: string): IncidentFilter {
  const q = new URLSearchParams(search)
  return {
    domain: q.get('domain') ?? '',
    product: q.get('product') ?? '',
    status: q.get('status') ?? '',
    since: q.get('since') ?? '',
  }
}

/** `/incidents?domain=…&…` with the filters that are set, in a fixed order. */
export function incidentsHref(f: Partial<IncidentFilter> = {}): string {
  const q = new URLSearchParams()
  for (const k of FILTER_KEYS) if (f[k]) q.set(k, f[k])
  return q.size > 0 ? `/incidents?${q.toString()}` : '/incidents'
}

/** The API's `since` (ISO date-time) for a filter value, relative to `now` for a preset. */
export function sinceIso(since: string, now: Date): string | undefined {
  if (!since) return undefined
  const preset = (SINCE_PRESETS as Record<string, number>)[since]
  if (preset !== undefined) return new Date(now.getTime() - preset).toISOString()
  if (/^\d{4}-\d{2}-\d{2}$/.test(since)) return `${since}T00:00:00Z`
  const t = Date.parse(since)
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined
}

export interface IncidentState {
  /** The badge's class: the status colours of the rest of the page. */
  tone: 'ok' | 'warn' | 'breach'
  icon: string
  label: string
}

/** What an incident is now, in words (colour and glyph only repeat them). */
export function incidentState(i: Pick<IncidentSummary, 'status' | 'severity' | 'muted'>) {
  const s: IncidentState =
    i.status === 'resolved'
      ? { tone: 'ok', icon: '✓', label: 'resolved' }
      : i.status === 'acknowledged'
        ? { tone: 'warn', icon: '◐', label: 'acknowledged' }
        : { tone: i.severity === 'breach' ? 'breach' : 'warn', icon: '!', label: 'open' }
  return i.muted ? { ...s, label: `${s.label}, muted` } : s
}

/** How long it lasted (resolved) or has lasted until `now`. */
export function incidentAge(i: Pick<IncidentSummary, 'detectedAt' | 'resolvedAt'>, now: Date) {
  const end = i.resolvedAt ? Date.parse(i.resolvedAt) : now.getTime()
  const ms = end - Date.parse(i.detectedAt)
  return i.resolvedAt ? `lasted ${formatDuration(ms)}` : `for ${formatDuration(ms)}`
}

/** A mean time of the 30-day table, or a dash when there was none to average. */
export const meanTime = (ms: number | null): string => (ms === null ? '—' : formatDuration(ms))

/** The consumer domains an incident reaches, each once, in name order. */
export const consumerDomains = (i: Pick<IncidentSummary, 'blastRadius' | 'domain'>): string[] =>
  [...new Set(i.blastRadius.map((p) => p.domain))].filter((d) => d !== i.domain).sort()

type Transition = IncidentDetail['timeline'][number]

/** One timeline step as a line (its kind is shown beside it): who did it, the product then, what changed. */
export function transitionText(t: Transition): string {
  const who = t.actor ? ` by ${t.actor}${t.actorDomain ? ` (${t.actorDomain})` : ''}` : ''
  const changed = t.changes.length > 0 ? ` — changed: ${t.changes.join(', ')}` : ''
  const score = t.score === null ? '' : `, score ${t.score.toFixed(0)}`
  return `${who ? `${who.slice(1)}; ` : ''}product ${t.productStatus}${score}${changed}`
}

type Deliveries = IncidentDetail['deliveries']
/** A living message of one route (app mode, Teams, PagerDuty, webhook, e-mail). */
export type IncidentDelivery = NonNullable<Deliveries[IncidentChannel]>[number]
/** A Slack webhook alert of the incident's breach episode (the outbox of webhook mode). */
export type WebhookAlert = Deliveries['slack-webhook'][number]

/** The living messages by channel, without the webhook alerts (shown apart: another shape). */
export const deliveriesByChannel = (d: Deliveries): [IncidentChannel, IncidentDelivery[]][] =>
  INCIDENT_CHANNELS.flatMap((c) => {
    const rows = d[c] ?? []
    return rows.length > 0 ? [[c, rows]] : []
  })

/** Whether a living message is up to date on its channel, in words: delivered, pending or not delivered (and why). */
export function deliveryState(d: IncidentDelivery): IncidentState & { detail: string } {
  if (d.status === 'failed')
    return { tone: 'breach', icon: '✕', label: 'not delivered', detail: d.lastError ?? 'failed' }
  if (d.pending === 0)
    return { tone: 'ok', icon: '✓', label: 'delivered', detail: d.deliveredAt ?? '' }
  return {
    tone: 'warn',
    icon: '…',
    label: `pending (${d.pending} step${d.pending === 1 ? '' : 's'})`,
    detail: d.lastError ? `retrying: ${d.lastError}` : `next attempt ${d.nextAttemptAt ?? '—'}`,
  }
}

/** A webhook alert's state in words. */
export function alertState(a: WebhookAlert): IncidentState & { detail: string } {
  if (a.status === 'delivered')
    return { tone: 'ok', icon: '✓', label: 'delivered', detail: a.deliveredAt ?? '' }
  if (a.status === 'failed')
    return { tone: 'breach', icon: '✕', label: 'not delivered', detail: a.lastError ?? 'failed' }
  return { tone: 'warn', icon: '…', label: a.status, detail: a.lastError ?? '' }
}
