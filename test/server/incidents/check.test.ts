import { describe, expect, it } from 'vitest'
import { describeConfig } from '../../../server/commands/check.ts'
import { parseConfig } from '../../../server/config-file.ts'

const YAML = `
incidents:
  routes:
    - { type: slack, token_env: SLACK_BOT_TOKEN, channel: '#data-platform' }
domains:
  sales:
    incidents:
      routes:
        - { type: pagerduty, routing_key_env: PD_SALES, severity: breach }
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
