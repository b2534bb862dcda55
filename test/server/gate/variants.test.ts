import { XMLParser } from 'fast-xml-parser'
import { describe, expect, it } from 'vitest'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { renderAnnotations } from '../../../server/gate/github.ts'
import { renderJunit } from '../../../server/gate/junit.ts'
import { renderMarkdown } from '../../../server/gate/markdown.ts'
import { renderText } from '../../../server/gate/text.ts'
import { regressionsOf, type GateReport } from '../../../server/gate/types.ts'
import { demoConfig, goodMesh, readTarget, variantDir, VARIANTS } from './helpers.ts'

const NOW = new Date('2026-11-26T00:00:00Z')

async function gate(variant: string): Promise<GateReport> {
  return evaluateGate({
    current: await readTarget(variantDir(variant)),
    baseline: await goodMesh(),
    baselineLabel: 'fixtures/dbt/good',
    config: demoConfig(),
    now: NOW,
  })
}

describe('gate on recorded sales branch variants against the good-day mesh', () => {
  it.each(['unchanged', 'additive'])('passes the %s variant', async (variant) => {
    const report = await gate(variant)
    expect(regressionsOf(report)).toEqual([])
    expect(report.checks.filter((c) => c.category === 'tests').length).toBeGreaterThan(20)
    expect(renderText(report)).toMatch(/^meshwatch gate: PASSED/)
  })

  it('fails the breaking variant naming the column, the failing test and the consumers by domain', async () => {
    const report = await gate('breaking')
    const bad = regressionsOf(report)
    const breaking = bad.find((c) => c.id === 'breaking-change:mesh.sales.orders')
    expect(breaking?.message).toContain('column channel removed')
    const domains = new Set(breaking?.consumers?.map((c) => c.domain))
    expect(domains).toEqual(new Set(['finance', 'marketing', 'sales']))
    expect(breaking?.consumers?.map((c) => c.externalId)).toEqual(
      expect.arrayContaining([
        'model.finance.revenue_daily',
        'model.marketing.customer_attribution',
        'model.marketing.channel_performance',
      ]),
    )
    expect(breaking?.consumers?.find((c) => c.kind === 'exposure')?.name).toBe(
      'Sales KPI dashboard',
    )
    expect(breaking?.location?.file).toBe('models/marts/orders.sql')

    const test = bad.find((c) => c.category === 'tests')
    expect(test?.name).toBe(
      'test accepted_values_orders_status__placed__shipped__completed__returned',
    )
    expect(test?.message).toContain('was pass in the baseline, 1 failing row')
    expect(bad.filter((c) => c.category === 'tests')).toHaveLength(1)

    expect(bad.filter((c) => c.category === 'product-score').map((c) => c.targets[0])).toEqual(
      expect.arrayContaining(['sales.orders', 'marketing.customer_attribution']),
    )
    expect(report.notes.join('\n')).toContain(
      'unique_sales_daily_order_date on mesh.sales.sales_daily was skipped',
    )

    const text = renderText(report)
    expect(text).toMatch(/^meshwatch gate: FAILED: \d+ regressions in sales/)
    expect(text).toContain('consumer: marketing: job mesh.marketing.marketing.customer_attribution')
  })

  it.each(VARIANTS)(
    'writes JUnit XML for %s that parses back with one testcase per check',
    async (variant) => {
      const report = await gate(variant)
      const xml = renderJunit(report, { durationSeconds: 1.5 })
      const doc = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '@_',
        isArray: (n) => ['testsuite', 'testcase'].includes(n),
      }).parse(xml)
      const suites: {
        '@_name': string
        '@_tests': string
        '@_failures': string
        testcase: Record<string, unknown>[]
      }[] = doc.testsuites.testsuite
      const cases = suites.flatMap((s) => s.testcase)
      expect(cases).toHaveLength(report.checks.length)
      expect(Number(doc.testsuites['@_tests'])).toBe(report.checks.length)
      expect(Number(doc.testsuites['@_failures'])).toBe(regressionsOf(report).length)
      expect(doc.testsuites['@_time']).toBe('1.500')
      for (const s of suites) expect(Number(s['@_tests'])).toBe(s.testcase.length)
      for (const c of cases)
        expect(c).toMatchObject({
          '@_classname': expect.stringMatching(/^meshwatch\.gate\./),
          '@_name': expect.any(String),
          '@_time': '0',
        })
      const failures = cases.filter((c) => c['failure'] !== undefined)
      expect(failures).toHaveLength(regressionsOf(report).length)
      if (variant === 'breaking') {
        const f = cases.find((c) =>
          String(c['@_name']).startsWith('public model mesh.sales.orders'),
        )?.['failure'] as Record<string, string>
        expect(f['@_type']).toBe('breaking-change')
        expect(f['@_message']).toContain('column channel removed')
        expect(f['#text']).toContain('consumer: finance: job mesh.finance.finance.revenue_daily')
      }
    },
  )

  it('builds a Markdown summary and GitHub annotations for the breaking variant', async () => {
    const report = await gate('breaking')
    const md = renderMarkdown(report)
    expect(md).toMatch(/^## ❌ meshwatch gate — FAILED/)
    expect(md).toContain('| marketing | job `mesh.marketing.marketing.customer_attribution` |')
    const annotations = renderAnnotations(report, 'domains/sales')
    expect(annotations).toHaveLength(regressionsOf(report).length)
    const breaking = annotations.find((a) => a.includes('public model mesh.sales.orders'))
    expect(breaking).toMatch(
      /^::error file=domains\/sales\/models\/marts\/orders.sql,line=1,title=meshwatch gate%3A public model /,
    )
    for (const a of annotations) expect(a.split('::').length).toBeGreaterThanOrEqual(3)
    expect(annotations.every((a) => !a.slice(2).includes('\n'))).toBe(true)
  })
})
