import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import { datasetOf, parseJunitXml } from '../../../collectors/junit/index.ts'

const DIR = fileURLToPath(new URL('../../../fixtures/junit/pytest/', import.meta.url))
const FILES = ['junit-xunit1.xml', 'junit-xunit2.xml']
const NOW = new Date('2026-11-26T00:00:00Z')
const NS = 'duckdb://mesh.duckdb'
const read = (f: string) => readFileSync(`${DIR}${f}`, 'utf8')

describe('parseJunitXml on real pytest output', () => {
  it.each(FILES)('maps %s to one assertion per testcase that names a dataset', (file) => {
    const b = parseJunitXml(read(file), { namespace: NS, now: NOW, file })
    expect(b.kind).toBe('junit')
    expect(b.scope).toBe(`junit:${file}`)
    const byName = Object.fromEntries(b.assertions.map((a) => [a.name, a]))
    expect(byName['test_orders_have_positive_amount']).toMatchObject({
      status: 'pass',
      dataset: { namespace: NS, name: 'mesh.sales.orders' },
      column: 'amount_eur',
      origin: 'junit',
      severity: 'error',
    })
    expect(byName['test_every_order_is_paid']).toMatchObject({ status: 'fail', column: 'is_paid' })
    expect(byName['test_every_order_is_paid']?.message).toMatch(
      /^AssertionError: 7 orders have no payment\n/,
    )
    expect(byName['test_invoice_currency_known']).toMatchObject({
      status: 'pass',
      severity: 'warn',
      dataset: { name: 'mesh.finance.invoices_eur' },
    })
    expect(byName['test_refunds_not_above_orders']).toMatchObject({ status: 'error' })
    expect(byName['test_campaign_budget_positive']).toMatchObject({
      status: 'skipped',
      message: 'campaign budgets arrive with the Q1 export',
    })
    expect(byName['test_revenue_days_unique']?.dataset).toEqual({
      namespace: NS,
      name: 'mesh.finance.revenue_daily',
    })
    expect(byName['test_features_named']?.dataset).toEqual({
      namespace: NS,
      name: 'mesh.product.feature_adoption',
    })
    expect(b.assertions).toHaveLength(7)
    expect(b.warnings).toEqual([
      expect.stringContaining(
        'skipped testcase test_mesh_quality.TestFeatureEvents::test_events_have_a_customer: no dataset',
      ),
    ])
    for (const a of b.assertions) expect(a.observedAt).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/)
    expect(new Set(b.assertions.map((a) => a.key)).size).toBe(7)
  })

  it('skips a dotted classname without --namespace, with a warning naming it', () => {
    const b = parseJunitXml(read('junit-xunit1.xml'), { now: NOW })
    expect(b.assertions.map((a) => a.name)).not.toContain('test_features_named')
    expect(b.warnings.join('\n')).toContain(
      'classname mesh.product.feature_adoption looks like db.schema.table but no --namespace was given',
    )
  })

  it('refuses malformed XML with the line and column', () => {
    const lines = read('junit-xunit1.xml').split('\n')
    const cut = lines.slice(0, 3).join('\n')
    expect(() => parseJunitXml(cut, { now: NOW, file: 'cut.xml' })).toThrow(CollectorError)
    expect(() => parseJunitXml(cut, { now: NOW, file: 'cut.xml' })).toThrow(
      /^cut\.xml:\d+:\d+: not well-formed XML: /,
    )
  })

  it('refuses XML that is not JUnit', () => {
    expect(() =>
      parseJunitXml('<?xml version="1.0"?><project><name>x</name></project>', {
        now: NOW,
        file: 'pom.xml',
      }),
    ).toThrow(/pom\.xml: not JUnit XML/)
  })
})

describe('datasetOf', () => {
  it.each([
    {
      name: 'property with namespace',
      props: { dataset: 'postgres://db:5432|shop.public.orders' },
      cls: undefined,
      ns: undefined,
      expected: { namespace: 'postgres://db:5432', name: 'shop.public.orders' },
    },
    {
      name: 'meshwatch.dataset property',
      props: { 'meshwatch.dataset': 'bigquery|p.d.t' },
      cls: 'x',
      ns: undefined,
      expected: { namespace: 'bigquery', name: 'p.d.t' },
    },
    {
      name: 'bare property with --namespace',
      props: { dataset: 'mesh.sales.orders' },
      cls: undefined,
      ns: NS,
      expected: { namespace: NS, name: 'mesh.sales.orders' },
    },
    {
      name: 'classname <namespace>/<name>',
      props: {},
      cls: 'snowflake://acct/DB.SCH.T',
      ns: undefined,
      expected: { namespace: 'snowflake://acct', name: 'DB.SCH.T' },
    },
    {
      name: 'dotted classname with --namespace',
      props: {},
      cls: 'db.schema.table',
      ns: NS,
      expected: { namespace: NS, name: 'db.schema.table' },
    },
    {
      name: 'a module classname is not a dataset',
      props: {},
      cls: 'tests.test_orders',
      ns: NS,
      expected: expect.stringContaining('no dataset'),
    },
  ])('$name', ({ props, cls, ns, expected }) => {
    expect(datasetOf(new Map(Object.entries(props)), cls, ns)).toEqual(expected)
  })
})
