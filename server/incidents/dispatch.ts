import { formatDuration, formatIssues } from '../../common/format.ts'
import type { IncidentDeliveryRow } from '../../db/schema.ts'
import type { Store } from '../../db/store.ts'
import { SlackApiMessageSchema, type SlackMessage } from '../alerts/block-kit.ts'
import { backoffMs, type FetchLike } from '../alerts/deliver.ts'
import { EMPTY_CONFIG, type MeshwatchConfig } from '../config-file.ts'
import { SILENT, type Logger } from '../deps.ts'
import { PAGERDUTY_EVENTS_URL, sendTransition } from './channels.ts'
import { holdKeyOf, routesByKey, secretsOf } from './config.ts'
import { dispatchDigests, type DigestSent } from './digest-dispatch.ts'
import { fanOutIncidents } from './fan-out.ts'
import { quietMsLeft } from './quiet-hours.ts'
import { buildIncidentMessage, buildTransitionReply } from './message.ts'
import { callSlack, SLACK_API_URL, type ApiOutcome } from './slack-app.ts'

export interface IncidentDispatcherOptions {
  store: Store
  config?: MeshwatchConfig | undefined
  env: Record<string, string | undefined>
  publicUrl: string
  fetch: FetchLike
  now: () => Date
  random: () => number
  log?: Logger | undefined
  timeoutMs: number
  leaseMs: number
  maxAgeMs: number
  backoff: { baseMs: number; maxMs: number }
  /** Slack's Web API base (tests point it at a local receiver). */
  slackApiUrl?: string | undefined
  /** PagerDuty's Events API v2 endpoint (tests point it at a local receiver). */
  pagerDutyUrl?: string | undefined
}

export interface IncidentDispatchResult {
  /** One entry per Web API call: which delivery, which method, what came of it. */
  calls: { delivery: number; method: string; outcome: ApiOutcome['kind'] }[]
  retried: number[]
  failed: number[]
  /** The digests sent (or tried) in the pass, per route. */
  digests: DigestSent[]
}

const iso = (ms: number) => new Date(ms).toISOString()

const CHANNEL_NAMES = {
  slack: 'Slack',
  teams: 'Teams',
  pagerduty: 'PagerDuty',
  webhook: 'the webhook',
  email: 'the SMTP server',
} as const

/**
 * The incident dispatcher: works out the routes of every incident with new transitions (owners'
 * and consumer domains'), then delivers each route's pending transitions in order: the first one
 * posts the living message (chat.postMessage), each later one edits it in place (chat.update) and
 * replies in its thread. A delivery's cursor moves only after Slack accepted, so an outage (5xx,
 * 429 with Retry-After, a timeout) delays but loses nothing, and each transition goes out once.
 */
