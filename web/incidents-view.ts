import {
  api,
  errorText,
  type IncidentDetail,
  type IncidentStats,
  type IncidentSummary,
} from './api.ts'
import { clockNow, isDemoClock } from './clock.ts'
import { fill, h, link } from './dom.ts'
import { stateBadge } from './incident-badge.ts'
import { actionsPanel, tokenForm, type ActionNotice } from './incident-actions.ts'
import {
  alertState,
  consumerDomains,
  deliveriesByChannel,
  deliveryState,
  incidentAge,
  incidentsHref,
  incidentState,
  INCIDENT_FILTER_STATUSES,
  meanTime,
  parseIncidentFilter,
  type SINCE_PRESETS,
  sinceIso,
  transitionText,
  type IncidentFilter,
} from './incidents-model.ts'
import { domainHref, incidentHref, productHref, timeAgo } from './model.ts'

const section = (title: string, testid: string, ...body: (Node | string | null)[]) =>
  h('section', { class: `panel ${testid}`, 'data-testid': testid }, h('h2', {}, title), ...body)

const at = (iso: string | null): HTMLElement | string =>
  iso === null
    ? '—'
    : h(
        'time',
        { datetime: iso, title: `${iso.slice(0, 19).replace('T', ' ')} UTC` },
        timeAgo(iso, clockNow()),
      )

const table = (head: readonly string[], rows: HTMLElement[], empty: string, testid?: string) =>
  rows.length === 0
    ? h('p', { class: 'muted' }, empty)
    : h(
        'table',
        testid ? { 'data-testid': testid } : {},
        h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows),
      )

/** `/incidents` (list, filters in the URL, 30-day table) or `/incidents/:id` (one incident). */
export async function renderIncidents(root: HTMLElement, id: number | null): Promise<void> {
  if (id === null) await renderList(root)
  else await renderDetail(root, id)
}

async function renderList(root: HTMLElement): Promise<void> {
  const filter = parseIncidentFilter(location.search)
  const [domains, products, stats] = await Promise.all([
    api.api.domains.$get().then((r) => (r.ok ? r.json() : undefined)),
    api.api.products.$get({ query: {} }).then((r) => (r.ok ? r.json() : undefined)),
    api.api.incidents.stats.$get({ query: {} }),
  ])
  if (!stats.ok) {
    fill(root, h('h1', {}, 'Incidents'), h('p', { class: 'error' }, await errorText(stats)))
    root.append(tokenForm(() => void renderList(root)))
    return
  }
  const statsBody = await stats.json()
  const list = h('div', { 'data-testid': 'incident-list' })
  const count = h('span', { class: 'muted', 'data-testid': 'incident-count' })
  const refresh = async () => {
    history.replaceState(null, '', incidentsHref(filter))
    const status = INCIDENT_FILTER_STATUSES.find((st) => st === filter.status)
    const since = sinceIso(filter.since, clockNow())
    const res = await api.api.incidents.$get({
      query: {
        ...(filter.domain ? { domain: filter.domain } : {}),
        ...(filter.product ? { product: filter.product } : {}),
        ...(status ? { status } : {}),
        ...(since ? { since } : {}),
        limit: '500',
      },
    })
    if (!res.ok) {
      count.textContent = ''
      fill(list, h('p', { class: 'error', role: 'alert' }, await errorText(res)))
      return
    }
    const { incidents } = await res.json()
    count.textContent = `${incidents.length} incident${incidents.length === 1 ? '' : 's'}`
    fill(list, incidentTable(incidents, filter.domain))
  }
  const select = (
    key: keyof IncidentFilter,
    label: string,
    options: readonly (readonly [string, string])[],
  ) =>
    h(
      'label',
      { class: 'field' },
      h('span', { class: 'small muted' }, label),
      h(
        'select',
        {
          name: key,
          onchange: (e) => {
            if (e.target instanceof HTMLSelectElement) filter[key] = e.target.value
            document.body.dataset.ready = 'false'
            void refresh().then(() => (document.body.dataset.ready = 'true'))
          },
        },
        h('option', { value: '' }, 'any'),
        ...options.map(([v, text]) => h('option', { value: v, selected: v === filter[key] }, text)),
        // a value from the URL that no option names is kept, so the filter shows what it applies
        filter[key] && !options.some(([v]) => v === filter[key])
          ? h('option', { value: filter[key], selected: true }, filter[key])
          : null,
      ),
    )
  const names = (domains?.domains ?? []).map((d) => d.name).sort()
  const productIds = (products?.products ?? []).map((p) => p.id).sort()
  fill(
    root,
    h(
      'div',
      { class: 'toolbar' },
      h('h1', {}, 'Incidents'),
      h(
        'span',
        { class: 'muted small' },
        `as of ${clockNow().toISOString().slice(0, 16).replace('T', ' ')} UTC${isDemoClock() ? ' (demo clock)' : ''}`,
      ),
    ),
    h(
      'p',
      { class: 'muted small' },
      'A breach episode of a product is one incident: opened when meshwatch detects it, updated as it changes, acknowledged, muted, resolved on recovery or by hand. Filtering by a domain shows its own incidents and the upstream ones that reach its products.',
    ),
    h(
      'form',
      { class: 'toolbar filters', role: 'search', 'aria-label': 'filter incidents' },
      select(
        'domain',
        'Domain',
        names.map((n) => [n, n] as const),
      ),
      select(
        'product',
        'Product',
        productIds.map((p) => [p, p] as const),
      ),
      select(
        'status',
        'Status',
        INCIDENT_FILTER_STATUSES.map((s) => [s, s] as const),
      ),
      select('since', 'Since', [
        ['24h', 'last 24 h'],
        ['7d', 'last 7 days'],
        ['30d', 'last 30 days'],
      ] satisfies [keyof typeof SINCE_PRESETS, string][]),
      count,
    ),
    list,
    statsPanel(statsBody),
    tokenForm(() => void renderList(root)),
  )
  await refresh()
}

