import { describe, expect, it } from 'vitest'
import type {
  CatalogProduct,
  Governance,
  ProductDetail,
  ProductHistory,
  RootCauseAnswer,
} from '../../web/api.ts'
import {
  filterCatalog,
  historyNote,
  historyPoints,
  parseRoute,
  productFindings,
  rootCauseView,
  scoreChart,
  slaPromise,
  sortCatalog,
  timeAgo,
  toCatalogRow,
} from '../../web/model.ts'

// The answers' types are the server's (hc<AppType>); these tests give only the fields read.
const given = <T>(v: unknown): T => v as T
const readCatalogRow = (v: unknown) =>
  toCatalogRow(given<CatalogProduct>({ outputs: [], ...(v as object) }))
const readHistory = (v: unknown) => historyPoints(given<ProductHistory>(v))

const row = (id: string, domain: string, status: string, score: number, owner = 'team') =>
  readCatalogRow({
    id,
    name: id.split('.').pop(),
    domain,
    owner,
    description: null,
    updatedAt: '2026-01-01T00:00:00Z',
    outputs: [{ id: 1, name: `db.${id}` }],
    evaluation: { score, status, evaluatedAt: '2026-01-02T00:00:00Z', dimensions: [] },
  })
const ROWS = [
  row('sales.orders', 'sales', 'breach', 40),
  row('finance.revenue', 'finance', 'ok', 100, 'cfo-office'),
  row('marketing.attribution', 'marketing', 'warn', 80),
]

describe('catalog', () => {
  it.each([
    {
      name: 'no filter keeps all',
      f: { q: '', domain: '', status: '' },
      expected: ['sales.orders', 'finance.revenue', 'marketing.attribution'],
    },
    {
      name: 'by domain',
      f: { q: '', domain: 'finance', status: '' },
      expected: ['finance.revenue'],
    },
    { name: 'by status', f: { q: '', domain: '', status: 'breach' }, expected: ['sales.orders'] },
    {
      name: 'text matches owner, every word',
      f: { q: 'CFO revenue', domain: '', status: '' },
      expected: ['finance.revenue'],
    },
    {
      name: 'text matches an output table',
      f: { q: 'db.marketing', domain: '', status: '' },
      expected: ['marketing.attribution'],
    },
    { name: 'no match', f: { q: 'nothing', domain: '', status: '' }, expected: [] },
  ])('filters: $name', ({ f, expected }) => {
    expect(filterCatalog(ROWS, f).map((r) => r.id)).toEqual(expected)
  })

  it('puts what needs attention first: worst status, then lowest score', () => {
    expect(sortCatalog(ROWS).map((r) => r.id)).toEqual([
      'sales.orders',
      'marketing.attribution',
      'finance.revenue',
    ])
  })

  it('takes the last update from the evaluation, and copes with a product never evaluated', () => {
    expect(ROWS[0]?.updatedAt).toBe('2026-01-02T00:00:00Z')
    expect(readCatalogRow({ id: 'x', name: 'x', domain: 'd', evaluation: null })).toMatchObject({
      status: 'unknown',
      score: null,
    })
  })
})

it.each([
  { path: '/', search: '', expected: { view: 'home' } },
  { path: '/products', search: '?status=breach', expected: { view: 'catalog' } },
  { path: '/domains/sales', search: '', expected: { view: 'domain', name: 'sales' } },
  { path: '/runs/r%2F1', search: '', expected: { view: 'run', runId: 'r/1', job: null } },
  { path: '/runs', search: '?job=7', expected: { view: 'run', runId: null, job: 7 } },
  { path: '/products/sales.orders', search: '', expected: { view: 'product', id: 'sales.orders' } },
  { path: '/products/a%2Fb', search: '', expected: { view: 'product', id: 'a/b' } },
  {
    path: '/lineage',
    search: '?node=dataset:3&depth=4',
    expected: { view: 'lineage', node: 'dataset:3', depth: 4, domain: null },
  },
  {
    path: '/lineage/',
    search: '?depth=99&domain=sales',
    expected: { view: 'lineage', node: null, depth: 2, domain: 'sales' },
  },
  { path: '/nope', search: '', expected: { view: 'not-found', path: '/nope' } },
])('routes $path$search', ({ path, search, expected }) => {
  expect(parseRoute(path, search)).toEqual(expected)
})

