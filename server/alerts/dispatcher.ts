import { setTimeout as delay } from 'node:timers/promises'
import { formatDuration, formatIssues } from '../../common/format.ts'
import type { AlertRow } from '../../db/queries/alerts.ts'
import type { Store } from '../../db/store.ts'
import {
  EMPTY_CONFIG,
  resolveSlackRoute,
  type MeshwatchConfig,
  type SlackTarget,
} from '../config-file.ts'
import { SILENT, type Logger } from '../deps.ts'
import { SlackMessageSchema } from './block-kit.ts'
import { backoffMs, postToWebhook, type FetchLike } from './deliver.ts'
import { buildAlertMessage, type OutboxAlert } from './message.ts'
import { own } from '../../collectors/own.ts'
import { createIncidentDispatcher, type IncidentDispatchResult } from '../incidents/dispatch.ts'

export const DEFAULT_PUBLIC_URL = 'http://127.0.0.1:4000'

export interface DispatcherOptions {
  /** SQLite or PostgreSQL: on PostgreSQL several dispatchers (replicas) may share it. */
  store: Store
  config?: MeshwatchConfig | undefined
  /** Where webhook URLs are looked up, by the variable names meshwatch.yml gives (main.ts passes process.env). */
  env: Record<string, string | undefined>
  publicUrl?: string | undefined
  fetch?: FetchLike
  now?: () => Date
  /** Waits between polls and between posts to one webhook; rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>
  random?: () => number
  log?: Logger | undefined
  /** Per request (AbortSignal.timeout). Default 10 s. */
  timeoutMs?: number
  /** How long a claimed alert stays invisible to other dispatchers while it is being sent. Default 60 s. */
  leaseMs?: number
  /** Longest sleep between two looks at the outbox. Default 5 s. */
  pollMs?: number
  /** A retryable failure this long after the alert was written gives up (status failed). Default 24 h. */
  maxAgeMs?: number
  backoff?: { baseMs: number; maxMs: number }
  /** Slack allows about one message per second per webhook: https://api.slack.com/docs/rate-limits */
  spacingMs?: number
  batchSize?: number
  /** Slack's Web API base for incident messages (app mode); default https://slack.com/api. */
  slackApiUrl?: string | undefined
  /** PagerDuty's Events API v2 endpoint; default https://events.pagerduty.com/v2/enqueue. */
  pagerDutyUrl?: string | undefined
}

export interface DispatchResult {
  delivered: number[]
  retried: number[]
  failed: number[]
  /** One entry per POST: which alerts went out together. */
  posts: { webhookEnv: string; ids: number[]; outcome: string }[]
  /** The incidents' living messages sent in the same pass (server/incidents/dispatch.ts). */
  incidents?: IncidentDispatchResult
}

interface Group {
  route: SlackTarget
  url: string
  rows: AlertRow[]
}

const iso = (ms: number) => new Date(ms).toISOString()

/**
 * The outbox dispatcher: claims due alerts with a lease, groups them by Slack route (several
 * alerts for one route become one digest), posts each group and marks its alerts delivered
 * only after a 2xx. Retries use exponential backoff with jitter, or Slack's Retry-After on 429;
 * a 4xx other than 429 fails the alerts with the reason. What dies mid-send is due again when
 * its lease ends, so nothing written to the outbox is lost (delivery is at least once).
 */