function incidentTable(rows: readonly IncidentSummary[], domain: string): HTMLElement {
  const now = clockNow()
  return table(
    ['Incident', 'Status', 'Product', 'Detected', 'Duration', 'Root cause', 'Consumers'],
    rows.map((i) =>
      h(
        'tr',
        { 'data-incident': i.id },
        h(
          'td',
          { class: 'nowrap' },
          link(incidentHref(i.id), `#${i.id}`),
          domain && domain !== i.domain
            ? h('div', { class: 'small muted' }, `upstream, of ${i.domain}`)
            : null,
        ),
        h(
          'td',
          {},
          stateBadge(incidentState(i)),
          h('div', { class: 'small muted' }, `severity ${i.severity}`),
        ),
        h(
          'td',
          {},
          link(productHref(i.productId), i.title),
          h(
            'div',
            { class: 'small muted' },
            `${i.productId} · `,
            link(domainHref(i.domain), i.domain),
          ),
        ),
        h('td', { class: 'nowrap' }, at(i.detectedAt)),
        h('td', { class: 'nowrap' }, incidentAge(i, now)),
        h('td', { class: 'small cause' }, i.rootCause?.summary ?? '—'),
        h(
          'td',
          { class: 'small' },
          consumerDomains(i).length === 0
            ? h('span', { class: 'muted' }, 'none')
            : consumerDomains(i).join(', '),
        ),
      ),
    ),
    'No incidents match these filters.',
    'incidents',
  )
}

function statsPanel(s: IncidentStats): HTMLElement {
  return section(
    `Last ${s.days} days per domain`,
    'incident-stats',
    h(
      'p',
      { class: 'small muted' },
      'Mean time to detect: from when the problem started upstream (root cause) to detection. To acknowledge and to resolve: from detection, over the incidents acknowledged or resolved.',
    ),
    table(
      ['Domain', 'Incidents', 'Open', 'MTTD', 'MTTA', 'MTTR'],
      s.domains.map((d) =>
        h(
          'tr',
          { 'data-domain': d.domain },
          h('th', { scope: 'row' }, link(incidentsHref({ domain: d.domain }), d.domain)),
          h('td', { class: 'num' }, String(d.incidents)),
          h('td', { class: 'num' }, String(d.open)),
          h('td', { class: 'num' }, meanTime(d.mttdMs)),
          h('td', { class: 'num' }, meanTime(d.mttaMs)),
          h('td', { class: 'num' }, meanTime(d.mttrMs)),
        ),
      ),
      `No incident in the last ${s.days} days.`,
      'stats',
    ),
  )
}

