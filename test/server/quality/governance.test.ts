import { describe, expect, it } from 'vitest'
import {
  checkPolicies,
  waiverActive,
  type GovernanceFacts,
} from '../../../server/quality/governance.ts'

const facts: GovernanceFacts = {
  products: [
    {
      id: 'sales.orders',
      domain: 'sales',
      owner: 'sales-data',
      description: 'orders',
      hasSla: true,
      outputs: [{ id: 1, name: 'orders', meta: null, uniqueColumns: ['order_id'] }],
    },
    {
      id: 'marketing.dash',
      domain: 'marketing',
      owner: null,
      description: null,
      hasSla: false,
      outputs: [{ id: 2, name: 'perf', meta: null, uniqueColumns: [] }],
    },
    {
      id: 'product.keyed',
      domain: 'product',
      owner: 'p',
      description: 'd',
      hasSla: true,
      outputs: [{ id: 3, name: 'fa', meta: { meshwatch: { key: ['a', 'b'] } }, uniqueColumns: [] }],
    },
  ],
  datasets: [
    {
      id: 1,
      name: 'orders',
      domain: 'sales',
      kind: 'model',
      access: 'public',
      contractEnforced: false,
    },
  ],
  dags: [{ id: 5, name: 'product_events', type: 'airflow_dag', domain: null, owner: 'product' }],
  crossDomainReads: [
    {
      job: { id: 7, name: 'finance.stg', type: 'dbt_model', domain: 'finance', owner: null },
      dataset: {
        id: 4,
        name: 'stg_sales__orders',
        domain: 'sales',
        kind: 'model',
        access: 'private',
        contractEnforced: null,
      },
    },
    {
      job: { id: 8, name: 'finance.rev', type: 'dbt_model', domain: 'finance', owner: null },
      dataset: {
        id: 1,
        name: 'orders',
        domain: 'sales',
        kind: 'model',
        access: 'public',
        contractEnforced: true,
      },
    },
  ],
}
const NOW = new Date('2026-11-25T12:00:00Z')
const ids = (vs: { policy: string; target: string }[]) => vs.map((v) => `${v.policy} ${v.target}`)

describe('checkPolicies', () => {
  it('finds every built-in violation once', () => {
    expect(ids(checkPolicies(facts, {}, NOW))).toEqual([
      'dag-has-owner-and-domain job:product_events',
      'no-cross-domain-private-read job:finance.stg',
      'product-has-description product:marketing.dash',
      'product-has-owner product:marketing.dash',
      'product-has-sla product:marketing.dash',
      'product-key-unique-test product:marketing.dash',
      'public-model-has-contract dataset:orders',
    ])
  })

  it('takes severities from the domain override, then the global setting, then the built-in', () => {
    const vs = checkPolicies(
      facts,
      {
        policies: { 'product-has-owner': { severity: 'warn' } },
        domains: { marketing: { policies: { 'product-has-sla': { severity: 'error' } } } },
      },
      NOW,
    )
    expect(vs.find((v) => v.policy === 'product-has-owner')?.severity).toBe('warn')
    expect(vs.find((v) => v.policy === 'product-has-sla')?.severity).toBe('error')
    expect(vs.find((v) => v.policy === 'product-key-unique-test')?.severity).toBe('error')
  })

  it('drops a disabled policy', () => {
    const vs = checkPolicies(
      facts,
      { policies: { 'public-model-has-contract': { enabled: false } } },
      NOW,
    )
    expect(vs.some((v) => v.policy === 'public-model-has-contract')).toBe(false)
  })

  it.each([
    { name: 'an unexpired waiver marks the violation waived', expires: '2026-11-25', waived: true },
    { name: 'an expired waiver no longer applies', expires: '2026-11-24', waived: false },
    {
      name: 'a date-time waiver expires at that instant',
      expires: '2026-11-25T11:59:59Z',
      waived: false,
    },
  ])('$name', ({ expires, waived }) => {
    const vs = checkPolicies(
      facts,
      {
        domains: {
          marketing: {
            waivers: [
              {
                policy: 'product-key-unique-test',
                reason: 'later',
                expires,
                target: 'product:marketing.dash',
              },
            ],
          },
        },
      },
      NOW,
    )
    const v = vs.find((x) => x.policy === 'product-key-unique-test')
    expect(v?.waived).toBe(waived)
  })

  it('a waiver for another target does not apply', () => {
    const vs = checkPolicies(
      facts,
      {
        domains: {
          marketing: {
            waivers: [
              {
                policy: 'product-has-owner',
                reason: 'later',
                expires: '2030-01-01',
                target: 'product:other',
              },
            ],
          },
        },
      },
      NOW,
    )
    expect(vs.find((x) => x.policy === 'product-has-owner')?.waived).toBe(false)
  })

  it('waiverActive treats a bare date as valid through that day (UTC)', () => {
    expect(waiverActive({ expires: '2026-11-25' }, new Date('2026-11-25T23:59:00Z'))).toBe(true)
    expect(waiverActive({ expires: '2026-11-25' }, new Date('2026-11-26T00:00:01Z'))).toBe(false)
  })
})
