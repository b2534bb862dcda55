import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../../collectors/batch.ts'
import { openDb, type Db } from '../../../db/client.ts'
import { listProducts } from '../../../db/queries/catalog.ts'
import { storeBatch } from '../../../db/queries/store-batch.ts'
import { describeConfig, formatConfig, routeFactsOf } from '../../../server/commands/check.ts'
import type { RouteView } from '../../../server/commands/check-routes.ts'
import { parseConfig } from '../../../server/config-file.ts'
import { loadDemo } from '../../../server/demo.ts'
import { hashBatch } from '../../../server/ingest.ts'
import { CONFIG } from '../alerts/helpers.ts'
import { sqliteStore } from '../../../db/store.ts'

/** The top-level default route, and the start of sales' own routes. */
const HEAD = `
incidents:
  routes:
    - { type: slack, token_env: SLACK_BOT_TOKEN, channel: '#data-platform' }
domains:
  sales:
    incidents:
      routes:
`

const YAML = `${HEAD}        - { type: pagerduty, routing_key_env: PD_SALES, severity: breach }
        - { type: email, smtp_url_env: SMTP_URL, from: m@example.com, to: [oncall@example.com], products: [sales.orders] }
  finance: {}
products:
  sales.orders: { outputs: [orders] }
`

describe('meshwatch check: effective incident routes', () => {
  it("shows each domain's routes per severity and each product's, by variable name", () => {
    const r = describeConfig(parseConfig(YAML, 'meshwatch.yml'), new Date('2026-12-01T00:00:00Z'))
    const sales = r.domains.find((d) => d.name === 'sales')
    expect(sales?.incidents).toEqual({ warn: [], breach: ['pagerduty:PD_SALES'] })
    // a domain without routes of its own falls back to the top-level default
    expect(r.domains.find((d) => d.name === 'finance')?.incidents.warn).toEqual([
      'slack:SLACK_BOT_TOKEN:#data-platform',
    ])
    expect(r.products.find((p) => p.id === 'sales.orders')?.incidents).toEqual([
      'pagerduty:PD_SALES',
      'email:SMTP_URL:oncall@example.com',
    ])
  })
})

const TAGGED = `${HEAD}        - type: slack
          token_env: SLACK_BOT_TOKEN
          channel: '#sales-data'
          quiet_hours: { start: '22:00', end: '07:00', tz: Europe/Berlin }
        - { type: pagerduty, routing_key_env: PD_SALES, severity: breach, tags: [tier1] }
        - { type: email, smtp_url_env: SMTP_URL, from: m@example.com, to: [oncall@example.com], products: [sales.refunds], tags: [pii] }
  marketing:
    incidents:
      routes:
        - { type: teams, url_env: TEAMS_MARKETING, tags: [attribution] }
        - { type: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET, consumer_notifications: false }
  finance: {}
products:
  sales.orders: { outputs: [orders], tags: [tier1] }
  sales.refunds: { outputs: [refunds] }
`

/** sales' orders (its dataset tagged pii) and refunds; marketing and finance each read orders. */
function taggedStore(): Db {
  const b = emptyBatch('openlineage', 'test')
  const ref = (name: string) => ({ namespace: 'duckdb://mesh', name })
  const tags: Record<string, string[]> = { orders: ['pii'], attribution: ['attribution'] }
  for (const d of ['orders', 'refunds', 'attribution', 'revenue'])
    b.datasets.push({ ...ref(d), ...(tags[d] ? { tags: tags[d] } : {}) })
  for (const [job, out] of [
    ['attribute', 'attribution'],
    ['recognise', 'revenue'],
  ] as const) {
    b.jobs.push({ namespace: 'default', name: job, type: 'job' })
    b.edges.push({
      job: { namespace: 'default', name: job },
      dataset: ref('orders'),
      direction: 'input',
    })
    b.edges.push({
      job: { namespace: 'default', name: job },
      dataset: ref(out),
      direction: 'output',
    })
  }
  for (const [id, out] of [
    ['sales.orders', 'orders'],
    ['sales.refunds', 'refunds'],
    ['marketing.customer_attribution', 'attribution'],
    ['finance.revenue', 'revenue'],
  ] as const)
    b.products.push({
      id,
      name: id,
      domain: id.split('.')[0] ?? '',
      origin: 'config',
      outputs: [ref(out)],
    })
  const db = openDb(':memory:')
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-01-01T00:00:00.000Z' })
  return db
}

