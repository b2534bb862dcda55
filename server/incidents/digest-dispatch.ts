import { formatDuration } from '../../common/format.ts'
import type { IncidentDigestItemRow } from '../../db/schema.ts'
import type { Store } from '../../db/store.ts'
import { backoffMs, type FetchLike } from '../alerts/deliver.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import type { Logger } from '../deps.ts'
import { holdKeyOf, routesByKey, secretsOf } from './config.ts'
import { sendDigest, type DigestEntry } from './digest.ts'
import { quietMsLeft } from './quiet-hours.ts'

export interface DigestDispatchOptions {
  store: Store
  config: MeshwatchConfig
  env: Record<string, string | undefined>
  publicUrl: string
  fetch: FetchLike
  now: () => Date
  random: () => number
  log: Logger
  timeoutMs: number
  leaseMs: number
  maxAgeMs: number
  backoff: { baseMs: number; maxMs: number }
  slackApiUrl: string
  /** The Retry-After holds the living messages honour too (dispatch.ts keeps them, stored). */
  holds: {
    until(key: string): number
    hold(key: string, until: number, reason: string): Promise<void>
  }
}

export interface DigestSent {
  route: string
  items: number[]
  outcome: 'delivered' | 'retry' | 'rejected'
}

const iso = (ms: number) => new Date(ms).toISOString()

/** The items of one digest as its entries: one per incident and audience, in the order they were routed. */
async function entriesOf(
  store: Store,
  rows: readonly IncidentDigestItemRow[],
): Promise<DigestEntry[]> {
  const groups = new Map<string, { incidentId: number; audience: string; ids: Set<number> }>()
  for (const r of rows) {
    const k = `${r.incidentId}\u0000${r.audience}`
    const g = groups.get(k) ?? { incidentId: r.incidentId, audience: r.audience, ids: new Set() }
    g.ids.add(r.transitionId)
    groups.set(k, g)
  }
  const out: DigestEntry[] = []
  for (const g of groups.values()) {
    const incident = await store.incidents.getIncident(g.incidentId)
    if (!incident) continue
    const all = await store.incidentDeliveries.transitionsAfter(g.incidentId, 0)
    out.push({ incident, audience: g.audience, transitions: all.filter((t) => g.ids.has(t.id)) })
  }
  return out
}

/**
 * Sends the digests that are due: the pending items of each route whose digest time has come
 * become one message on it. The items are marked sent only after the channel accepted it; a
 * 5xx, timeout or 429 tries again later (429 after its Retry-After, held for the whole route or
 * bot token), a refusal fails them with the reason. Quiet hours hold a digest to their end.
 */
export async function dispatchDigests(o: DigestDispatchOptions): Promise<DigestSent[]> {
  const start = o.now().getTime()
  const digests = o.store.incidentDigests
  const due = await digests.claimDueDigestItems({
    now: iso(start),
    leaseUntil: iso(start + o.leaseMs),
    limit: 2000,
  })
  const byRoute = new Map<string, IncidentDigestItemRow[]>()
  for (const r of due) byRoute.set(r.routeKey, [...(byRoute.get(r.routeKey) ?? []), r])
  const routes = routesByKey(o.config)
  const sent: DigestSent[] = []

  async function send(key: string, rows: IncidentDigestItemRow[]) {
    const ids = rows.map((r) => r.id)
    const fail = async (reason: string) => {
      await digests.settleDigestItems(ids, { failed: reason })
      o.log.warn('incident digest failed', { route: key, items: ids.length, reason })
      sent.push({ route: key, items: ids, outcome: 'rejected' })
    }
    const route = routes.get(key)
    if (!route) return fail(`route ${key} is no longer in meshwatch.yml`)
    if (route.type === 'pagerduty') return fail('PagerDuty routes have no digest')
    const found = secretsOf(route, o.env)
    if ('missing' in found) return fail(`$${found.missing} is not set (a secret of route ${key})`)
    const now = o.now().getTime()
    const blocked = o.holds.until(holdKeyOf(route))
    if (blocked > now)
      return digests.rescheduleDigestItems(ids, {
        nextAttemptAt: iso(blocked),
        error: `waiting for the Retry-After of ${holdKeyOf(route)}`,
      })
    const quietFor = route.quiet_hours ? quietMsLeft(route.quiet_hours, o.now()) : 0
    if (quietFor > 0)
      return digests.rescheduleDigestItems(ids, { nextAttemptAt: iso(now + quietFor) })
    const entries = await entriesOf(o.store, rows)
    const outcome = await sendDigest(route, entries, {
      routeKey: key,
      deliveryTag: `${ids[0]}-${ids.at(-1)}`,
      publicUrl: o.publicUrl,
      now: o.now(),
      timeoutMs: o.timeoutMs,
      fetch: o.fetch,
      secrets: found.secrets,
      slackApiUrl: o.slackApiUrl,
    })
    const after = o.now().getTime()
    if (outcome.kind === 'delivered') {
      await digests.settleDigestItems(ids, { sentAt: iso(after) })
      o.log.info('incident digest sent', { route: key, incidents: entries.length })
      return void sent.push({ route: key, items: ids, outcome: 'delivered' })
    }
    if (outcome.kind === 'rejected') return fail(`the channel refused: ${outcome.reason}`)
    const since = rows[0]?.failingSince ?? iso(after)
    if (after - Date.parse(since) > o.maxAgeMs)
      return fail(`gave up after ${formatDuration(after - Date.parse(since))}: ${outcome.reason}`)
    const wait = outcome.retryAfterMs ?? backoffMs(rows[0]?.attempts ?? 1, o.random, o.backoff)
    if (outcome.retryAfterMs !== undefined)
      await o.holds.hold(holdKeyOf(route), after + wait, outcome.reason)
    await digests.rescheduleDigestItems(ids, {
      nextAttemptAt: iso(after + wait),
      error: outcome.reason,
      failingSince: since,
    })
    o.log.warn('incident digest will be retried', {
      route: key,
      reason: outcome.reason,
      retryInMs: wait,
    })
    sent.push({ route: key, items: ids, outcome: 'retry' })
  }

  await Promise.all([...byRoute].map(([key, rows]) => send(key, rows)))
  return sent
}
