import type { IncidentRow, IncidentTransitionRow } from '../../db/schema.ts'
import {
  context,
  escapeMrkdwn as esc,
  header,
  section,
  SlackApiMessageSchema,
  type Block,
} from '../alerts/block-kit.ts'
import type { FetchLike } from '../alerts/deliver.ts'
import { DIGEST_ITEMS } from '../alerts/message.ts'
import { formatIssues } from '../../common/format.ts'
import {
  escapeHtml,
  mailTransport,
  postJson,
  signBody,
  smtpFailure,
  teamsMessage,
  type SendOutcome,
} from './channels.ts'
import type { IncidentRoute } from './config.ts'
import { consumerLine, incidentTitle, incidentUrl, transitionLine } from './message.ts'
import { callSlack } from './slack-app.ts'
import { summarizeIncident } from './view.ts'

/** One incident in a digest: its state now, whom the line addresses, what happened since the last digest. */
export interface DigestEntry {
  incident: IncidentRow
  audience: string
  transitions: IncidentTransitionRow[]
}

export interface DigestContext {
  routeKey: string
  /** Unique per digest message (its items' first and last id): the webhook's X-Meshwatch-Delivery. */
  deliveryTag: string
  publicUrl: string
  now: Date
  timeoutMs: number
  fetch: FetchLike
  secrets: Record<string, string>
  slackApiUrl: string
}

/** A route that can take a digest (meshwatch.yml refuses one on PagerDuty). */
export type DigestRoute = Exclude<IncidentRoute, { type: 'pagerduty' }>

const lineOf = (e: DigestEntry, now: Date) =>
  e.audience === 'owner' ? incidentTitle(e.incident, now) : consumerLine(e.incident, e.audience)

export const digestTitle = (entries: readonly DigestEntry[]) =>
  `meshwatch digest: ${entries.length} incident${entries.length === 1 ? '' : 's'} (warnings)`

/** The Slack digest: a header, one section per incident (up to 20, the rest counted), within Block Kit's limits. */
export function buildSlackDigest(entries: readonly DigestEntry[], ctx: DigestContext) {
  const blocks: Block[] = [header(digestTitle(entries))]
  for (const e of entries.slice(0, DIGEST_ITEMS)) {
    const url = incidentUrl(ctx.publicUrl, e.incident.id)
    const lines = e.transitions.map((t) => `• ${esc(transitionLine(t))}`)
    blocks.push(section(`*<${url}|${esc(lineOf(e, ctx.now))}>*\n${lines.join('\n')}`))
  }
  const more = entries.length - DIGEST_ITEMS
  if (more > 0) blocks.push(context([`… and ${more} more incident${more === 1 ? '' : 's'}`]))
  return { text: digestTitle(entries), blocks }
}

/** The Teams digest: one Adaptive Card (1.5) listing the incidents, each with its transitions. */
export function buildTeamsDigest(entries: readonly DigestEntry[], ctx: DigestContext) {
  const more = entries.length - DIGEST_ITEMS
  return teamsMessage([
    {
      type: 'TextBlock',
      text: digestTitle(entries),
      weight: 'Bolder',
      size: 'Medium',
      wrap: true,
    },
    ...entries.slice(0, DIGEST_ITEMS).flatMap((e) => [
      {
        type: 'TextBlock',
        text: `[${lineOf(e, ctx.now)}](${incidentUrl(ctx.publicUrl, e.incident.id)})`,
        weight: 'Bolder',
        wrap: true,
        separator: true,
      },
      ...e.transitions.map((t) => ({
        type: 'TextBlock',
        text: transitionLine(t),
        isSubtle: true,
        wrap: true,
      })),
    ]),
    ...(more > 0 ? [{ type: 'TextBlock', text: `… and ${more} more incidents`, wrap: true }] : []),
  ])
}

/** The webhook digest: every incident as the API shows it, with its transitions since the last digest. */
export const buildWebhookDigest = (entries: readonly DigestEntry[], ctx: DigestContext) => ({
  event: 'digest',
  route: ctx.routeKey,
  incidents: entries.map((e) => ({
    audience: e.audience,
    incident: summarizeIncident(e.incident, ctx.now),
    transitions: e.transitions.map((t) => ({
      id: t.id,
      kind: t.kind,
      at: t.at,
      actor: t.actor,
      note: t.note,
      changes: t.changes,
    })),
    url: incidentUrl(ctx.publicUrl, e.incident.id),
  })),
})

async function sendDigestEmail(
  route: Extract<IncidentRoute, { type: 'email' }>,
  entries: readonly DigestEntry[],
  ctx: DigestContext,
): Promise<SendOutcome> {
  const transport = mailTransport(ctx.secrets[route.smtp_url_env] ?? '', ctx.timeoutMs)
  const parts = entries.map((e) => ({
    title: lineOf(e, ctx.now),
    lines: e.transitions.map(transitionLine),
    url: incidentUrl(ctx.publicUrl, e.incident.id),
  }))
  try {
    await transport.sendMail({
      from: route.from,
      to: route.to,
      subject: `[${digestTitle(entries)}]`,
      messageId: `<meshwatch-digest-${ctx.deliveryTag}@meshwatch>`,
      text: parts
        .map((p) => [p.title, ...p.lines.map((l) => `  - ${l}`), `  ${p.url}`].join('\n'))
        .join('\n\n'),
      html: `<h2>${escapeHtml(digestTitle(entries))}</h2>${parts
        .map(
          (p) =>
            `<h3><a href="${escapeHtml(p.url)}">${escapeHtml(p.title)}</a></h3><ul>${p.lines
              .map((l) => `<li>${escapeHtml(l)}</li>`)
              .join('')}</ul>`,
        )
        .join('')}`,
    })
    return { kind: 'delivered' }
  } catch (e) {
    return smtpFailure(e, Object.values(ctx.secrets))
  }
}

/** Sends one digest message on its route; never throws, no reason holds a secret. */
export async function sendDigest(
  route: DigestRoute,
  entries: readonly DigestEntry[],
  ctx: DigestContext,
): Promise<SendOutcome> {
  switch (route.type) {
    case 'slack': {
      const m = SlackApiMessageSchema.safeParse({
        ...buildSlackDigest(entries, ctx),
        channel: route.channel,
      })
      if (!m.success)
        return {
          kind: 'rejected',
          reason: `message outside Slack's Block Kit limits: ${formatIssues(m.error.issues, 1)}`,
        }
      const token = ctx.secrets[route.token_env] ?? ''
      const o = await callSlack(
        ctx.fetch,
        { apiUrl: ctx.slackApiUrl, token, timeoutMs: ctx.timeoutMs, now: ctx.now },
        'chat.postMessage',
        m.data,
      )
      return o.kind === 'delivered' ? { kind: 'delivered' } : o
    }
    case 'teams':
      return postJson(
        ctx,
        ctx.secrets[route.url_env] ?? '',
        JSON.stringify(buildTeamsDigest(entries, ctx)),
      )
    case 'webhook': {
      const body = JSON.stringify(buildWebhookDigest(entries, ctx))
      return postJson(ctx, ctx.secrets[route.url_env] ?? '', body, {
        'x-meshwatch-signature': signBody(ctx.secrets[route.secret_env] ?? '', body),
        'x-meshwatch-event': 'digest',
        'x-meshwatch-delivery': `digest-${ctx.deliveryTag}`,
      })
    }
    case 'email':
      return sendDigestEmail(route, entries, ctx)
  }
}
