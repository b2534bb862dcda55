import { getIncident, transitionsOf } from '../../../db/queries/incidents.ts'
import { createApp } from '../../../server/app.ts'
import { buildPagerDutyEvent, buildTeamsMessage } from '../../../server/incidents/channels.ts'
import { badDayCopy } from '../alerts/helpers.ts'
import { evaluateAs, HOUR } from './helpers.ts'
import { dbOf } from '../../store-deps.ts'

export const ROUTING_KEY = 'R0UT1NGKEY0123456789abcdefABCDEF'

/** One transition's Teams card and PagerDuty event, for one audience at one severity. */
export interface Payload {
  id: number
  kind: string
  audience: string
  severity: string
  card: unknown
  event: ReturnType<typeof buildPagerDutyEvent>
}

/**
 * Every transition an incident can take (opened, acknowledged, muted, updated to warn, resolved,
 * reopened), for the owners and a consumer domain at each severity, on an incident with a root
 * cause and one without (a product the bad day left alone, breached with no upstream start).
 */
export async function everyPayload(): Promise<Payload[]> {
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
  evaluateAs(dbOf(deps), 'sales.orders', 'warn', new Date(t + HOUR))
  evaluateAs(dbOf(deps), 'sales.orders', 'ok', new Date(t + 2 * HOUR))
  evaluateAs(dbOf(deps), 'sales.orders', 'warn', new Date(t + 2.5 * HOUR))
  const bare = evaluateAs(dbOf(deps), 'product.feature_adoption', 'breach', new Date(t + HOUR))
    .incidents[0]!.incidentId
  const out: Payload[] = []
  for (const id of [orders, bare]) {
    const incident = getIncident(dbOf(deps), id)!
    for (const transition of transitionsOf(dbOf(deps), id))
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
        out.push({
          id,
          kind: transition.kind,
          audience,
          severity: ctx.incident.severity,
          card: buildTeamsMessage(ctx).attachments[0]!.content,
          event: buildPagerDutyEvent(ctx, ROUTING_KEY),
        })
      }
  }
  return out
}
