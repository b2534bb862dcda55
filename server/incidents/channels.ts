import { createHmac } from 'node:crypto'
import { createTransport, type Transporter } from 'nodemailer'
import type { IncidentRow, IncidentTransitionRow } from '../../db/schema.ts'
import { retryAfterMs, type FetchLike } from '../alerts/deliver.ts'
import type { IncidentRoute } from './config.ts'
import { consumerLine, incidentTitle, incidentUrl, transitionLine } from './message.ts'
import { failureReason, scrub, type ApiOutcome } from './slack-app.ts'
import { summarizeIncident } from './view.ts'

/** What a channel gets to send one transition: the incident now, the transition, whom it addresses. */
export interface SendContext {
  incident: IncidentRow
  transition: IncidentTransitionRow
  audience: string
  deliveryId: number
  /** Where the living message is (e-mail: the first Message-ID), once sent. */
  ref: { id?: string } | null
  publicUrl: string
  now: Date
  timeoutMs: number
  fetch: FetchLike
  /** The route's secrets, by variable name (all set). */
  secrets: Record<string, string>
}

export type SendOutcome =
  Exclude<ApiOutcome, { kind: 'delivered' }> | { kind: 'delivered'; ref?: { id: string } }

/** POSTs JSON and classifies the answer: 2xx delivered, 429 (Retry-After) / 5xx / 408 / network retried, other 4xx refused. */
export async function postJson(
  ctx: Pick<SendContext, 'fetch' | 'timeoutMs' | 'secrets' | 'now'>,
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<SendOutcome> {
  const secrets = Object.values(ctx.secrets)
  let res: Response
  try {
    res = await ctx.fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
      body,
      signal: AbortSignal.timeout(ctx.timeoutMs),
    })
  } catch (e) {
    return { kind: 'retry', reason: failureReason(e, ctx.timeoutMs, secrets) }
  }
  const text = scrub((await res.text().catch(() => '')).slice(0, 200).trim(), secrets)
  if (res.ok) return { kind: 'delivered' }
  const what = `HTTP ${res.status}${text ? `: ${text}` : ''}`
  if (res.status === 429) {
    const after = retryAfterMs(res.headers.get('retry-after'), ctx.now)
    return {
      kind: 'retry',
      reason: `rate limited (${what})`,
      ...(after !== undefined ? { retryAfterMs: after } : {}),
    }
  }
  if (res.status >= 500 || res.status === 408) return { kind: 'retry', reason: what }
  return { kind: 'rejected', reason: what }
}

const headline = (ctx: SendContext) =>
  ctx.audience === 'owner'
    ? incidentTitle(ctx.incident, ctx.now)
    : consumerLine(ctx.incident, ctx.audience)

/** A Teams Workflows webhook message carrying one Adaptive Card 1.5 with this body and these actions. */
export const teamsMessage = (body: unknown[], actions: unknown[] = []) => ({
  type: 'message',
  attachments: [
    {
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: '1.5',
        body,
        ...(actions.length > 0 ? { actions } : {}),
      },
    },
  ],
})

/**
 * A Teams Workflows webhook message: one Adaptive Card (1.5) per transition with the incident's
 * state now (https://learn.microsoft.com/en-us/connectors/teams/#microsoft-teams-webhook).
 */
