import {
  clip,
  context,
  divider,
  escapeMrkdwn as esc,
  fields,
  header,
  section,
  SLACK_LIMITS,
  type Block,
  type SlackMessage,
} from './block-kit.ts'
import { formatDuration } from '../../common/format.ts'
import type { AlertChainNode, AlertFacts, AlertKind, AlertSeverity } from './facts.ts'

/** An outbox row as the message builder reads it. */
export interface OutboxAlert {
  id: number
  kind: AlertKind
  severity: AlertSeverity
  facts: AlertFacts
}

export interface MessageContext {
  /** Where the web view is: products link to `<publicUrl>/products/<id>`. */
  publicUrl: string
  /** The route's channel and who to mention there. */
  route: { channel?: string | undefined; mention?: string | undefined }
  /** The owner and Slack mention of a domain (meshwatch.yml), for the node a root cause blames. */
  contactOf: (domain: string) => { owner?: string | undefined; mention?: string | undefined }
}

/** Alerts listed one by one in a digest; the rest are counted. Keeps a digest well under 50 blocks. */
export const DIGEST_ITEMS = 20

const ICON = {
  breach: ':red_circle:',
  warn: ':large_orange_circle:',
  ok: ':white_check_mark:',
  unknown: ':grey_question:',
} as const
const iconOf = (a: OutboxAlert): string =>
  a.kind === 'recovered' ? ICON.ok : a.kind === 'reminder' ? ':alarm_clock:' : ICON[a.facts.status]

const HEADLINE: Record<AlertKind, (f: AlertFacts) => string> = {
  opened: (f) => (f.status === 'breach' ? 'SLA breach' : 'SLA warning'),
  worsened: () => 'Now in breach',
  reminder: () => 'Still in breach',
  recovered: () => 'Recovered',
}

export const productUrl = (publicUrl: string, id: string): string =>
  `${publicUrl.replace(/\/+$/, '')}/products/${encodeURIComponent(id)}`

/** '@here'/'@channel' become Slack's special mentions; `<!subteam^…>` / `<@U…>` pass through; anything else is shown as written. */
export function formatMention(m: string | undefined): string {
  if (!m) return ''
  if (/^<[!@#][^>]*>$/.test(m)) return m
  const special = /^@(here|channel|everyone)$/.exec(m)
  return special ? `<!${special[1]}>` : esc(m)
}

/** A time Slack shows in each reader's timezone, with a UTC fallback: https://api.slack.com/reference/surfaces/formatting#date-formatting */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso)
  if (Number.isNaN(ms)) return esc(iso)
  const fallback = `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${fallback}>`
}

const score = (n: number): string => `${Math.round(n)}/100`
const link = (ctx: MessageContext, f: AlertFacts): string =>
  `<${productUrl(ctx.publicUrl, f.productId)}|${esc(f.productId)}>`

function statusLine(f: AlertFacts, kind: AlertKind): string {
  if (kind === 'recovered')
    return `back to *ok* · score *${score(f.score)}* · the ${f.previous === 'warn' ? 'warning' : 'breach'} lasted *${formatDuration(f.durationMs ?? 0)}* (since ${slackDate(f.since)})`
  const was = kind === 'worsened' && f.previous ? ` (was ${f.previous})` : ''
  const how = kind === 'reminder' ? ` · for *${formatDuration(f.durationMs ?? 0)}*` : ''
  return `*${f.status}*${was} · score *${score(f.score)}* · since ${slackDate(f.since)}${how}`
}

function chainText(chain: AlertChainNode[]): string {
  // The chain runs from the product's output up to the culprit: show it in the direction data flows.
  return [...chain]
    .reverse()
    .map(
      (n, i) =>
        `${i === 0 ? '*' : ''}\`${esc(n.name)}\`${i === 0 ? '*' : ''} (${esc(n.domain ?? 'no domain')})`,
    )
    .join(' → ')
}

