import { describe, expect, it } from 'vitest'
import {
  clip,
  SLACK_LIMITS,
  SlackMessageSchema,
  type SlackMessage,
} from '../../../server/alerts/block-kit.ts'
import type { AlertFacts } from '../../../server/alerts/facts.ts'
import {
  buildAlertMessage,
  buildTestMessage,
  formatMention,
  type MessageContext,
  type OutboxAlert,
} from '../../../server/alerts/message.ts'

const CTX: MessageContext = {
  publicUrl: 'https://meshwatch.example/',
  route: { channel: '#sales-oncall', mention: '@here' },
  contactOf: (d) =>
    d === 'sales' ? { owner: 'sales-data@example.com', mention: '<!subteam^S123>' } : {},
}

function facts(over: Partial<AlertFacts> = {}): AlertFacts {
  return {
    productId: 'marketing.customer_attribution',
    productName: 'customer_attribution',
    domain: 'marketing',
    owner: 'growth@example.com',
    kind: 'opened',
    status: 'breach',
    previous: 'ok',
    score: 61.4,
    evaluatedAt: '2026-11-25T20:45:00.000Z',
    since: '2026-11-25T20:45:00.000Z',
    dimensions: [
      {
        dimension: 'tests',
        status: 'breach',
        score: 70,
        reason: 'upstream test accepted_values fails on mesh.sales.orders',
      },
    ],
    rootCause: {
      summary: 'test accepted_values fails on mesh.sales.orders (sales domain)',
      confidence: 'lineage',
      culprit: {
        name: 'mesh.sales.orders',
        kind: 'dataset',
        type: 'model',
        domain: 'sales',
        problem: 'test fails',
        status: 'breach',
      },
      chain: [
        {
          name: 'mesh.marketing.customer_attribution',
          kind: 'dataset',
          type: 'model',
          domain: 'marketing',
        },
        {
          name: 'mesh.sales.orders',
          kind: 'dataset',
          type: 'model',
          domain: 'sales',
          via: 'lineage',
        },
      ],
    },
    ...over,
  }
}
const alert = (id: number, over: Partial<AlertFacts> = {}): OutboxAlert => {
  const f = facts(over)
  return { id, kind: f.kind, severity: f.status === 'warn' ? 'warn' : 'breach', facts: f }
}

/** The limits the zod schema checks, listed so a failure names the one broken. */
function limitViolations(m: SlackMessage): string[] {
  const out: string[] = []
  if (m.blocks.length > SLACK_LIMITS.blocks) out.push(`blocks ${m.blocks.length}`)
  for (const b of m.blocks) {
    if (b.type === 'header' && b.text.text.length > SLACK_LIMITS.headerText)
      out.push(`header ${b.text.text.length}`)
    if (b.type === 'section' && b.text && b.text.text.length > SLACK_LIMITS.sectionText)
      out.push(`section ${b.text.text.length}`)
    if (b.type === 'section' && b.fields && b.fields.length > SLACK_LIMITS.sectionFields)
      out.push(`fields ${b.fields.length}`)
    if (b.type === 'section')
      for (const f of b.fields ?? [])
        if (f.text.length > SLACK_LIMITS.fieldText) out.push(`field ${f.text.length}`)
    if (b.type === 'context' && b.elements.length > SLACK_LIMITS.contextElements)
      out.push(`context ${b.elements.length}`)
  }
  if (!m.text) out.push('no fallback text')
  return out
}

const valid = (m: SlackMessage) => {
  expect(limitViolations(m)).toEqual([])
  const r = SlackMessageSchema.safeParse(m)
  expect(r.success ? [] : r.error.issues).toEqual([])
  return m
}