export function buildTeamsMessage(ctx: SendContext) {
  const inc = ctx.incident
  const facts = [
    {
      title: 'Status',
      value: `${inc.status}${inc.productStatus !== 'ok' ? ` (${inc.productStatus})` : ''}`,
    },
    { title: 'Detected', value: inc.detectedAt },
    { title: 'Started upstream', value: inc.startedAt },
    ...(inc.acknowledgedBy ? [{ title: 'Acknowledged by', value: inc.acknowledgedBy }] : []),
    ...(inc.resolvedAt
      ? [{ title: 'Resolved', value: `${inc.resolvedAt} (${inc.resolveReason ?? inc.resolution})` }]
      : []),
  ]
  return teamsMessage(
    [
      {
        type: 'TextBlock',
        text: headline(ctx),
        weight: 'Bolder',
        size: 'Medium',
        wrap: true,
      },
      { type: 'TextBlock', text: transitionLine(ctx.transition), isSubtle: true, wrap: true },
      { type: 'FactSet', facts },
      ...(inc.rootCause
        ? [{ type: 'TextBlock', text: `Root cause: ${inc.rootCause.summary}`, wrap: true }]
        : []),
      ...(ctx.audience === 'owner' && inc.blastRadius.length > 0
        ? [
            {
              type: 'TextBlock',
              text: `Affects: ${inc.blastRadius.map((p) => `${p.productId} (${p.owner ?? p.domain})`).join(', ')}`,
              wrap: true,
            },
          ]
        : []),
    ],
    [
      {
        type: 'Action.OpenUrl',
        title: 'Open in meshwatch',
        url: incidentUrl(ctx.publicUrl, inc.id),
      },
    ],
  )
}

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue'

/** Whether an acknowledgement is this audience's: the owners', or the consumer domain's own. */
const acksFor = (t: IncidentTransitionRow, inc: IncidentRow, audience: string) =>
  audience === 'owner' ? !t.actorDomain || t.actorDomain === inc.domain : t.actorDomain === audience

/**
 * A PagerDuty Events API v2 event (https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
 * resolved → resolve, acknowledged or muted → acknowledge, anything else → trigger with the
 * incident's state; dedup_key is the incident id (per consumer domain for its own page).
 */
export function buildPagerDutyEvent(ctx: SendContext, routingKey: string) {
  const inc = ctx.incident
  const t = ctx.transition
  const dedup_key = `meshwatch-${inc.id}${ctx.audience === 'owner' ? '' : `-${ctx.audience}`}`
  const action =
    t.kind === 'resolved'
      ? 'resolve'
      : (t.kind === 'acknowledged' && acksFor(t, inc, ctx.audience)) || t.kind === 'muted'
        ? 'acknowledge'
        : 'trigger'
  if (action !== 'trigger') return { routing_key: routingKey, event_action: action, dedup_key }
  const url = incidentUrl(ctx.publicUrl, inc.id)
  return {
    routing_key: routingKey,
    event_action: action,
    dedup_key,
    payload: {
      summary: headline(ctx).slice(0, 1024),
      source: 'meshwatch',
      severity: inc.severity === 'breach' ? 'error' : 'warning',
      timestamp: t.at,
      component: inc.productId,
      group: inc.domain,
      class: 'data quality',
      custom_details: {
        status: inc.productStatus,
        score: inc.score,
        transition: transitionLine(t),
        root_cause: inc.rootCause?.summary ?? null,
        blast_radius: inc.blastRadius.map((p) => p.productId),
      },
    },
    links: [{ href: url, text: 'Open in meshwatch' }],
    client: 'meshwatch',
    client_url: url,
  }
}

/** The generic webhook body: the event, the incident as the API shows it, the transition, whom it addresses. */
export const buildWebhookBody = (ctx: SendContext) => ({
  event: ctx.transition.kind,
  audience: ctx.audience,
  incident: summarizeIncident(ctx.incident, ctx.now),
  transition: {
    id: ctx.transition.id,
    kind: ctx.transition.kind,
    at: ctx.transition.at,
    actor: ctx.transition.actor,
    note: ctx.transition.note,
    changes: ctx.transition.changes,
  },
  url: incidentUrl(ctx.publicUrl, ctx.incident.id),
})