function blamed(ctx: MessageContext, f: AlertFacts): string {
  const c = f.rootCause?.culprit
  if (!c) return ''
  const domain = c.domain ?? undefined
  const contact = domain ? ctx.contactOf(domain) : {}
  const owner = contact.owner ? `, owner ${esc(contact.owner)}` : ''
  const mention = formatMention(contact.mention)
  return `*Blamed:* \`${esc(c.name)}\` — ${domain ? `*${esc(domain)}* domain` : 'no domain'}${owner}${mention ? ` ${mention}` : ''}${runText(c.run)}`
}

const RUN_TAGS_SHOWN = 10

/** The blamed run: its id and its tags (TagsRunFacet), the first few. */
function runText(run: AlertChainNode['run']): string {
  if (!run) return ''
  const shown = run.tags.slice(0, RUN_TAGS_SHOWN).map((t) => `\`${esc(t)}\``)
  const more = run.tags.length > RUN_TAGS_SHOWN ? ` +${run.tags.length - RUN_TAGS_SHOWN} more` : ''
  return `\nrun \`${esc(run.runId)}\`${shown.length > 0 ? ` · run tags ${shown.join(', ')}${more}` : ''}`
}

function rootCauseText(ctx: MessageContext, f: AlertFacts): string | undefined {
  const rc = f.rootCause
  if (!rc) return undefined
  const suspected = rc.confidence === 'suspected' ? ' _(suspected: linked by domain only)_' : ''
  return [`*Root cause*${suspected}: ${esc(rc.summary)}`, chainText(rc.chain), blamed(ctx, f)]
    .filter((s) => s !== '')
    .join('\n')
}

const dimensionLines = (f: AlertFacts): string[] =>
  f.dimensions.map(
    (d) =>
      `*${d.dimension}* · ${d.status} · ${d.score === null ? 'no score' : score(d.score)}\n${esc(d.reason)}`,
  )

function single(a: OutboxAlert, ctx: MessageContext): Block[] {
  const f = a.facts
  const mention = formatMention(ctx.route.mention)
  const blocks: Block[] = [
    header(`${iconOf(a)} ${HEADLINE[a.kind](f)}: ${f.productName}`),
    section(
      `${mention ? `${mention} ` : ''}*${link(ctx, f)}* in domain *${esc(f.domain)}*${f.owner ? ` (owner ${esc(f.owner)})` : ''}\n${statusLine(f, a.kind)}`,
    ),
  ]
  if (a.kind !== 'recovered' && f.dimensions.length > 0) blocks.push(fields(dimensionLines(f)))
  const rc = a.kind === 'recovered' ? undefined : rootCauseText(ctx, f)
  if (rc) blocks.push(section(rc))
  blocks.push(
    context([
      `<${productUrl(ctx.publicUrl, f.productId)}|Open in meshwatch>`,
      `alert #${a.id} · ${a.kind} · evaluated ${slackDate(f.evaluatedAt)}`,
    ]),
  )
  return blocks
}

function digestItem(a: OutboxAlert, ctx: MessageContext): string {
  const f = a.facts
  const lines = [
    `${iconOf(a)} *${link(ctx, f)}* ${a.kind === 'opened' ? '' : `_${a.kind}_ · `}${statusLine(f, a.kind)}`,
  ]
  if (a.kind !== 'recovered') {
    for (const d of f.dimensions) lines.push(`• *${d.dimension}* (${d.status}): ${esc(d.reason)}`)
    if (f.rootCause) lines.push(`_Root cause:_ ${esc(f.rootCause.summary)}`, blamed(ctx, f))
  }
  return lines.filter((l) => l !== '').join('\n')
}