export function createDispatcher(opts: DispatcherOptions) {
  const cfg = opts.config ?? EMPTY_CONFIG
  const clock = opts.now ?? (() => new Date())
  const sleep =
    opts.sleep ??
    ((ms: number, signal?: AbortSignal) => delay(ms, undefined, signal ? { signal } : {}))
  const fetchFn: FetchLike = opts.fetch ?? ((u, i) => fetch(u, i))
  const random = opts.random ?? Math.random
  const log = opts.log ?? SILENT
  const publicUrl = opts.publicUrl ?? DEFAULT_PUBLIC_URL
  const timeoutMs = opts.timeoutMs ?? 10_000
  const leaseMs = opts.leaseMs ?? 60_000
  const pollMs = opts.pollMs ?? 5_000
  const maxAgeMs = opts.maxAgeMs ?? 24 * 3_600_000
  const backoff = opts.backoff ?? { baseMs: 5_000, maxMs: 5 * 60_000 }
  const spacingMs = opts.spacingMs ?? 1_000
  // Retry-After holds by webhook variable, stored (incident_route_holds) so a restart waits too.
  let blockedUntil = new Map<string, number>()
  const holdKey = (env: string) => `slack-webhook:${env}`
  const store = opts.store
  const incidents = createIncidentDispatcher({
    store,
    config: cfg,
    env: opts.env,
    publicUrl,
    fetch: fetchFn,
    now: clock,
    random,
    log,
    timeoutMs,
    leaseMs,
    maxAgeMs,
    backoff,
    slackApiUrl: opts.slackApiUrl,
    pagerDutyUrl: opts.pagerDutyUrl,
  })

  const contactOf = (domain: string) => ({
    owner: own(cfg.domains, domain)?.owner,
    mention: resolveSlackRoute(cfg, domain, 'breach')?.mention,
  })

  async function group(rows: AlertRow[], result: DispatchResult): Promise<Group[]> {
    const groups = new Map<string, Group>()
    // alerts that cannot be sent, by reason: one log line per reason, not one per alert
    const unsendable = new Map<string, number[]>()
    const cannot = (id: number, reason: string) =>
      unsendable.set(reason, [...(unsendable.get(reason) ?? []), id])
    for (const row of rows) {
      const route = resolveSlackRoute(cfg, row.domain, row.severity)
      if (!route) {
        cannot(
          row.id,
          `no Slack route for domain ${row.domain}: give it (or the top-level slack) a webhook_env in meshwatch.yml`,
        )
        continue
      }
      const url = own(opts.env, route.webhookEnv)
      if (!url) {
        cannot(
          row.id,
          `$${route.webhookEnv} is not set (the webhook of domain ${row.domain}'s ${row.severity} route)`,
        )
        continue
      }
      const key = [route.webhookEnv, route.channel ?? '', route.mention ?? ''].join('\u0000')
      const g = groups.get(key) ?? { route, url, rows: [] }
      g.rows.push(row)
      groups.set(key, g)
    }
    for (const [reason, ids] of unsendable) await fail(ids, reason, result)
    return [...groups.values()]
  }

  async function fail(ids: number[], reason: string, result: DispatchResult) {
    await store.alerts.markFailed(ids, reason)
    result.failed.push(...ids)
    log.warn('alert failed', { alerts: ids, reason })
  }

  async function send(claimed: Group, result: DispatchResult): Promise<void> {
    const env = claimed.route.webhookEnv
    const startedAt = clock().getTime()
    const blocked = blockedUntil.get(holdKey(env)) ?? 0
    if (blocked > startedAt) {
      const ids = claimed.rows.map((r) => r.id)
      await store.alerts.markRetry(ids, iso(blocked), `waiting for Slack's Retry-After on $${env}`)
      result.retried.push(...ids)
      return
    }
    // Renew the lease (earlier groups of this round may have taken a while) of the rows still
    // under it: a row whose lease ran out meanwhile and that another dispatcher claimed is its to
    // send, not ours too. Each row's nextAttemptAt is the lease it was claimed with.
    const held = new Set(
      await store.alerts.renewLease(
        claimed.rows.map((r) => r.id),
        claimed.rows[0]?.nextAttemptAt ?? '',
        iso(startedAt + leaseMs),
      ),
    )
    const g = { ...claimed, rows: claimed.rows.filter((r) => held.has(r.id)) }
    if (g.rows.length < claimed.rows.length)
      log.warn('alerts taken over by another dispatcher (this one outlived its lease)', {
        alerts: claimed.rows.filter((r) => !held.has(r.id)).map((r) => r.id),
      })
    if (g.rows.length === 0) return
    const ids = g.rows.map((r) => r.id)
    const alerts: OutboxAlert[] = g.rows.map((r) => ({
      id: r.id,
      kind: r.kind,
      severity: r.severity,
      facts: r.payload,
    }))
    const message = buildAlertMessage(alerts, { publicUrl, route: g.route, contactOf })
    const valid = SlackMessageSchema.safeParse(message)
    if (!valid.success)
      return fail(
        ids,
        `message outside Slack's Block Kit limits: ${formatIssues(valid.error.issues, 1)}`,
        result,
      )

    const outcome = await postToWebhook(fetchFn, { url: g.url, label: env }, message, {
      timeoutMs,
      now: clock(),
    })
    const now = clock().getTime()
    result.posts.push({ webhookEnv: env, ids, outcome: outcome.kind })
    if (outcome.kind === 'delivered') {
      await store.alerts.markDelivered(ids, iso(now))
      result.delivered.push(...ids)
      log.info('alerts delivered', { alerts: ids, webhook: `$${env}`, channel: g.route.channel })
      return
    }
    if (outcome.kind === 'rejected')
      return fail(ids, `Slack refused the message: ${outcome.reason}`, result)
    const oldest = Math.min(...g.rows.map((r) => Date.parse(r.createdAt)))
    if (now - oldest > maxAgeMs)
      return fail(ids, `gave up after ${formatDuration(now - oldest)}: ${outcome.reason}`, result)
    const attempts = Math.max(...g.rows.map((r) => r.attempts))
    const wait = outcome.retryAfterMs ?? backoffMs(attempts, random, backoff)
    if (outcome.retryAfterMs !== undefined) {
      blockedUntil.set(holdKey(env), now + wait)
      await store.incidentDeliveries.holdRoute(holdKey(env), iso(now + wait), outcome.reason)
    }
    await store.alerts.markRetry(ids, iso(now + wait), outcome.reason)
    result.retried.push(...ids)
    log.warn('alert delivery will be retried', {
      alerts: ids,
      webhook: `$${env}`,
      reason: outcome.reason,
      retryInMs: wait,
    })
  }

  /** One pass: claim what is due, post it, record the outcomes. */
  async function runOnce(): Promise<DispatchResult> {
    const result: DispatchResult = { delivered: [], retried: [], failed: [], posts: [] }
    result.incidents = await incidents.runOnce()
    const now = clock().getTime()
    blockedUntil = await store.incidentDeliveries.activeHolds(iso(now))
    const rows = await store.alerts.claimDueAlerts({
      now: iso(now),
      leaseUntil: iso(now + leaseMs),
      limit: opts.batchSize ?? 200,
    })
    if (rows.length === 0) return result
    // One chain per webhook, all at once: a webhook that hangs until the timeout delays only its
    // own messages, never another domain's. Within a chain, posts keep Slack's spacing.
    const chains = new Map<string, Group[]>()
    for (const g of await group(rows, result)) {
      const chain = chains.get(g.route.webhookEnv) ?? []
      chain.push(g)
      chains.set(g.route.webhookEnv, chain)
    }
    await Promise.all(
      [...chains.values()].map(async (chain) => {
        for (const [i, g] of chain.entries()) {
          if (i > 0 && spacingMs > 0) await sleep(spacingMs)
          await send(g, result)
        }
      }),
    )
    return result
  }

  /** Runs until the returned function is called (which resolves once the loop has stopped). */
  function start(): () => Promise<void> {
    const ac = new AbortController()
    const loop = (async () => {
      while (!ac.signal.aborted) {
        let next: string | undefined
        try {
          await runOnce()
          next = await store.alerts.nextDueAt()
        } catch (e) {
          log.error('alert dispatch failed', { error: String(e) })
        }
        const wait = next
          ? Math.min(pollMs, Math.max(250, Date.parse(next) - clock().getTime()))
          : pollMs
        await sleep(wait, ac.signal).catch(() => undefined)
      }
    })()
    return async () => {
      ac.abort()
      await loop
    }
  }

  return { runOnce, start }
}
