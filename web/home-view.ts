import { api, ok, type DomainTiles, type IncidentSummary } from './api.ts'
import { trendChart } from './charts.ts'
import { clockNow, isDemoClock } from './clock.ts'
import { h, link, statusBadge } from './dom.ts'
import { incidentsHref } from './incidents-model.ts'
import { domainHref, type Status } from './model.ts'

type Tile = DomainTiles['domains'][number]
const ORDER: Status[] = ['breach', 'warn', 'ok', 'unknown']

/** The mesh home: every domain as a tile with its products' health, trend and neighbours. */
export async function renderHome(root: HTMLElement): Promise<void> {
  const [body, incidents] = await Promise.all([
    api.api.domains.overview.$get({ query: {} }).then(ok),
    activeIncidents(),
  ])
  const tiles = [...(body?.domains ?? [])].sort(
    (a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.name.localeCompare(b.name),
  )
  const total: Record<Status, number> = { ok: 0, warn: 0, breach: 0, unknown: 0 }
  for (const t of tiles) for (const s of ORDER) total[s] += t.productCounts[s]
  const products = ORDER.reduce((n, s) => n + total[s], 0)
  root.replaceChildren(
    h(
      'div',
      { class: 'toolbar' },
      h('h1', {}, 'Mesh health'),
      h(
        'span',
        { class: 'muted', 'data-testid': 'mesh-summary' },
        `${tiles.length} domains · ${products} products: ${total.breach} breach, ${total.warn} warn, ${total.ok} ok, ${total.unknown} unknown · as of ${clockNow().toISOString().slice(0, 16).replace('T', ' ')} UTC${isDemoClock() ? ' (demo clock)' : ''}`,
      ),
      link('/products', 'All products →', { class: 'button' }),
    ),
    tiles.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'No domains yet: collect a dbt target/ or start with the demo mesh.',
        )
      : h(
          'ul',
          { class: 'tiles', 'data-testid': 'domain-tiles', 'aria-label': 'domains' },
          ...tiles.map((t) => tile(t, body?.days ?? 30, incidents)),
        ),
  )
}

const domainLinks = (names: readonly string[]) =>
  names.length === 0
    ? h('span', { class: 'muted' }, 'none')
    : h('span', {}, ...names.flatMap((n, i) => [i ? ', ' : '', link(domainHref(n), n)]))

function tile(t: Tile, days: number, incidents: IncidentSummary[] | undefined): HTMLElement {
  const counts = ORDER.filter((s) => t.productCounts[s] > 0)
  return h(
    'li',
    { class: `tile ${t.status}`, 'data-domain': t.name },
    h(
      'div',
      { class: 'tile-head' },
      h('h2', {}, link(domainHref(t.name), t.name)),
      statusBadge(t.status),
    ),
    h('div', { class: 'muted small' }, t.owner ?? 'no owner'),
    h(
      'p',
      { class: 'counts' },
      counts.length === 0
        ? h('span', { class: 'muted' }, 'no products')
        : h(
            'span',
            {},
            ...counts.flatMap((s, i) => [
              i ? ' ' : '',
              statusBadge(s, `${t.productCounts[s]} ${s}`),
            ]),
          ),
    ),
    incidents ? incidentLine(t.name, incidents) : null,
    h(
      'div',
      { class: 'tile-trend' },
      trendChart(
        t.trend.map((p) => ({ at: `${p.day}T12:00:00Z`, score: p.score, status: p.status })),
        { w: 200, h: 40, label: `${t.name}, ${days}-day score trend` },
      ),
      h(
        'span',
        { class: 'small muted' },
        t.trend.length === 0
          ? 'no scores yet'
          : `${t.trend.length} day${t.trend.length === 1 ? '' : 's'}, now ${t.trend.at(-1)?.score.toFixed(0)}`,
      ),
    ),
    h(
      'div',
      { class: 'small' },
      h('span', { class: 'muted' }, 'reads from '),
      domainLinks(t.providers),
    ),
    h('div', { class: 'small' }, h('span', { class: 'muted' }, 'feeds '), domainLinks(t.consumers)),
    h('div', { class: 'small muted' }, `${t.datasets} datasets · ${t.jobs} jobs`),
  )
}

/** The incidents not resolved yet (open or acknowledged); none when the API has no incidents. */
async function activeIncidents(): Promise<IncidentSummary[] | undefined> {
  const [open, acked] = await Promise.all(
    (['open', 'acknowledged'] as const).map((status) =>
      api.api.incidents
        .$get({ query: { status, limit: '1000' } })
        .then(ok)
        .catch(() => undefined),
    ),
  )
  return open || acked ? [...(open?.incidents ?? []), ...(acked?.incidents ?? [])] : undefined
}

/** A domain's unresolved incidents: its own, and the upstream ones reaching its products. */
function incidentLine(domain: string, all: readonly IncidentSummary[]): HTMLElement {
  const own = all.filter((i) => i.domain === domain).length
  const upstream = all.filter(
    (i) => i.domain !== domain && i.blastRadius.some((p) => p.domain === domain),
  ).length
  const text =
    own + upstream === 0
      ? 'no open incidents'
      : [
          own ? `${own} open incident${own === 1 ? '' : 's'}` : '',
          upstream ? `${upstream} upstream reaching it` : '',
        ]
          .filter(Boolean)
          .join(' · ')
  return h(
    'div',
    { class: 'small incidents', 'data-testid': 'tile-incidents' },
    own + upstream === 0
      ? h('span', { class: 'muted' }, text)
      : link(
          incidentsHref({ domain }),
          h('span', {}, h('span', { 'aria-hidden': 'true' }, own ? '! ' : '◐ '), text),
        ),
  )
}
