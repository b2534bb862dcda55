import { formatDuration } from '../../common/format.ts'
import type { IncidentRow, IncidentTransitionRow } from '../../db/schema.ts'
import {
  clip,
  context,
  escapeMrkdwn as esc,
  fields,
  header,
  section,
  SLACK_LIMITS,
  type Block,
  type SlackMessage,
} from '../alerts/block-kit.ts'

/** Button action ids the interactivity endpoint answers (server/incidents/interactivity.ts). */
export const ACTIONS = {
  ack: 'incident_ack',
  mute: 'incident_mute',
  open: 'incident_open',
} as const

export interface IncidentMessageContext {
  publicUrl: string
  /** `owner`, or the consumer domain the message tells. */
  audience: string
  now: Date
}

const when = (iso: string | null) => (iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : '—')

export const incidentUrl = (publicUrl: string, id: number): string =>
  `${publicUrl.replace(/\/+$/, '')}/incidents/${id}`

const stateOf = (inc: IncidentRow, now: Date): string =>
  inc.status === 'resolved'
    ? 'Resolved'
    : inc.status === 'acknowledged'
      ? 'Acknowledged'
      : inc.mutedUntil && Date.parse(inc.mutedUntil) > now.getTime()
        ? 'Muted'
        : 'Open'

const ICON: Record<string, string> = {
  Resolved: ':white_check_mark:',
  Acknowledged: ':eyes:',
  Muted: ':zzz:',
  Open: ':red_circle:',
}

/** The one-line state of an incident, for notifications and for other channels' titles. */
export function incidentTitle(inc: IncidentRow, now: Date): string {
  const state = stateOf(inc, now)
  const what = inc.severity === 'breach' ? 'SLA breach' : 'SLA warning'
  return `${state}: ${what} of ${inc.title} (${inc.domain})`
}

/** What a consumer domain is told: which of its products read the breached one. */
export function consumerLine(inc: IncidentRow, audience: string): string {
  const mine = inc.blastRadius.filter((p) => p.domain === audience).map((p) => p.name)
  const reads =
    mine.length > 0 ? `, which your ${mine.join(', ')} ${mine.length > 1 ? 'read' : 'reads'},` : ''
  const owner = inc.rootCause?.culprit.domain ?? inc.domain
  return `${inc.productId}${reads} is in ${inc.severity} since ${when(inc.detectedAt)}, owner ${inc.domain}${owner !== inc.domain ? ` (blamed upstream: ${owner})` : ''}`
}

/**
 * The living Slack message of an incident: its state in the header, what is wrong and since when,
 * the root cause, the blast radius (for the owners) or what of theirs reads it (for a consumer),
 * and the buttons (Acknowledge, Mute 24 h while it is not resolved; Open in meshwatch always).
 */
export function buildIncidentMessage(inc: IncidentRow, ctx: IncidentMessageContext): SlackMessage {
  const state = stateOf(inc, ctx.now)
  const url = incidentUrl(ctx.publicUrl, inc.id)
  const owner = ctx.audience === 'owner'
  const blocks: Block[] = [header(`${ICON[state] ?? ''} ${incidentTitle(inc, ctx.now)}`.trim())]
  blocks.push(
    section(
      owner
        ? `*<${url}|${esc(inc.title)}>* of domain \`${esc(inc.domain)}\` is in *${inc.productStatus}*${inc.score !== null ? ` (score ${Math.round(inc.score)})` : ''} since ${when(inc.detectedAt)}.`
        : `*${esc(consumerLine(inc, ctx.audience))}*`,
    ),
  )
  const facts = [
    `*Detected*\n${when(inc.detectedAt)}`,
    `*Started upstream*\n${when(inc.startedAt)}`,
  ]
  if (inc.acknowledgedAt)
    facts.push(`*Acknowledged*\n${esc(inc.acknowledgedBy ?? '')} ${when(inc.acknowledgedAt)}`)
  if (state === 'Muted') facts.push(`*Muted until*\n${when(inc.mutedUntil)}`)
  if (inc.resolvedAt)
    facts.push(
      `*Resolved*\n${when(inc.resolvedAt)} (${inc.resolution === 'manual' ? `by ${esc(inc.resolvedBy ?? '')}: ${esc(inc.resolveReason ?? '')}` : 'recovered'}), after ${formatDuration(Date.parse(inc.resolvedAt) - Date.parse(inc.detectedAt))}`,
    )
  blocks.push(fields(facts))
  if (inc.rootCause) blocks.push(section(`*Root cause*: ${esc(inc.rootCause.summary)}`))
  if (owner && inc.blastRadius.length > 0)
    blocks.push(
      section(
        `*Affects ${inc.blastRadius.length} product${inc.blastRadius.length > 1 ? 's' : ''} of other domains*\n${inc.blastRadius
          .slice(0, 15)
          .map((p) => `• ${esc(p.productId)} (${esc(p.owner ?? p.domain)})`)
          .join(
            '\n',
          )}${inc.blastRadius.length > 15 ? `\n… and ${inc.blastRadius.length - 15} more` : ''}`,
      ),
    )
  const value = String(inc.id)
  blocks.push({
    type: 'actions',
    elements: [
      ...(inc.status === 'resolved'
        ? []
        : [
            {
              type: 'button' as const,
              text: { type: 'plain_text' as const, text: 'Acknowledge' },
              action_id: ACTIONS.ack,
              value,
              style: 'primary' as const,
            },
            ...(owner
              ? [
                  {
                    type: 'button' as const,
                    text: { type: 'plain_text' as const, text: 'Mute 24 h' },
                    action_id: ACTIONS.mute,
                    value,
                  },
                ]
              : []),
          ]),
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open in meshwatch' },
        action_id: ACTIONS.open,
        url,
      },
    ],
  })
  blocks.push(
    context([`meshwatch incident #${inc.id}${owner ? '' : ` · upstream of ${esc(ctx.audience)}`}`]),
  )
  // the notification fallback has a limit too: a consumer domain with many products reading the
  // breached one gets a long line
  const text = owner ? incidentTitle(inc, ctx.now) : consumerLine(inc, ctx.audience)
  return { text: clip(text, SLACK_LIMITS.fallbackText), blocks }
}

/** One transition as a line: what, when, who, why. */
export function transitionLine(t: IncidentTransitionRow): string {
  const who = t.actor ? ` by ${t.actor}${t.actorDomain ? ` (${t.actorDomain})` : ''}` : ''
  const what =
    t.kind === 'updated'
      ? `updated (${t.changes.join(', ')}): now ${t.productStatus}${t.score !== null ? `, score ${Math.round(t.score)}` : ''}`
      : t.kind === 'resolved' && !t.actor
        ? 'resolved: the product recovered'
        : t.kind
  return `${what}${who} at ${when(t.at)}${t.note ? `: ${t.note}` : ''}`
}

/** A transition as a reply in the incident's thread. */
export const buildTransitionReply = (t: IncidentTransitionRow): SlackMessage => ({
  text: clip(transitionLine(t), SLACK_LIMITS.fallbackText),
  blocks: [section(esc(transitionLine(t)))],
})