export function createIncidentDispatcher(opts: IncidentDispatcherOptions) {
  const cfg = opts.config ?? EMPTY_CONFIG
  const log = opts.log ?? SILENT
  const apiUrl = opts.slackApiUrl ?? SLACK_API_URL
  // Retry-After holds by holdKeyOf: stored (incident_route_holds), so a restarted server waits too.
  let holds = new Map<string, number>()
  const store = opts.store
  const deliveries = store.incidentDeliveries

  async function deliver(d: IncidentDeliveryRow, result: IncidentDispatchResult) {
    const route = routesByKey(cfg).get(d.routeKey)
    if (!route) return fail(d, `route ${d.routeKey} is no longer in meshwatch.yml`, result)
    const found = secretsOf(route, opts.env)
    if ('missing' in found)
      return fail(d, `$${found.missing} is not set (a secret of route ${d.routeKey})`, result, {
        reason: `$${found.missing} is not set`,
      })
    const { secrets } = found
    const inc = await store.incidents.getIncident(d.incidentId)
    if (!inc) return
    const pending = await deliveries.transitionsAfter(inc.id, d.cursor)
    const last = pending.at(-1)
    if (!last)
      return deliveries.scheduleDelivery(d.id, { nextAttemptAt: iso(opts.now().getTime()) })
    const hold = holdKeyOf(route)
    const blocked = holds.get(hold) ?? 0
    if (blocked > opts.now().getTime())
      return retry(d, { kind: 'retry', reason: `waiting for the Retry-After of ${hold}` }, result, {
        until: blocked,
      })
    const quietFor = route.quiet_hours ? quietMsLeft(route.quiet_hours, opts.now()) : 0
    if (quietFor > 0)
      return deliveries.scheduleDelivery(d.id, {
        nextAttemptAt: iso(opts.now().getTime() + quietFor),
      })
    const at = () => iso(opts.now().getTime())
    // Before each call out, the lease is renewed if still this dispatcher's: one that outlived it
    // (a slow receiver, a paused process) leaves the delivery to the dispatcher that claimed it since.
    let lease = d.nextAttemptAt
    const ours = async () => {
      const until = iso(opts.now().getTime() + opts.leaseMs)
      if (!(await deliveries.renewDeliveryLease(d.id, lease, until))) {
        log.warn(
          'incident delivery taken over by another dispatcher (this one outlived its lease)',
          {
            delivery: d.id,
          },
        )
        return false
      }
      lease = until
      return true
    }
    if (route.type !== 'slack') {
      let ref = d.ref
      for (const t of pending) {
        if (!(await ours())) return
        const o = await sendTransition(
          route,
          {
            incident: inc,
            transition: t,
            audience: d.audience,
            deliveryId: d.id,
            ref,
            publicUrl: opts.publicUrl,
            now: opts.now(),
            timeoutMs: opts.timeoutMs,
            fetch: opts.fetch,
            secrets,
          },
          { pagerduty: opts.pagerDutyUrl ?? PAGERDUTY_EVENTS_URL },
        )
        result.calls.push({ delivery: d.id, method: route.type, outcome: o.kind })
        if (o.kind !== 'delivered') return settle(d, o, result, hold)
        if (o.ref) ref = o.ref
        await deliveries.advanceDelivery(d.id, {
          cursor: t.id,
          at: at(),
          ...(o.ref ? { ref: o.ref } : {}),
        })
      }
      return deliveries.scheduleDelivery(d.id, { nextAttemptAt: at() })
    }
    const token = secrets[route.token_env] ?? ''
    const call = async (
      method: 'chat.postMessage' | 'chat.update',
      m: SlackMessage & { channel: string; ts?: string; thread_ts?: string },
    ) => {
      const valid = SlackApiMessageSchema.safeParse(m)
      if (!valid.success)
        return {
          kind: 'rejected' as const,
          reason: `message outside Slack's Block Kit limits: ${formatIssues(valid.error.issues, 1)}`,
        }
      const o = await callSlack(
        opts.fetch,
        { apiUrl, token, timeoutMs: opts.timeoutMs, now: opts.now() },
        method,
        valid.data,
      )
      result.calls.push({ delivery: d.id, method, outcome: o.kind })
      return o
    }
    const message = buildIncidentMessage(inc, {
      publicUrl: opts.publicUrl,
      audience: d.audience,
      now: opts.now(),
    })
    let ref = d.ref?.ts && d.ref.channel ? { channel: d.ref.channel, ts: d.ref.ts } : undefined
    let replies = pending
    if (!(await ours())) return
    if (!ref) {
      const o = await call('chat.postMessage', { ...message, channel: route.channel })
      if (o.kind !== 'delivered') return settle(d, o, result, hold)
      // The post shows the incident as it is now and stands for its first transition; the
      // later ones (made while Slack was down, say) follow as replies in its thread.
      ref = { channel: o.channel, ts: o.ts }
      await deliveries.advanceDelivery(d.id, { cursor: pending[0]?.id ?? last.id, at: at(), ref })
      log.info('incident posted', { incident: inc.id, route: d.routeKey, audience: d.audience })
      replies = pending.slice(1)
    } else {
      const updated = await call('chat.update', { ...message, ...ref })
      if (updated.kind !== 'delivered') return settle(d, updated, result, hold)
    }
    for (const t of replies) {
      if (!(await ours())) return
      const o = await call('chat.postMessage', {
        ...buildTransitionReply(t),
        channel: ref.channel,
        thread_ts: ref.ts,
      })
      if (o.kind !== 'delivered') return settle(d, o, result, hold)
      await deliveries.advanceDelivery(d.id, { cursor: t.id, at: at() })
    }
    await deliveries.scheduleDelivery(d.id, { nextAttemptAt: at() })
  }

  async function settle(
    d: IncidentDeliveryRow,
    o: Exclude<ApiOutcome, { kind: 'delivered' }>,
    result: IncidentDispatchResult,
    hold: string,
  ) {
    if (o.kind === 'rejected')
      return fail(d, `${CHANNEL_NAMES[d.channel]} refused: ${o.reason}`, result)
    await retry(d, o, result, { hold })
  }

  async function retry(
    d: IncidentDeliveryRow,
    o: { kind: 'retry'; reason: string; retryAfterMs?: number },
    result: IncidentDispatchResult,
    at: { until: number } | { hold: string },
  ) {
    const now = opts.now().getTime()
    const since = d.failingSince ?? iso(now)
    if (now - Date.parse(since) > opts.maxAgeMs)
      return fail(
        d,
        `gave up after ${formatDuration(now - Date.parse(since))}: ${o.reason}`,
        result,
      )
    const wait =
      'until' in at
        ? at.until - now
        : (o.retryAfterMs ?? backoffMs(d.attempts, opts.random, opts.backoff))
    if ('hold' in at && o.retryAfterMs !== undefined) {
      holds.set(at.hold, now + wait)
      await deliveries.holdRoute(at.hold, iso(now + wait), o.reason)
    }
    await deliveries.scheduleDelivery(d.id, {
      nextAttemptAt: iso(now + wait),
      error: o.reason,
      failingSince: since,
    })
    result.retried.push(d.id)
    log.warn('incident delivery will be retried', {
      delivery: d.id,
      route: d.routeKey,
      reason: o.reason,
      retryInMs: wait,
    })
  }

  // failures of one pass by reason: one log line per reason, not one per delivery (npm start's demo)
  let failures = new Map<string, { deliveries: number[]; routes: Set<string> }>()

  async function fail(
    d: IncidentDeliveryRow,
    reason: string,
    result: IncidentDispatchResult,
    logAs: { reason: string } = { reason },
  ) {
    await deliveries.failDelivery(d.id, reason)
    result.failed.push(d.id)
    const f = failures.get(logAs.reason) ?? { deliveries: [], routes: new Set<string>() }
    f.deliveries.push(d.id)
    f.routes.add(d.routeKey)
    failures.set(logAs.reason, f)
  }

  /** One pass: fan out new transitions, then send what is due, one chain per route. */
  async function runOnce(): Promise<IncidentDispatchResult> {
    const result: IncidentDispatchResult = { calls: [], retried: [], failed: [], digests: [] }
    failures = new Map()
    await fanOutIncidents(store, cfg, opts.now())
    const now = opts.now().getTime()
    holds = await deliveries.activeHolds(iso(now))
    const due = await deliveries.claimDueDeliveries({
      now: iso(now),
      leaseUntil: iso(now + opts.leaseMs),
      limit: 200,
    })
    const chains = new Map<string, IncidentDeliveryRow[]>()
    for (const d of due) chains.set(d.routeKey, [...(chains.get(d.routeKey) ?? []), d])
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const d of chain) await deliver(d, result)
      }),
    )
    result.digests = await dispatchDigests({
      ...opts,
      config: cfg,
      log,
      slackApiUrl: apiUrl,
      holds: {
        until: (key) => holds.get(key) ?? 0,
        hold: async (key, until, reason) => {
          holds.set(key, until)
          await deliveries.holdRoute(key, iso(until), reason)
        },
      },
    })
    for (const [reason, f] of failures)
      log.warn('incident delivery failed', {
        deliveries: f.deliveries,
        routes: [...f.routes],
        reason,
      })
    return result
  }

  return { runOnce }
}
