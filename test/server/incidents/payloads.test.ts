import { describe, expect, it } from 'vitest'
import { getIncident, transitionsOf } from '../../../db/queries/incidents.ts'
import { createApp } from '../../../server/app.ts'
import { buildPagerDutyEvent, buildTeamsMessage } from '../../../server/incidents/channels.ts'
import { badDayCopy } from '../alerts/helpers.ts'
import { evaluateAs, HOUR } from './helpers.ts'
import { adaptiveCardProblems, pagerDutyProblems } from './receivers.ts'

const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF'

/**
 * Every transition an incident can take (opened, acknowledged, muted, updated to warn, resolved,
 * reopened), for the owners and a consumer domain, on an incident with a root cause and one
 * without: each Teams card valid for Microsoft's parser, each PagerDuty event within its
 * documented fields, the severity mapped from the incident's.
 */
describe('Teams and PagerDuty payloads of every transition', () => {
  it('are valid whatever the transition, audience and severity', async () => {
    const { deps, clock } = await badDayCopy()
    const app = createApp(deps)
    const post = (path: string, body: unknown = {}) =>
      app.request(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })
    const res = await app.request('/api/incidents?product=sales.orders')
    const orders = ((await res.json()) as { incidents: { id: number }[] }).incidents[0]!.id
    const t = clock.now().getTime()
    await post(`/api/incidents/${orders}/ack`, { by: 'ana', note: 'looking' })
    await post(`/api/incidents/${orders}/mute`)
    evaluateAs(deps.db, 'sales.orders', 'warn', new Date(t + HOUR))
    evaluateAs(deps.db, 'sales.orders', 'ok', new Date(t + 2 * HOUR))
    evaluateAs(deps.db, 'sales.orders', 'warn', new Date(t + 2.5 * HOUR))
    // a product the bad day left alone, breached with no root cause: no upstream start either
    const bare = evaluateAs(deps.db, 'product.feature_adoption', 'breach', new Date(t + HOUR))
      .incidents[0]!.incidentId
    const seen: { kind: string; audience: string; severity: string; pd: string }[] = []
    const problems: string[] = []
    for (const id of [orders, bare]) {
      const incident = getIncident(deps.db, id)!
      for (const transition of transitionsOf(deps.db, id))
        for (const [audience, severity] of [
          ['owner', 'breach'],
          ['owner', 'warn'],
          ['marketing', 'breach'],
          ['marketing', 'warn'],
        ] as const) {
          const ctx = {
            incident: { ...incident, severity },
            transition,
            audience,
            deliveryId: 1,
            ref: null,
            publicUrl: 'http://meshwatch.example',
            now: new Date(t + 3 * HOUR),
            timeoutMs: 1000,
            fetch,
            secrets: {},
          }
          const card = buildTeamsMessage(ctx).attachments[0]!.content
          const event = buildPagerDutyEvent(ctx, ROUTING_KEY)
          for (const p of adaptiveCardProblems(card))
            problems.push(`${id} ${transition.kind} card: ${p}`)
          for (const p of pagerDutyProblems(event))
            problems.push(`${id} ${transition.kind} event: ${p}`)
          seen.push({
            kind: transition.kind,
            audience,
            severity: ctx.incident.severity,
            pd: ('payload' in event && event.payload?.severity) || event.event_action,
          })
        }
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