describe('Slack messages', () => {
  it('says what, where, how bad, since when, why, who is to blame, and links to the product', () => {
    const m = valid(buildAlertMessage([alert(7)], CTX))
    const text = JSON.stringify(m)
    expect(m.channel).toBe('#sales-oncall')
    expect(m.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':red_circle: SLA breach: customer_attribution',
        emoji: true,
      },
    })
    expect(text).toContain(
      '<!here> *<https://meshwatch.example/products/marketing.customer_attribution|marketing.customer_attribution>* in domain *marketing* (owner growth@example.com)',
    )
    expect(text).toContain(
      '*breach* · score *61/100* · since <!date^1795639500^{date_short_pretty} {time}|2026-11-25 20:45 UTC>',
    )
    expect(text).toContain(
      '*tests* · breach · 70/100\\nupstream test accepted_values fails on mesh.sales.orders',
    )
    expect(text).toContain(
      '*`mesh.sales.orders`* (sales) → `mesh.marketing.customer_attribution` (marketing)',
    )
    expect(text).toContain(
      '*Blamed:* `mesh.sales.orders` — *sales* domain, owner sales-data@example.com <!subteam^S123>',
    )
    expect(text).toContain('alert #7 · opened')
    expect(m.text).toBe(
      ':red_circle: marketing.customer_attribution: SLA breach (score 61/100) — tests: upstream test accepted_values fails on mesh.sales.orders',
    )
  })

  it.each([
    {
      name: 'recovery says how long it lasted',
      a: alert(1, {
        kind: 'recovered',
        status: 'ok',
        previous: 'breach',
        score: 100,
        durationMs: 8_100_000,
        rootCause: null,
      }),
      header: ':white_check_mark: Recovered: customer_attribution',
      has: 'back to *ok* · score *100/100* · the breach lasted *2 h 15 min*',
    },
    {
      name: 'a reminder says how long so far',
      a: alert(2, { kind: 'reminder', durationMs: 4 * 3_600_000, reminder: 1 }),
      header: ':alarm_clock: Still in breach: customer_attribution',
      has: 'for *4 h*',
    },
    {
      name: 'worsening says what it was',
      a: alert(3, { kind: 'worsened', previous: 'warn' }),
      header: ':red_circle: Now in breach: customer_attribution',
      has: '*breach* (was warn)',
    },
    {
      name: 'a warning is orange',
      a: alert(4, {
        status: 'warn',
        dimensions: [
          { dimension: 'freshness', status: 'warn', score: 80, reason: 'written 30 h ago' },
        ],
      }),
      header: ':large_orange_circle: SLA warning: customer_attribution',
      has: '*freshness* · warn · 80/100',
    },
  ])('$name', ({ a, header, has }) => {
    const m = valid(buildAlertMessage([a], CTX))
    expect(m.blocks[0]).toMatchObject({ text: { text: header } })
    expect(JSON.stringify(m)).toContain(has)
  })

  it('names the blamed run and its run tags (TagsRunFacet), the first ten', () => {
    const base = facts().rootCause!
    const run = (tags: string[]) =>
      JSON.stringify(
        valid(
          buildAlertMessage(
            [
              alert(8, {
                rootCause: {
                  ...base,
                  culprit: {
                    name: 'load_orders',
                    kind: 'job',
                    type: 'airflow_task',
                    domain: 'sales',
                    run: { runId: 'failed-run', tags },
                  },
                },
              }),
            ],
            CTX,
          ),
        ),
      )
    expect(run(['test_tag:test_value', 'test_tag2:test_value2'])).toContain(
      '<!subteam^S123>\\nrun `failed-run` · run tags `test_tag:test_value`, `test_tag2:test_value2`',
    )
    expect(run([])).toContain('<!subteam^S123>\\nrun `failed-run`"')
    const many = run(Array.from({ length: 12 }, (_, i) => `t${i}`))
    expect(many).toContain('`t9` +2 more')
    expect(many).not.toContain('`t10`')
    expect(JSON.stringify(valid(buildAlertMessage([alert(9)], CTX)))).not.toContain('run `')
  })

  it('makes one digest of several alerts for a route, listing each product', () => {
    const m = valid(
      buildAlertMessage(
        [
          alert(1),
          alert(2, { productId: 'sales.orders', domain: 'sales' }),
          alert(3, { productId: 'sales.x', kind: 'recovered', status: 'ok', durationMs: 60_000 }),
        ],
        CTX,
      ),
    )
    expect(m.blocks[0]).toMatchObject({
      type: 'header',
      text: { text: ':red_circle: marketing, sales: 3 data product alerts' },
    })
    expect(JSON.stringify(m.blocks[1])).toContain('<!here> *2* in breach, *1* recovered')
    expect(m.text).toBe(
      'marketing, sales: 3 data product alerts: marketing.customer_attribution breach, sales.orders breach, sales.x recovered',
    )
    expect(m.blocks.at(-1)).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'alerts #1, #2, #3' }],
    })
  })

  it('stays within every Block Kit limit however big the input', () => {
    const long = 'x'.repeat(10_000)
    const huge = facts({
      productName: `p${'🔥'.repeat(200)}`,
      dimensions: Array.from({ length: 15 }, (_, i) => ({
        dimension: 'tests' as const,
        status: 'breach' as const,
        score: i,
        reason: long,
      })),
      rootCause: {
        summary: long,
        confidence: 'suspected',
        culprit: { name: long, kind: 'job', type: null, domain: 'sales' },
        chain: Array.from({ length: 200 }, () => ({
          name: 'n'.repeat(100),
          kind: 'dataset' as const,
          type: null,
          domain: null,
        })),
      },
    })
    const one = valid(
      buildAlertMessage([{ id: 1, kind: 'opened', severity: 'breach', facts: huge }], CTX),
    )
    expect(one.blocks.find((b) => b.type === 'section' && b.fields)).toMatchObject({
      fields: { length: 10 },
    })
    const many = valid(
      buildAlertMessage(
        Array.from({ length: 300 }, (_, i) => ({
          id: i + 1,
          kind: 'opened' as const,
          severity: 'breach' as const,
          facts: huge,
        })),
        CTX,
      ),
    )
    expect(many.blocks.length).toBeLessThanOrEqual(50)
    expect(JSON.stringify(many.blocks.at(-1))).toContain(
      '…and 280 more: <https://meshwatch.example/|open meshwatch>',
    )
  })

  it("escapes Slack's control characters in names and reasons", () => {
    const m = valid(
      buildAlertMessage(
        [
          alert(1, {
            dimensions: [
              { dimension: 'tests', status: 'breach', score: 0, reason: 'a <b> & <!channel>' },
            ],
          }),
        ],
        CTX,
      ),
    )
    expect(JSON.stringify(m)).toContain('a &lt;b&gt; &amp; &lt;!channel&gt;')
  })

  it('builds a valid test message naming the variable, never a URL', () => {
    const m = valid(
      buildTestMessage({
        domain: 'sales',
        severity: 'breach',
        webhookEnv: 'SLACK_WEBHOOK_SALES',
        channel: '#sales-oncall',
        mention: '@sales-oncall',
        publicUrl: 'http://127.0.0.1:4000',
        now: new Date(0),
      }),
    )
    expect(JSON.stringify(m)).toContain(
      'webhook from `$SLACK_WEBHOOK_SALES` (channel #sales-oncall)',
    )
  })
})

describe('message helpers', () => {
  it.each([
    { m: '@here', out: '<!here>' },
    { m: '@channel', out: '<!channel>' },
    { m: '<!subteam^S0123|@oncall>', out: '<!subteam^S0123|@oncall>' },
    { m: '<@U024BE7LH>', out: '<@U024BE7LH>' },
    { m: '@sales-oncall', out: '@sales-oncall' },
    { m: undefined, out: '' },
  ])('mention $m → $out', ({ m, out }) => expect(formatMention(m)).toBe(out))

  it.each([
    { name: 'short text unchanged', s: 'abc', max: 5, out: 'abc' },
    { name: 'cut with an ellipsis', s: 'abcdef', max: 4, out: 'abc…' },
    { name: 'never inside a surrogate pair', s: 'ab🔥🔥', max: 4, out: 'ab…' },
    { name: 'never inside an entity', s: 'ab &amp; cd', max: 6, out: 'ab …' },
  ])('clip: $name', ({ s, max, out }) => {
    expect(clip(s, max)).toBe(out)
    expect(clip(s, max).length).toBeLessThanOrEqual(max)
  })
})