async function renderDetail(root: HTMLElement, id: number, notice?: ActionNotice): Promise<void> {
  const res = await api.api.incidents[':id'].$get({ param: { id: String(id) } })
  if (res.status === 404) {
    fill(
      root,
      h('h1', {}, 'Unknown incident'),
      h('p', {}, `No incident ${id}. `, link('/incidents', 'All incidents')),
    )
    return
  }
  if (!res.ok) {
    fill(root, h('h1', {}, `Incident #${id}`), h('p', { class: 'error' }, await errorText(res)))
    root.append(tokenForm(() => void renderDetail(root, id)))
    return
  }
  const v: IncidentDetail = await res.json()
  const i = v.incident
  const state = incidentState(i)
  fill(
    root,
    h('div', { class: 'crumbs' }, link('/incidents', 'Incidents'), ` / #${i.id}`),
    h(
      'h1',
      {},
      `#${i.id} `,
      link(productHref(i.productId), i.title),
      ' ',
      stateBadge(state),
      h('span', { class: 'small muted' }, `severity ${i.severity}`),
    ),
    h(
      'p',
      { class: 'meta', 'data-testid': 'incident-meta' },
      `${i.productId} · domain `,
      link(domainHref(i.domain), i.domain),
      ' · detected ',
      at(i.detectedAt),
      ' · started upstream ',
      at(i.startedAt),
      ` · ${incidentAge(i, clockNow())}`,
      i.reopened > 0 ? ` · reopened ${i.reopened}×` : '',
    ),
    statusLine(i),
    i.rootCause
      ? h(
          'p',
          { class: 'note breach', 'data-testid': 'incident-cause' },
          h('strong', {}, 'Root cause: '),
          i.rootCause.summary,
        )
      : null,
    actionsPanel(i, (n) => void renderDetail(root, id, n), notice),
    h(
      'div',
      { class: 'grid' },
      timelinePanel(v.timeline),
      section(
        'Consumer domains',
        'incident-consumers',
        h(
          'p',
          { class: 'small muted' },
          'Other domains whose products read this one (through lineage): each is told on its own incident routes.',
        ),
        table(
          ['Domain', 'Their products', 'Reached', 'Told on', 'Acknowledged'],
          v.consumers.map((c) =>
            h(
              'tr',
              { 'data-consumer': c.domain },
              h('th', { scope: 'row' }, link(incidentsHref({ domain: c.domain }), c.domain)),
              h(
                'td',
                { class: 'small' },
                ...c.products.flatMap((p, n) => [
                  n ? ', ' : '',
                  link(productHref(p.productId), p.name),
                  p.hops > 0 ? ` (${p.hops} hop${p.hops === 1 ? '' : 's'} away)` : '',
                ]),
              ),
              h('td', { class: 'nowrap small' }, at(c.notifiedAt)),
              h('td', { class: 'small' }, toldOn(v.deliveries, c.domain)),
              h(
                'td',
                { class: 'small' },
                c.acknowledgedAt
                  ? h('span', {}, at(c.acknowledgedAt), ` by ${c.acknowledgedBy ?? '—'}`)
                  : c.resolvedAt
                    ? 'resolved with the incident'
                    : 'not yet',
              ),
            ),
          ),
          'No other domain reads this product.',
        ),
      ),
    ),
    deliveriesPanel(v.deliveries),
  )
}

/** The living messages of one audience (a consumer domain), each with its state in words. */
function toldOn(d: IncidentDetail['deliveries'], audience: string): HTMLElement {
  const rows = deliveriesByChannel(d).flatMap(([channel, rs]) =>
    rs.filter((r) => r.audience === audience).map((r) => ({ channel, r })),
  )
  if (rows.length === 0)
    return h('span', { class: 'muted' }, 'no route of theirs takes consumer notifications')
  return h(
    'span',
    {},
    ...rows.flatMap(({ channel, r }, n) => [
      n ? h('br') : '',
      h(
        'span',
        { class: 'mono nowrap', title: r.route },
        `${channel} ${r.route.split(':').at(-1) ?? ''}`,
      ),
      ' ',
      stateBadge(deliveryState(r)),
    ]),
  )
}