function digest(alerts: OutboxAlert[], ctx: MessageContext): Block[] {
  const open = alerts.filter((a) => a.kind !== 'recovered')
  const domains = [...new Set(alerts.map((a) => a.facts.domain))].join(', ')
  const worst = open.some((a) => a.facts.status === 'breach')
    ? ICON.breach
    : open.length > 0
      ? ICON.warn
      : ICON.ok
  const title =
    open.length > 0
      ? `${alerts.length} data product alerts`
      : `${alerts.length} data products recovered`
  const mention = formatMention(ctx.route.mention)
  const counts = countBy(
    alerts.map((a) =>
      a.kind === 'recovered'
        ? 'recovered'
        : a.facts.status === 'breach'
          ? 'in breach'
          : 'with a warning',
    ),
  )
  const blocks: Block[] = [
    header(`${worst} ${domains}: ${title}`),
    section(
      `${mention ? `${mention} ` : ''}${Object.entries(counts)
        .map(([k, n]) => `*${n}* ${k}`)
        .join(', ')}`,
    ),
  ]
  for (const a of alerts.slice(0, DIGEST_ITEMS)) blocks.push(divider(), section(digestItem(a, ctx)))
  const more = alerts.length - DIGEST_ITEMS
  const tail = [
    `alerts ${alerts
      .map((a) => `#${a.id}`)
      .slice(0, 30)
      .join(', ')}${alerts.length > 30 ? ', …' : ''}`,
  ]
  if (more > 0)
    tail.unshift(`…and ${more} more: <${ctx.publicUrl.replace(/\/+$/, '')}/|open meshwatch>`)
  blocks.push(context(tail))
  return blocks
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {}
  for (const i of items) out[i] = (out[i] ?? 0) + 1
  return out
}

function fallbackText(alerts: OutboxAlert[]): string {
  const [first] = alerts
  if (alerts.length === 1 && first) {
    const f = first.facts
    const what =
      first.kind === 'recovered'
        ? `recovered after ${formatDuration(f.durationMs ?? 0)}`
        : `${HEADLINE[first.kind](f)} (score ${score(f.score)})`
    const why =
      first.kind === 'recovered'
        ? ''
        : f.dimensions.map((d) => `${d.dimension}: ${d.reason}`).join('; ')
    return clip(
      `${iconOf(first)} ${f.productId}: ${what}${why ? ` — ${why}` : ''}`,
      SLACK_LIMITS.fallbackText,
    )
  }
  const domains = [...new Set(alerts.map((a) => a.facts.domain))].join(', ')
  return clip(
    `${domains}: ${alerts.length} data product alerts: ${alerts.map((a) => `${a.facts.productId} ${a.kind === 'recovered' ? 'recovered' : a.facts.status}`).join(', ')}`,
    SLACK_LIMITS.fallbackText,
  )
}

/**
 * One Slack message for the alerts due on one route: a detailed message for one alert, a digest
 * for several. Pure; within Slack's Block Kit limits whatever the input size (block-kit.ts).
 */
export function buildAlertMessage(alerts: OutboxAlert[], ctx: MessageContext): SlackMessage {
  const [first] = alerts
  if (!first) throw new Error('buildAlertMessage needs at least one alert')
  const blocks = alerts.length === 1 ? single(first, ctx) : digest(alerts, ctx)
  return {
    text: fallbackText(alerts),
    ...(ctx.route.channel ? { channel: ctx.route.channel } : {}),
    blocks: blocks.slice(0, SLACK_LIMITS.blocks),
  }
}

/** What `meshwatch alerts test` sends. */
export function buildTestMessage(opts: {
  domain: string
  severity: AlertSeverity
  webhookEnv: string
  channel?: string | undefined
  mention?: string | undefined
  publicUrl: string
  now: Date
}): SlackMessage {
  const where = opts.channel ? ` (channel ${esc(opts.channel)})` : ''
  const mention = formatMention(opts.mention)
  return {
    text: `meshwatch test message for domain ${opts.domain} (${opts.severity} alerts)`,
    ...(opts.channel ? { channel: opts.channel } : {}),
    blocks: [
      header(':wave: meshwatch test message'),
      section(
        `${mention ? `${mention} ` : ''}This is the route for *${esc(opts.severity)}* alerts of domain *${esc(opts.domain)}*: webhook from \`$${esc(opts.webhookEnv)}\`${where}. SLA alerts for its data products will arrive here.`,
      ),
      context([
        `sent ${slackDate(opts.now.toISOString())}`,
        `<${opts.publicUrl.replace(/\/+$/, '')}/|Open meshwatch>`,
      ]),
    ],
  }
}