/** A route as `key (from; why)`, per severity, for compact expectations. */
const brief = (r: Record<'warn' | 'breach', RouteView[]>) => ({
  warn: r.warn.map((v) => `${v.key} (${v.from}; ${v.why})`),
  breach: r.breach.map((v) => `${v.key} (${v.from}; ${v.why})`),
})

describe('meshwatch check: the incident route of every product', () => {
  const NOW = new Date('2026-12-01T00:00:00Z')

  it('matches by domain, product and tag (meshwatch.yml and dataset tags), per severity, and names the consumers told', async () => {
    const cfg = parseConfig(TAGGED, 'meshwatch.yml')
    const db = taggedStore()
    const r = describeConfig(cfg, NOW, await routeFactsOf(db, cfg))
    const of = (id: string) => {
      const p = r.routes.find((x) => x.id === id)
      if (!p) throw new Error(`no routes for ${id}: ${r.routes.map((x) => x.id).join(', ')}`)
      return p
    }
    // every product: meshwatch.yml's and the store's (finance.revenue is only in the store)
    expect(r.routes.map((p) => [p.id, p.source])).toEqual([
      ['finance.revenue', 'store'],
      ['marketing.customer_attribution', 'store'],
      ['sales.orders', 'config and store'],
      ['sales.refunds', 'config and store'],
    ])
    const orders = of('sales.orders')
    expect(orders.tags).toEqual(['pii', 'tier1'])
    expect(brief(orders.routes)).toEqual({
      warn: [
        "slack:SLACK_BOT_TOKEN:#sales-data (domain sales; all of the domain's products)",
        'email:SMTP_URL:oncall@example.com (domain sales; tag pii)',
      ],
      breach: [
        "slack:SLACK_BOT_TOKEN:#sales-data (domain sales; all of the domain's products)",
        'pagerduty:PD_SALES (domain sales; tag tier1)',
        'email:SMTP_URL:oncall@example.com (domain sales; tag pii)',
      ],
    })
    const [slack, pagerduty, email] = orders.routes.breach
    expect(slack).toMatchObject({
      channel: 'slack',
      target: { token_env: 'SLACK_BOT_TOKEN', channel: '#sales-data' },
      quietHours: { start: '22:00', end: '07:00', tz: 'Europe/Berlin' },
      severity: 'warn and breach',
      consumerNotifications: true,
    })
    expect(pagerduty).toMatchObject({
      channel: 'pagerduty',
      target: { routing_key_env: 'PD_SALES' },
      severity: 'breach only',
      quietHours: null,
    })
    expect(email?.target).toEqual({
      smtp_url_env: 'SMTP_URL',
      from: 'm@example.com',
      to: ['oncall@example.com'],
    })
    // marketing is told by the route whose tag its reading product carries, not by the one that
    // opted out; finance has no routes of its own, and the default never hears consumers
    expect(
      orders.consumers?.map((c) => ({
        domain: c.domain,
        products: c.products,
        ...brief(c.routes),
      })),
    ).toEqual(
      [
        {
          domain: 'finance',
          products: ['finance.revenue'],
          warn: [],
          breach: [],
        },
        {
          domain: 'marketing',
          products: ['marketing.customer_attribution'],
          warn: [
            'teams:TEAMS_MARKETING (domain marketing; marketing.customer_attribution: tag attribution)',
          ],
          breach: [
            'teams:TEAMS_MARKETING (domain marketing; marketing.customer_attribution: tag attribution)',
          ],
        },
      ].sort((a, b) => a.domain.localeCompare(b.domain)),
    )
    // a product listed by name; one without the tier1 tag gets no pagerduty
    expect(brief(of('sales.refunds').routes).breach).toEqual([
      "slack:SLACK_BOT_TOKEN:#sales-data (domain sales; all of the domain's products)",
      'email:SMTP_URL:oncall@example.com (domain sales; lists the product)',
    ])
    expect(of('sales.refunds').consumers).toEqual([])
    const attribution = of('marketing.customer_attribution')
    expect(attribution.routes.warn.map((v) => [v.key, v.consumerNotifications])).toEqual([
      ['teams:TEAMS_MARKETING', true],
      ['webhook:HOOK_URL', false],
    ])
    expect(brief(of('finance.revenue').routes).warn).toEqual([
      "slack:SLACK_BOT_TOKEN:#data-platform (default; all of the domain's products)",
    ])

    const text = formatConfig('meshwatch.yml', r, 'store.db')
    expect(text).toContain(
      'routes of sales.orders (domain sales; from meshwatch.yml and the store; tags pii, tier1):',
    )
    expect(text).toContain(
      "  warn:   slack $SLACK_BOT_TOKEN #sales-data (domain sales, all of the domain's products; quiet 22:00-07:00 Europe/Berlin)",
    )
    expect(text).toContain('  breach: pagerduty $PD_SALES (domain sales, tag tier1; breach only)')
    expect(text).toContain(
      '  consumer finance (its products downstream: finance.revenue):\n    no route takes consumer notifications',
    )
    expect(text).toContain(
      "  warn:   webhook $HOOK_URL $HOOK_SECRET (domain marketing, all of the domain's products; no consumer notifications)",
    )
  })

  it('without a store, names meshwatch.yml products with their own tags and says consumers are unknown', () => {
    const r = describeConfig(parseConfig(TAGGED, 'meshwatch.yml'), NOW)
    expect(r.routes.map((p) => p.id)).toEqual(['sales.orders', 'sales.refunds'])
    expect(brief(r.routes[0]?.routes ?? { warn: [], breach: [] }).breach).toEqual([
      "slack:SLACK_BOT_TOKEN:#sales-data (domain sales; all of the domain's products)",
      'pagerduty:PD_SALES (domain sales; tag tier1)',
    ])
    expect(r.routes[0]?.consumers).toBeNull()
    expect(formatConfig(undefined, r, null)).toContain(
      '  consumers: unknown without a store (--db)',
    )
  })

  it("on the demo's meshwatch.yml and store: every product, and marketing told when sales.orders breaks", async () => {
    const db = openDb(':memory:')
    await loadDemo(
      { store: sqliteStore(db), meshwatch: CONFIG, now: () => NOW },
      { days: ['good'] },
    )
    const r = describeConfig(CONFIG, NOW, await routeFactsOf(db, CONFIG))
    expect(r.routes.map((p) => p.id)).toEqual(
      listProducts(db)
        .map((p) => p.id)
        .sort(),
    )
    const orders = r.routes.find((p) => p.id === 'sales.orders')
    expect(brief(orders?.routes ?? { warn: [], breach: [] }).breach).toEqual([
      "slack:SLACK_BOT_TOKEN:#sales-data (domain sales; all of the domain's products)",
    ])
    const marketing = orders?.consumers?.find((c) => c.domain === 'marketing')
    expect(marketing?.products).toContain('marketing.customer_attribution')
    expect(marketing?.routes.breach.map((v) => v.key)).toEqual([
      'slack:SLACK_BOT_TOKEN:#growth-analytics',
    ])
    expect(orders?.consumers?.map((c) => c.domain).sort()).toEqual([
      'finance',
      'marketing',
      'product',
    ])
    // a domain without routes of its own is routed by the top-level default
    for (const p of r.routes.filter((x) => x.domain === 'finance'))
      expect(p.routes.breach.map((v) => v.from)).toEqual(['default'])
  })
})