function statusLine(i: IncidentSummary): HTMLElement {
  const parts: (Node | string)[] = []
  if (i.acknowledgedAt)
    parts.push('acknowledged ', at(i.acknowledgedAt), ` by ${i.acknowledgedBy ?? '—'}`)
  if (i.muted && i.mutedUntil)
    parts.push(
      parts.length ? ' · ' : '',
      `muted until ${i.mutedUntil.slice(0, 16).replace('T', ' ')} UTC`,
    )
  if (i.resolvedAt)
    parts.push(
      parts.length ? ' · ' : '',
      i.resolution === 'manual' ? 'resolved by hand ' : 'resolved on recovery ',
      at(i.resolvedAt),
      i.resolvedBy ? ` by ${i.resolvedBy}` : '',
      i.resolveReason && i.resolution === 'manual' ? `: ${i.resolveReason}` : '',
    )
  return h(
    'p',
    { class: 'meta', 'data-testid': 'incident-status' },
    ...(parts.length ? parts : ['not acknowledged yet']),
  )
}

function timelinePanel(timeline: IncidentDetail['timeline']): HTMLElement {
  return section(
    `Timeline (${timeline.length})`,
    'incident-timeline',
    h(
      'ol',
      { class: 'timeline' },
      ...timeline.map((t) =>
        h(
          'li',
          { 'data-kind': t.kind },
          h(
            'div',
            {},
            h('strong', {}, t.kind),
            ' ',
            h(
              'span',
              { class: 'small muted' },
              `${t.at.slice(0, 16).replace('T', ' ')} UTC · `,
              at(t.at),
            ),
          ),
          h('div', { class: 'small' }, transitionText(t)),
          t.note ? h('div', { class: 'small' }, `“${t.note}”`) : null,
          h(
            'div',
            { class: 'small muted' },
            'root cause then: ',
            t.rootCause?.summary ?? 'none found',
            t.blastRadius.length > 0
              ? ` · reaching ${t.blastRadius.length} product${t.blastRadius.length === 1 ? '' : 's'} of other domains`
              : '',
          ),
        ),
      ),
    ),
  )
}

function deliveriesPanel(d: IncidentDetail['deliveries']): HTMLElement {
  const channels = deliveriesByChannel(d)
  const alerts = d['slack-webhook']
  return section(
    'Deliveries per channel',
    'incident-deliveries',
    channels.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'No incident route takes this incident (incidents.routes in meshwatch.yml): no living message was made.',
        )
      : null,
    ...channels.map(([channel, rows]) =>
      h(
        'div',
        { 'data-channel': channel },
        h('h3', {}, channel),
        table(
          ['Route', 'For', 'State', 'Detail', 'Attempts'],
          rows.map((r) => {
            const s = deliveryState(r)
            return h(
              'tr',
              { 'data-audience': r.audience },
              h('td', { class: 'mono' }, r.route),
              h('td', {}, r.audience === 'owner' ? 'owners' : `consumer ${r.audience}`),
              h('td', {}, stateBadge(s)),
              h('td', { class: 'small' }, s.detail),
              h('td', { class: 'num' }, String(r.attempts)),
            )
          }),
          'none',
        ),
      ),
    ),
    alerts.length > 0
      ? h(
          'div',
          { 'data-channel': 'slack-webhook' },
          h('h3', {}, 'Slack webhook alerts of this breach'),
          table(
            ['Alert', 'Route', 'State', 'Detail', 'Attempts'],
            alerts.map((a) => {
              const s = alertState(a)
              return h(
                'tr',
                {},
                h('td', {}, a.kind),
                h(
                  'td',
                  { class: 'mono' },
                  a.route
                    ? `$${a.route.webhookEnv}${a.route.channel ? ` ${a.route.channel}` : ''}`
                    : '—',
                ),
                h('td', {}, stateBadge(s)),
                h('td', { class: 'small' }, s.detail),
                h('td', { class: 'num' }, String(a.attempts)),
              )
            }),
            'none',
          ),
        )
      : null,
  )
}