/** `sha256=` + hex HMAC-SHA256 of the exact body with the route's secret (as GitHub signs its webhooks). */
export const signBody = (secret: string, body: string): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`

const transports = new Map<string, Transporter>()

/** One pooled nodemailer transport per SMTP URL (the URL holds the password: never logged). */
export function mailTransport(url: string, timeoutMs: number): Transporter {
  const key = `${url}\u0000${timeoutMs}`
  const transport =
    transports.get(key) ??
    createTransport(url, {
      connectionTimeout: timeoutMs,
      greetingTimeout: timeoutMs,
      socketTimeout: timeoutMs,
    })
  transports.set(key, transport)
  return transport
}

/** A failed SMTP send: 5xx is a permanent refusal (RFC 5321 §4.2.1); 4xx and connection trouble pass. */
export function smtpFailure(e: unknown, secrets: readonly string[]): SendOutcome {
  const code =
    e && typeof e === 'object' && 'responseCode' in e ? Number(e.responseCode) : undefined
  const reason = scrub(`SMTP: ${e instanceof Error ? e.message : String(e)}`, secrets)
  return code !== undefined && code >= 500
    ? { kind: 'rejected', reason }
    : { kind: 'retry', reason }
}

export const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

/** One e-mail per transition (HTML and text), threaded under the first one by In-Reply-To / References. */
async function sendEmail(
  ctx: SendContext,
  route: Extract<IncidentRoute, { type: 'email' }>,
): Promise<SendOutcome> {
  const transport = mailTransport(ctx.secrets[route.smtp_url_env] ?? '', ctx.timeoutMs)
  const inc = ctx.incident
  const first = ctx.ref?.id
  const messageId = `<meshwatch-incident-${inc.id}-${ctx.deliveryId}-${ctx.transition.id}@meshwatch>`
  const title = headline(ctx)
  const lines = [
    title,
    '',
    transitionLine(ctx.transition),
    `Detected: ${inc.detectedAt}; started upstream: ${inc.startedAt}`,
    ...(inc.rootCause ? [`Root cause: ${inc.rootCause.summary}`] : []),
    ...(ctx.audience === 'owner' && inc.blastRadius.length > 0
      ? [
          `Affects: ${inc.blastRadius.map((p) => `${p.productId} (${p.owner ?? p.domain})`).join(', ')}`,
        ]
      : []),
    '',
    incidentUrl(ctx.publicUrl, inc.id),
  ]
  const esc = escapeHtml
  try {
    await transport.sendMail({
      from: route.from,
      to: route.to,
      subject: `[meshwatch] ${title}`,
      messageId,
      ...(first ? { inReplyTo: first, references: [first] } : {}),
      text: lines.join('\n'),
      html: `<h2>${esc(title)}</h2>${lines
        .slice(2, -1)
        .filter(Boolean)
        .map((l) => `<p>${esc(l)}</p>`)
        .join(
          '',
        )}<p><a href="${esc(incidentUrl(ctx.publicUrl, inc.id))}">Open in meshwatch</a></p>`,
    })
    return { kind: 'delivered', ...(first ? {} : { ref: { id: messageId } }) }
  } catch (e) {
    return smtpFailure(e, Object.values(ctx.secrets))
  }
}

/** Sends one transition on a route other than Slack's (which edits its message: dispatch.ts). */
export async function sendTransition(
  route: Exclude<IncidentRoute, { type: 'slack' }>,
  ctx: SendContext,
  urls: { pagerduty: string },
): Promise<SendOutcome> {
  switch (route.type) {
    case 'teams':
      return postJson(ctx, ctx.secrets[route.url_env] ?? '', JSON.stringify(buildTeamsMessage(ctx)))
    case 'pagerduty': {
      const key = ctx.secrets[route.routing_key_env] ?? ''
      return postJson(ctx, urls.pagerduty, JSON.stringify(buildPagerDutyEvent(ctx, key)))
    }
    case 'webhook': {
      const body = JSON.stringify(buildWebhookBody(ctx))
      return postJson(ctx, ctx.secrets[route.url_env] ?? '', body, {
        'x-meshwatch-signature': signBody(ctx.secrets[route.secret_env] ?? '', body),
        'x-meshwatch-event': ctx.transition.kind,
        'x-meshwatch-delivery': `${ctx.deliveryId}-${ctx.transition.id}`,
      })
    }
    case 'email':
      return sendEmail(ctx, route)
  }
}
