// The product page's incidents: its own breach episodes, and the upstream ones that reach it.
import type { IncidentSummary } from './api.ts'
import { clockNow } from './clock.ts'
import { h, link } from './dom.ts'
import { incidentAge, incidentsHref, incidentState } from './incidents-model.ts'
import { stateBadge } from './incident-badge.ts'
import { incidentHref, timeAgo } from './model.ts'

const SHOWN = 5

/** Up to five of the product's own incidents and five upstream ones reaching it, newest first. */
export function incidentPanel(
  productId: string,
  domain: string,
  all: readonly IncidentSummary[] | undefined,
): HTMLElement | null {
  if (all === undefined) return null
  const own = all.filter((i) => i.productId === productId)
  const upstream = all.filter(
    (i) => i.productId !== productId && i.blastRadius.some((p) => p.productId === productId),
  )
  const now = clockNow()
  const item = (i: IncidentSummary, from: boolean) =>
    h(
      'li',
      { 'data-incident': i.id },
      stateBadge(incidentState(i)),
      ' ',
      link(incidentHref(i.id), from ? `#${i.id} ${i.productId}` : `#${i.id}`),
      h(
        'span',
        { class: 'small muted' },
        ` detected ${timeAgo(i.detectedAt, now)}, ${incidentAge(i, now)}`,
      ),
      i.rootCause ? h('div', { class: 'small' }, i.rootCause.summary) : null,
    )
  const list = (rows: IncidentSummary[], from: boolean, empty: string) =>
    rows.length === 0
      ? h('p', { class: 'muted small' }, empty)
      : h('ul', { class: 'incident-items' }, ...rows.slice(0, SHOWN).map((i) => item(i, from)))
  return h(
    'section',
    { class: 'panel incidents', 'data-testid': 'product-incidents' },
    h('h2', {}, 'Incidents'),
    h('h3', {}, 'Of this product'),
    list(own, false, 'None: it has not breached.'),
    h('h3', {}, 'Upstream, reaching it'),
    list(upstream, true, 'None.'),
    h(
      'p',
      { class: 'small' },
      link(incidentsHref({ product: productId }), 'All incidents of this product'),
      ' · ',
      link(incidentsHref({ domain }), `of domain ${domain}`),
    ),
  )
}
