import { describe, expect, it } from 'vitest'
import { hitDetail, hitHref, moveActive, type SearchHitIn } from '../../web/search-model.ts'

const hit = (v: Partial<SearchHitIn> & Pick<SearchHitIn, 'kind' | 'id'>): SearchHitIn => ({
  name: v.id,
  domain: null,
  detail: null,
  target: null,
  ...v,
})

describe('hitHref', () => {
  it.each([
    {
      name: 'a product opens its page',
      h: hit({ kind: 'product', id: 'sales.orders' }),
      href: '/products/sales.orders',
    },
    {
      name: 'a domain opens its page',
      h: hit({ kind: 'domain', id: 'sales ops' }),
      href: '/domains/sales%20ops',
    },
    {
      name: 'an owner opens the domain it owns in',
      h: hit({ kind: 'owner', id: 'ana', target: 'finance' }),
      href: '/domains/finance',
    },
    {
      name: 'a dataset opens its lineage',
      h: hit({ kind: 'dataset', id: '12' }),
      href: '/lineage?node=dataset%3A12',
    },
    {
      name: "a column opens its dataset's column lineage",
      h: hit({ kind: 'column', id: '12.amount', target: '12' }),
      href: '/lineage?node=dataset%3A12&level=column',
    },
    { name: 'a DAG opens its runs', h: hit({ kind: 'dag', id: '7' }), href: '/runs?job=7' },
    {
      name: 'a job opens its lineage',
      h: hit({ kind: 'job', id: '9' }),
      href: '/lineage?node=job%3A9',
    },
  ])('$name', ({ h, href }) => expect(hitHref(h)).toBe(href))
})

describe('moveActive', () => {
  it.each([
    { name: 'down from none is the first', cur: -1, step: 1 as const, n: 3, want: 0 },
    { name: 'up from none is the last', cur: -1, step: -1 as const, n: 3, want: 2 },
    { name: 'down from the last wraps', cur: 2, step: 1 as const, n: 3, want: 0 },
    { name: 'up from the first wraps', cur: 0, step: -1 as const, n: 3, want: 2 },
    { name: 'no options: none', cur: -1, step: 1 as const, n: 0, want: -1 },
  ])('$name', ({ cur, step, n, want }) => expect(moveActive(cur, step, n)).toBe(want))
})

describe('hitDetail', () => {
  it('names the domain and the job type in words', () => {
    expect(hitDetail(hit({ kind: 'job', id: '1', domain: 'sales', detail: 'airflow_task' }))).toBe(
      'sales · Airflow task',
    )
  })
  it("drops a detail equal to the name and a domain's own domain", () => {
    expect(hitDetail(hit({ kind: 'domain', id: 'sales', domain: 'sales', detail: 'sales' }))).toBe(
      '',
    )
  })
})
