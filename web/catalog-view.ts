import { api, ok } from './api.ts'
import { clockNow } from './clock.ts'
import { h, link, statusBadge } from './dom.ts'
import {
  filterCatalog,
  sortCatalog,
  toCatalogRow,
  STATUSES,
  timeAgo,
  type CatalogFilter,
  type CatalogRow,
} from './model.ts'

/** The product catalog: filter by domain and status, text search; rows link to the product page. */
export async function renderCatalog(root: HTMLElement): Promise<void> {
  const body = await ok(await api.api.products.$get({ query: {} }))
  const rows = sortCatalog((body?.products ?? []).map((p) => toCatalogRow(p)))
  const params = new URLSearchParams(location.search)
  const filter: CatalogFilter = {
    q: params.get('q') ?? '',
    domain: params.get('domain') ?? '',
    status: params.get('status') ?? '',
  }
  const domains = [...new Set(rows.map((r) => r.domain))].sort()

  const tbody = h('tbody')
  const count = h('span', { class: 'muted', 'data-testid': 'catalog-count' })
  const refresh = () => {
    const shown = filterCatalog(rows, filter)
    tbody.replaceChildren(...shown.map((r) => catalogRow(r)))
    count.textContent = `${shown.length} of ${rows.length} products`
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== ''))
    history.replaceState(null, '', q.size > 0 ? `/products?${q.toString()}` : '/products')
  }
  const select = (key: 'domain' | 'status', plural: string, values: readonly string[]) =>
    h(
      'select',
      {
        'aria-label': key,
        name: key,
        onchange: (e) => {
          filter[key] = (e.target as HTMLSelectElement).value
          refresh()
        },
      },
      h('option', { value: '' }, `all ${plural}`),
      ...values.map((v) => h('option', { value: v, selected: v === filter[key] }, v)),
    )
  const search = h('input', {
    type: 'search',
    placeholder: 'Filter by name, owner, table…',
    'aria-label': 'filter products',
    value: filter.q,
    oninput: (e) => {
      filter.q = (e.target as HTMLInputElement).value
      refresh()
    },
  })
  root.replaceChildren(
    h('h1', {}, 'Data products'),
    h(
      'div',
      { class: 'toolbar' },
      search,
      select('domain', 'domains', domains),
      select('status', 'statuses', STATUSES),
      count,
    ),
    h(
      'table',
      { class: 'catalog', 'data-testid': 'catalog' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Product', 'Domain', 'Owner', 'Status', 'Score', 'Last update'].map((t) =>
            h('th', {}, t),
          ),
        ),
      ),
      tbody,
    ),
    rows.length === 0
      ? h(
          'p',
          { class: 'muted' },
          'No products yet: collect a dbt target/ or start with the demo mesh.',
        )
      : '',
  )
  refresh()
}

function catalogRow(r: CatalogRow): HTMLElement {
  return h(
    'tr',
    { 'data-product': r.id, class: `row-${r.status}` },
    h(
      'td',
      {},
      link(`/products/${encodeURIComponent(r.id)}`, r.name),
      h('div', { class: 'muted small' }, r.description ?? r.id),
    ),
    h('td', {}, link(`/domains/${encodeURIComponent(r.domain)}`, r.domain)),
    h('td', {}, r.owner ?? '—'),
    h('td', {}, statusBadge(r.status)),
    h(
      'td',
      {
        class: 'num',
        ...(r.score === null
          ? {
              title:
                r.status === 'unknown'
                  ? 'unknown: nothing observed to score it by'
                  : 'not evaluated yet',
            }
          : {}),
      },
      r.score === null ? '—' : r.score.toFixed(0),
    ),
    h('td', { title: r.updatedAt ?? '' }, timeAgo(r.updatedAt, clockNow())),
  )
}
