import { describe, expect, it } from 'vitest'
import {
  ConfigError,
  loadConfigFile,
  parseConfig,
  resolveSlackRoute,
} from '../../../server/config-file.ts'
import { resolveSla } from '../../../server/quality/sla.ts'
import { FIXTURES } from '../../../server/demo.ts'

const issuesOf = (text: string) => {
  try {
    parseConfig(text, 'meshwatch.yml')
  } catch (e) {
    if (e instanceof ConfigError) return e.message
    throw e
  }
  return 'no error'
}

describe('parseConfig', () => {
  it('accepts the demo config', () => {
    const cfg = loadConfigFile(`${FIXTURES}/meshwatch.yml`)
    expect(Object.keys(cfg.domains ?? {})).toEqual(['sales', 'finance', 'marketing', 'product'])
  })

  it.each([
    {
      name: 'an unknown key names its own line',
      text: 'domains:\n  sales:\n    owner: a\n    slak: 1\n',
      expected: 'meshwatch.yml:4:5: domains.sales.slak: Unrecognized key: "slak"',
    },
    {
      name: 'a bad value names the value line',
      text: 'products:\n  sales.orders:\n    sla:\n      freshness:\n        max_age_hours: -1\n',
      expected: 'meshwatch.yml:5:24: products.sales.orders.sla.freshness.max_age_hours:',
    },
    {
      name: 'a waiver without a valid expiry',
      text: 'domains:\n  s:\n    waivers:\n      - policy: p\n        reason: because\n        expires: soon\n',
      expected: 'meshwatch.yml:6:18: domains.s.waivers[0].expires:',
    },
    {
      name: 'a webhook given as a URL instead of an env var name',
      text: 'slack:\n  webhook_env: https://hooks.slack.com/x\n',
      expected: 'meshwatch.yml:2:16: slack.webhook_env: expected an environment variable name',
    },
    { name: 'broken YAML', text: 'domains: [\n', expected: 'meshwatch.yml:2:1: $:' },
  ])('$name', ({ text, expected }) => {
    expect(issuesOf(text)).toContain(expected)
  })

  it('names the file it could not read', () => {
    expect(() => loadConfigFile('/nonexistent/meshwatch.yml')).toThrow(
      /\/nonexistent\/meshwatch.yml:0:0: \$: cannot read: ENOENT/,
    )
  })
})

describe('resolveSlackRoute', () => {
  const cfg = parseConfig(
    'slack: { webhook_env: SLACK_DEFAULT, channel: "#platform", routes: { breach: { mention: "@oncall" } } }\ndomains:\n  sales:\n    slack: { webhook_env: SLACK_SALES, routes: { breach: { channel: "#sales-oncall" } } }\n  finance: {}\n',
    'm.yml',
  )
  it.each([
    {
      domain: 'sales',
      severity: 'breach',
      expected: {
        webhookEnv: 'SLACK_SALES',
        channel: '#sales-oncall',
        mention: '@oncall',
        from: 'domain',
      },
    },
    {
      domain: 'sales',
      severity: 'warn',
      expected: { webhookEnv: 'SLACK_SALES', channel: '#platform', from: 'domain' },
    },
    {
      domain: 'finance',
      severity: 'warn',
      expected: { webhookEnv: 'SLACK_DEFAULT', channel: '#platform', from: 'default' },
    },
    {
      domain: 'unknown',
      severity: 'breach',
      expected: {
        webhookEnv: 'SLACK_DEFAULT',
        channel: '#platform',
        mention: '@oncall',
        from: 'default',
      },
    },
  ] as const)('$domain/$severity', ({ domain, severity, expected }) => {
    expect(resolveSlackRoute(cfg, domain, severity)).toEqual(expected)
  })
})

describe('resolveSla', () => {
  it('records where each value came from, product config over dbt meta over defaults', () => {
    const s = resolveSla({
      platform: { reliability: { window_days: 14 } },
      dbtMeta: { freshness: { max_age_hours: 24 }, volume: { min_rows: 'x' }, bogus: 1 },
      product: { freshness: { max_age_hours: 6 } },
    })
    expect([s.freshness.max_age_hours, s.sources.freshness.max_age_hours]).toEqual([
      6,
      'meshwatch.yml',
    ])
    expect([s.reliability.window_days, s.sources.reliability.window_days]).toEqual([
      14,
      'meshwatch.yml',
    ])
    expect([s.tests.min_pass_rate, s.sources.tests.min_pass_rate]).toEqual([0, 'default'])
    expect(s.declared).toEqual(['freshness', 'reliability'])
    expect(s.warnings).toEqual([
      expect.stringContaining('volume'),
      expect.stringContaining('bogus'),
    ])
  })
})
