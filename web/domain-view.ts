import { api, ok, type DomainPage } from './api.ts'
import { trendChart } from './charts.ts'
import { clockNow } from './clock.ts'
import { fill, h, link, statusBadge } from './dom.ts'
import { domainHref, lineageHref, productHref, timeAgo } from './model.ts'

const section = (title: string, testid: string, ...body: (Node | string | null)[]) =>
  h('section', { class: `panel ${testid}`, 'data-testid': testid }, h('h2', {}, title), ...body)

const table = (head: string[], rows: HTMLElement[], empty: string) =>
  rows.length === 0
    ? h('p', { class: 'muted' }, empty)
    : h(
        'table',
        {},
        h('thead', {}, h('tr', {}, ...head.map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', {}, ...rows),
      )

/** One domain: owner and contacts, its products, what it publishes to whom, what it reads, findings. */
export async function renderDomain(root: HTMLElement, name: string): Promise<void> {
  const param = { name: encodeURIComponent(name) }
  const [page, governance] = await Promise.all([
    api.api.domains[':name'].$get({ param, query: {} }).then(ok),
    api.api.governance
      .$get({ query: { domain: name } })
      .then(ok)
      .catch(() => undefined),
  ])
  if (!page) {
    root.replaceChildren(
      h('h1', {}, 'Unknown domain'),
      h('p', {}, `No domain ${name}. `, link('/', 'Back to the mesh')),
    )
    return
  }
  const worst = ['breach', 'warn', 'ok'].find((s) => page.products.some((p) => p.status === s))
  fill(
    root,
    h('div', { class: 'crumbs' }, link('/', 'Mesh'), ' / ', 'domains / ', page.name),
    h('h1', {}, page.name, statusBadge(worst ?? 'unknown')),
    page.description ? h('p', {}, page.description) : null,
    contacts(page),
    h(
      'div',
      { class: 'grid' },
      productsPanel(page),
      publishedPanel(page),
      consumesPanel(page),
      governance === undefined
        ? null
        : section(
            'Governance',
            'governance',
            governance.violations.length === 0
              ? h('p', { class: 'muted' }, 'No findings: all policies pass.')
              : h(
                  'ul',
                  { class: 'findings' },
                  ...governance.violations.map((f) =>
                    h(
                      'li',
                      { class: f.waived ? 'muted' : '' },
                      statusBadge(f.severity === 'error' ? 'breach' : 'warn', f.severity),
                      ` ${f.policy}: `,
                      h('span', { class: 'mono' }, f.target),
                      ` — ${f.message}`,
                      f.waived ? ' (waived)' : '',
                    ),
                  ),
                ),
          ),
    ),
  )
}

function contacts(p: DomainPage) {
  const c = p.contacts
  const owner = c.owner ?? p.owner
  return h(
    'p',
    { class: 'meta', 'data-testid': 'contacts' },
    `owner ${owner ?? '—'}`,
    c.channel ? ` · Slack ${c.channel}` : '',
    c.breachChannel && c.breachChannel !== c.channel ? ` (breaches: ${c.breachChannel})` : '',
    c.mention ? ` · mention ${c.mention}` : '',
    ` · ${p.datasets} datasets · ${p.jobs} jobs · `,
    link(`/lineage?domain=${encodeURIComponent(p.name)}`, 'lineage of this domain'),
  )
}

function productsPanel(p: DomainPage) {
  return section(
    'Products',
    'domain-products',
    table(
      ['Product', 'Status', 'Score', '30-day trend', 'Evaluated'],
      p.products.map((x) =>
        h(
          'tr',
          { 'data-product': x.id },
          h(
            'td',
            {},
            link(productHref(x.id), x.name),
            h('div', { class: 'muted small' }, x.owner ?? ''),
          ),
          h('td', {}, statusBadge(x.status)),
          h('td', { class: 'num' }, x.score === null ? '—' : x.score.toFixed(0)),
          h(
            'td',
            {},
            trendChart(
              x.trend.map((t) => ({ at: `${t.day}T12:00:00Z`, score: t.score, status: t.status })),
              { w: 140, h: 28, label: `${x.name} score trend` },
            ),
          ),
          h('td', { title: x.evaluatedAt ?? '' }, timeAgo(x.evaluatedAt, clockNow())),
        ),
      ),
      'No products in this domain.',
    ),
  )
}

function publishedPanel(p: DomainPage) {
  return section(
    'Publishes',
    'published',
    table(
      ['Dataset', 'Access', 'Consumed by'],
      p.published.map((d) =>
        h(
          'tr',
          {},
          h('td', { class: 'mono' }, link(lineageHref(`dataset:${d.id}`), d.name)),
          h('td', {}, d.access ?? '—'),
          h(
            'td',
            {},
            d.consumers.length === 0
              ? h('span', { class: 'muted' }, 'no other domain')
              : h(
                  'span',
                  {},
                  ...d.consumers.flatMap((c, i) => [
                    i ? ', ' : '',
                    link(domainHref(c.domain), c.domain),
                    h(
                      'span',
                      { class: 'muted small' },
                      ` (${c.jobs} job${c.jobs === 1 ? '' : 's'})`,
                    ),
                  ]),
                ),
          ),
        ),
      ),
      'Publishes no public dataset or product output.',
    ),
  )
}

function consumesPanel(p: DomainPage) {
  return section(
    'Consumes from other domains',
    'consumes',
    table(
      ['Dataset', 'From', 'Read by'],
      p.consumes.map((d) =>
        h(
          'tr',
          {},
          h('td', { class: 'mono' }, link(lineageHref(`dataset:${d.id}`), d.name)),
          h('td', {}, link(domainHref(d.provider), d.provider)),
          h('td', { class: 'num' }, `${d.readers} job${d.readers === 1 ? '' : 's'}`),
        ),
      ),
      'Reads nothing from other domains.',
    ),
  )
}
