import { describe, expect, it } from 'vitest'
import { getIncident, transitionsOf } from '../../../db/queries/incidents.ts'
import { SlackApiMessageSchema } from '../../../server/alerts/block-kit.ts'
import { buildIncidentMessage, buildTransitionReply } from '../../../server/incidents/message.ts'
import { badDayCopy } from '../alerts/helpers.ts'
import { dbOf } from '../../store-deps.ts'

const long = (what: string, n: number) => `${what} `.repeat(Math.ceil(n / (what.length + 1)))

/**
 * The living Slack message of an incident at the limits of what meshwatch accepts: a 500-product
 * blast radius with long names, a long title and root cause, 2000-character notes and reasons (the
 * API's maximum) by 200-character actors, stays within Slack's Block Kit limits for the owners and
 * for a consumer domain, in every state.
 */
describe('incident messages at the limits', () => {
  it("stay within Block Kit's limits for every audience and state", async () => {
    const { deps, clock } = await badDayCopy()
    const res = getIncident(dbOf(deps), 1)
    if (!res) throw new Error('the bad day opened no incident')
    const blastRadius = Array.from({ length: 500 }, (_, i) => ({
      productId: `marketing.${long('attribution', 200)}${i}`,
      name: `${long('customer attribution', 200)}${i}`,
      domain: i % 2 ? 'marketing' : 'finance',
      owner: long('growth-analytics@meshwatch.example', 300),
      hops: i % 5,
    }))
    const big = {
      ...res,
      title: long('orders of every region', 600),
      productId: `sales.${long('orders', 300)}`,
      blastRadius,
      ...(res.rootCause
        ? { rootCause: { ...res.rootCause, summary: long('the upstream load failed', 5000) } }
        : {}),
    }
    const transition = transitionsOf(dbOf(deps), 1)[0]
    if (!transition) throw new Error('incident 1 has no transition')
    const states = [
      big,
      { ...big, status: 'acknowledged' as const, acknowledgedBy: long('ana', 200) },
      { ...big, mutedUntil: new Date(clock.now().getTime() + 86_400_000).toISOString() },
      {
        ...big,
        status: 'resolved' as const,
        resolution: 'manual' as const,
        resolveReason: long('backfilled', 2000),
        resolvedAt: clock.now().toISOString(),
      },
    ]
    const problems: string[] = []
    for (const inc of states)
      for (const audience of ['owner', 'marketing', 'finance']) {
        const m = buildIncidentMessage(inc, {
          publicUrl: 'http://meshwatch.example',
          audience,
          now: clock.now(),
        })
        const r = SlackApiMessageSchema.safeParse({ ...m, channel: '#x' })
        if (!r.success)
          problems.push(
            `${inc.status} ${audience}: ${r.error.issues.map((i) => i.path.join('.')).join(', ')}`,
          )
      }
    for (const kind of ['acknowledged', 'muted', 'resolved'] as const) {
      const reply = buildTransitionReply({
        ...transition,
        kind,
        note: long('looking into it', 2000),
        actor: long('ana', 200),
      })
      const r = SlackApiMessageSchema.safeParse({ ...reply, channel: '#x' })
      if (!r.success)
        problems.push(`reply ${kind}: ${r.error.issues.map((i) => i.path.join('.')).join(', ')}`)
    }
    expect(problems).toEqual([])
  }, 120_000)
})
