import { describe, expect, it } from 'vitest'
import { everyPayload } from './every-payload.ts'
import { adaptiveCardProblems, pagerDutyProblems } from './receivers.ts'

/**
 * Every transition an incident can take (every-payload.ts), for the owners and a consumer domain,
 * on an incident with a root cause and one without: each Teams card valid for Microsoft's parser
 * (and, in the peers suite, for the Adaptive Cards 1.5 JSON schema), each PagerDuty event within
 * its documented fields, the severity mapped from the incident's.
 */
describe('Teams and PagerDuty payloads of every transition', () => {
  it('are valid whatever the transition, audience and severity', async () => {
    const problems: string[] = []
    const seen: { kind: string; audience: string; severity: string; pd: string }[] = []
    for (const p of await everyPayload()) {
      for (const x of adaptiveCardProblems(p.card)) problems.push(`${p.id} ${p.kind} card: ${x}`)
      for (const x of pagerDutyProblems(p.event)) problems.push(`${p.id} ${p.kind} event: ${x}`)
      seen.push({
        kind: p.kind,
        audience: p.audience,
        severity: p.severity,
        pd: ('payload' in p.event && p.event.payload?.severity) || p.event.event_action,
      })
    }
    expect(problems).toEqual([])
    expect(new Set(seen.map((s) => s.kind))).toEqual(
      new Set(['opened', 'acknowledged', 'muted', 'updated', 'resolved', 'reopened']),
    )
    // breach is an error in PagerDuty, warn a warning; acknowledgements and mutes acknowledge
    for (const s of seen.filter((x) => ['opened', 'updated', 'reopened'].includes(x.kind)))
      expect([s.severity, s.pd]).toEqual(
        s.severity === 'breach' ? ['breach', 'error'] : ['warn', 'warning'],
      )
    expect(seen.filter((s) => s.kind === 'resolved').map((s) => s.pd)).toEqual(
      Array(4).fill('resolve'),
    )
  }, 120_000)
})
