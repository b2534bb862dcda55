import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { firstIssue } from '../../collectors/dbt/envelope.ts'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import { formatAgo, formatDuration, formatIssue, formatIssues } from '../../common/format.ts'
import type { AlertFacts } from '../../server/alerts/facts.ts'
import { buildAlertMessage } from '../../server/alerts/message.ts'
import { describeIssues } from '../../server/errors.ts'
import { checkProductScores } from '../../server/gate/quality-diff.ts'
import { renderText } from '../../server/gate/text.ts'
import { DEFAULT_GATE } from '../../server/gate/waivers.ts'
import type { ProductEvaluation } from '../../server/quality/facts.ts'
import { evaluateProduct } from '../../server/quality/score.ts'
import { timeAgo } from '../../web/model.ts'
import { hoursAgo, NOW, output, product, run, sla } from '../server/quality/helpers.ts'

// Every place that shows a duration, a "how long ago" time or a validation issue writes it
// with common/format.ts: the Slack message and the gate's text say the same thing.

describe('durations and ages read the same everywhere', () => {
  // Last written 30.5 h ago against a 24 h maximum: a breach whose reason carries the age.
  const late = evaluateProduct(
    product([output({ runs: [run('COMPLETE', 30.5)] })]),
    sla({ freshness: { max_age_hours: 24 } }),
    NOW,
  )
  const ok = evaluateProduct(
    product([output({ runs: [run('COMPLETE', 2)] })]),
    sla({ freshness: { max_age_hours: 24 } }),
    NOW,
  )
  const age = formatAgo(hoursAgo(30.5), NOW)
  const freshness = late.dimensions.find((d) => d.dimension === 'freshness')

  it('the evaluator writes the age with formatAgo', () => {
    expect(age).toBe('30 h 30 min ago')
    expect(freshness?.reason).toContain(`last written ${age}`)
  })

  it('the Slack message and the gate text show the same text for it', () => {
    if (!freshness || late.score === null) throw new Error('expected a scored freshness breach')
    const facts: AlertFacts = {
      productId: 'sales.orders',
      productName: 'orders',
      domain: 'sales',
      owner: null,
      kind: 'reminder',
      status: late.status,
      previous: 'breach',
      score: late.score,
      evaluatedAt: NOW.toISOString(),
      since: hoursAgo(6.5),
      durationMs: 6.5 * 3_600_000,
      reminder: 1,
      dimensions: [freshness],
      rootCause: null,
    }
    const slack = JSON.stringify(
      buildAlertMessage([{ id: 1, kind: 'reminder', severity: 'breach', facts }], {
        publicUrl: 'https://meshwatch.example/',
        route: {},
        contactOf: () => ({}),
      }),
    )
    const side = (e: ProductEvaluation) => ({
      products: new Map([['sales.orders', { id: 'sales.orders', domain: 'sales', evaluation: e }]]),
      violations: [],
    })
    const gate = renderText({
      project: 'shop',
      baseline: 'main',
      checks: checkProductScores(side(ok), side(late), DEFAULT_GATE),
      notes: [],
    })
    expect(slack).toContain(age)
    expect(gate).toContain(age)
    // the episode's length, in the same formatter
    expect(slack).toContain(formatDuration(6.5 * 3_600_000))
    expect(formatDuration(6.5 * 3_600_000)).toBe('6 h 30 min')
  })

  it("the web page's times are formatAgo's", () => {
    const now = new Date('2026-01-01T03:10:00Z')
    for (const at of ['2026-01-01T00:00:00Z', '2026-01-01T03:09:59Z', '2025-11-01T00:00:00Z'])
      expect(timeAgo(at, now)).toBe(formatAgo(at, now))
    expect(timeAgo(null, now)).toBe('—')
  })
})

describe('validation issues read the same everywhere', () => {
  const Schema = z.object({ run: z.object({ runId: z.string() }), kind: z.enum(['a', 'b']) })
  const error = Schema.safeParse({ run: {}, kind: 'c' }).error
  if (!error) throw new Error('expected a validation error')

  it('the API error names the first path and joins the issues with formatIssues', () => {
    expect(describeIssues(error)).toEqual({
      path: '$.run.runId',
      message: formatIssues(error.issues),
    })
    expect(describeIssues(error).message).toMatch(/^\$\.run\.runId: required; \$\.kind: /)
  })

  it("the dbt collector's warnings take the first issue", () => {
    expect(firstIssue(error)).toBe(formatIssue(error.issues[0] ?? { path: [], message: '' }))
  })

  it('the OpenLineage parser names the refused field the same way', () => {
    const r = parseEvent({
      eventType: 'START',
      eventTime: '2026-01-01T00:00:00Z',
      producer: 'https://example.com/producer',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
      run: {},
      job: { namespace: 'n', name: 'j' },
    })
    expect(r).toMatchObject({ ok: false, reason: 'invalid RunEvent: $.run.runId: required' })
  })
})
