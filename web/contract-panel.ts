import { hc } from 'hono/client'
import type { AppType } from '../server/app.ts'
import type { ProductDetail } from './api.ts'
import { h, statusBadge } from './dom.ts'

type Contract = ProductDetail['contracts'][number]

/** The product's ODCS contracts: version, status, and each promise with what was measured. */
export function contractPanel(product: ProductDetail): HTMLElement | null {
  if (product.contracts.length === 0) return null
  return h(
    'section',
    { class: 'panel contracts', 'data-testid': 'contracts' },
    h('h2', {}, 'Data contract'),
    ...product.contracts.map(contractBlock),
  )
}

function contractBlock(c: Contract): HTMLElement {
  // The stored contract (its document and versions), by the typed client's URL.
  // (hc's $url needs an absolute base, which web/api.ts's client on '/' does not have)
  const href = hc<AppType>(window.location.origin).api.contracts[':id'].$url({
    param: { id: encodeURIComponent(c.contractId) },
  }).pathname
  return h(
    'div',
    { class: 'contract', 'data-testid': 'contract' },
    h(
      'p',
      {},
      statusBadge(c.status),
      ' ',
      h('a', { href, 'data-testid': 'contract-link' }, c.contractId),
      ` · version ${c.version} · ${c.contractStatus}`,
      c.sourceFile ? ` · ${c.sourceFile}` : '',
      c.notMeasurable > 0 ? ` · ${c.notMeasurable} not measurable` : '',
    ),
    h(
      'table',
      { class: 'checks' },
      h(
        'tr',
        {},
        h('th', {}, 'promise'),
        h('th', {}, 'promised'),
        h('th', {}, 'measured'),
        h('th', {}, 'status'),
      ),
      ...c.checks.map((k) =>
        h(
          'tr',
          { 'data-testid': `check-${k.kind}`, title: k.reason },
          h('td', {}, k.name),
          h('td', {}, k.promised),
          h('td', {}, k.measured ?? (k.measurable ? '—' : 'not measurable')),
          h('td', {}, statusBadge(k.status)),
        ),
      ),
    ),
  )
}