describe('product page readers', () => {
  it('lays a score history out oldest-left with 100 at the top', () => {
    const c = scoreChart(
      readHistory({
        evaluations: [
          { evaluatedAt: '2026-01-02T00:00:00Z', score: 0, status: 'breach' },
          { evaluatedAt: '2026-01-01T00:00:00Z', score: 100, status: 'ok' },
        ],
      }),
      100,
      50,
      0,
    )
    expect(c.points.map((p) => [p.x, p.y])).toEqual([
      [0, 0],
      [100, 50],
    ])
    expect(c.path).toBe('M0.0,0.0 L100.0,50.0')
  })

  it('reads the root-cause chain and falls back to the domain owner', () => {
    const rc = rootCauseView(
      given<RootCauseAnswer>({
        rootCause: {
          summary: 'stale source',
          confidence: 'lineage',
          chain: [
            {
              id: 'dataset:1',
              kind: 'dataset',
              name: 'raw',
              domain: 'finance',
              problem: 'stale',
              status: 'breach',
            },
          ],
        },
      }),
      new Map([['finance', 'Finance Analytics']]),
    )
    expect(rc?.chain[0]).toMatchObject({
      owner: 'Finance Analytics',
      problem: 'stale',
      status: 'breach',
    })
    expect(rootCauseView(given<RootCauseAnswer>({ rootCause: null }))).toBeNull()
  })

  it('keeps governance findings about the product or its outputs only', () => {
    const f = productFindings(
      given<Governance>({
        violations: [
          { policy: 'p', severity: 'warn', target: 'sales.orders', message: 'm', waived: false },
          { policy: 'q', severity: 'error', target: 'other', message: 'n', waived: false },
          { policy: 'r', severity: 'warn', target: 'db.sales.orders', message: 'o', waived: true },
        ],
      }),
      'sales.orders',
      ['db.sales.orders'],
    )
    expect(f.map((x) => x.policy)).toEqual(['p', 'r'])
  })

  it('summarises the effective SLA per dimension', () => {
    const sla = given<ProductDetail['effectiveSla']>({
      freshness: {
        max_age_hours: { value: 24, source: 'dbt_meta' },
        grace_minutes: { value: 30, source: 'default' },
      },
      declared: ['freshness'],
    })
    expect(slaPromise(sla, 'freshness')).toBe('max age hours 24 · grace minutes 30')
  })
})

it.each([
  { iso: '2026-01-01T00:00:30Z', expected: 'just now' },
  { iso: '2026-01-01T00:00:00Z', now: '2026-01-01T03:10:00Z', expected: '3 h 10 min ago' },
  { iso: null, expected: '—' },
])('timeAgo $iso', ({ iso, now, expected }) => {
  expect(timeAgo(iso, new Date(now ?? '2026-01-01T00:01:00Z'))).toBe(expected)
})

describe('a product in status unknown (no data to score it by)', () => {
  it('reads as unknown with no score, and sorts after every product that has data', () => {
    const unknown = readCatalogRow({
      id: 'p.x',
      name: 'x',
      domain: 'p',
      owner: null,
      description: null,
      updatedAt: null,
      outputs: [],
      evaluation: {
        score: null,
        status: 'unknown',
        evaluatedAt: '2026-01-02T00:00:00Z',
        dimensions: [],
      },
    })
    expect([unknown.status, unknown.score]).toEqual(['unknown', null])
    expect(
      sortCatalog([unknown, ...ROWS])
        .map((r) => r.id)
        .at(-1),
    ).toBe('p.x')
  })

  it('keeps unscored evaluations out of the chart and says why there is no score', () => {
    const points = readHistory({
      evaluations: [
        { evaluatedAt: '2026-01-02T00:00:00Z', score: null, status: 'unknown' },
        { evaluatedAt: '2026-01-01T00:00:00Z', score: 90, status: 'ok' },
      ],
    })
    expect(points).toEqual([{ at: '2026-01-01T00:00:00Z', score: 90, status: 'ok' }])
    expect(historyNote(points, 'unknown')).toBe(
      '1 scored evaluation; since 2026-01-01T00:00, now unknown (no data to score by)',
    )
    expect(historyNote(points, 'ok')).toBe('1 scored evaluation; since 2026-01-01T00:00, now 90')
    expect(historyNote([], 'unknown')).toMatch(/^No score yet: the product is unknown/)
    expect(historyNote([], 'ok')).toBe('No history yet.')
  })
})
