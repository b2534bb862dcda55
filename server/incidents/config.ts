import { z } from 'zod'
import type { IncidentChannel } from '../../common/incident-vocab.ts'

const EnvName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an environment variable name like SLACK_BOT_TOKEN')

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM')
const Zone = z.string().refine(validZone, 'expected an IANA time zone like Europe/Berlin')

/** The warn incidents of a route go out once a day at `at` (local time of `tz`), in one message. */
export const DigestSchema = z.strictObject({ at: HHMM, tz: Zone })

const RouteCommon = {
  /** Only incidents at least this severe (default: warn and breach). */
  severity: z.enum(['warn', 'breach']).optional(),
  /** Only these products (ids) of the domain, and (with `tags`) the products carrying one of the tags. */
  products: z.array(z.string().min(1)).optional(),
  /** Only products carrying one of these tags (meshwatch.yml product tags, dbt tags, contract tags), or listed in `products`. */
  tags: z.array(z.string().min(1)).min(1).optional(),
  /** false: this route hears only about its own domain's incidents, not the upstream ones that affect it. */
  consumer_notifications: z.boolean().optional(),
  /** Nothing is sent between start and end (local time of `tz`); what is due waits for the end. */
  quiet_hours: z.strictObject({ start: HHMM, end: HHMM, tz: Zone }).optional(),
  /**
   * The incidents that stay warnings are not sent one transition at a time but collected, and
   * sent once a day at `at` as one message per route; breaches are sent at once as ever.
   */
  digest: DigestSchema.optional(),
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** Slack app mode: a bot token (by variable name) and a channel; the message is posted once and edited in place. */
export const SlackAppRouteSchema = z.strictObject({
  type: z.literal('slack'),
  token_env: EnvName,
  channel: z.string().min(1),
  ...RouteCommon,
})

/** Microsoft Teams: a Workflows "when a webhook request is received" URL (it holds a signature: a secret). */
export const TeamsRouteSchema = z.strictObject({
  type: z.literal('teams'),
  url_env: EnvName,
  ...RouteCommon,
})

/** PagerDuty Events API v2: an integration's routing key, by variable name. */
export const PagerDutyRouteSchema = z.strictObject({
  type: z.literal('pagerduty'),
  routing_key_env: EnvName,
  ...RouteCommon,
  digest: z
    .never({
      error:
        'PagerDuty pages about one incident at a time and has no digest: remove digest, or send the digest to a slack, teams, webhook or email route',
    })
    .optional(),
})

/** Any HTTP endpoint: the incident as JSON, signed with a per-route secret (X-Meshwatch-Signature). */
export const WebhookRouteSchema = z.strictObject({
  type: z.literal('webhook'),
  url_env: EnvName,
  secret_env: EnvName,
  ...RouteCommon,
})

/** E-mail over SMTP: smtp(s)://user:password@host:port from a variable, and the addresses. */
export const EmailRouteSchema = z.strictObject({
  type: z.literal('email'),
  smtp_url_env: EnvName,
  from: z.string().min(3),
  to: z.array(z.string().min(3)).min(1),
  ...RouteCommon,
})

export const IncidentRouteSchema = z.discriminatedUnion('type', [
  SlackAppRouteSchema,
  TeamsRouteSchema,
  PagerDutyRouteSchema,
  WebhookRouteSchema,
  EmailRouteSchema,
])
export type IncidentRoute = z.infer<typeof IncidentRouteSchema>

/** `incidents:` of a domain in meshwatch.yml. */
export const DomainIncidentsSchema = z.strictObject({
  routes: z.array(IncidentRouteSchema).optional(),
})

/** The top-level `incidents:` of meshwatch.yml. */
export const IncidentsConfigSchema = z.strictObject({
  /** One resolved less than this long ago reopens when the product breaks again (default 60). */
  reopen_minutes: z.number().int().min(0).optional(),
  /** Slack's signing secret (by variable name), checked on every button click. */
  slack_signing_secret_env: EnvName.optional(),
  /** The default routes: for a domain that has none of its own. */
  routes: z.array(IncidentRouteSchema).optional(),
})

/** What names a route, for the delivery's key and the API: the channel type, variable names and channel, never a secret. */
export function routeKeyOf(r: IncidentRoute): string {
  switch (r.type) {
    case 'slack':
      return `slack:${r.token_env}:${r.channel}`
    case 'teams':
      return `teams:${r.url_env}`
    case 'pagerduty':
      return `pagerduty:${r.routing_key_env}`
    case 'webhook':
      return `webhook:${r.url_env}`
    case 'email':
      return `email:${r.smtp_url_env}:${r.to.join(',')}`
  }
}

/** The variables holding a route's secrets (every one must be set to deliver). */
export function secretEnvsOf(r: IncidentRoute): string[] {
  switch (r.type) {
    case 'slack':
      return [r.token_env]
    case 'teams':
      return [r.url_env]
    case 'pagerduty':
      return [r.routing_key_env]
    case 'webhook':
      return [r.url_env, r.secret_env]
    case 'email':
      return [r.smtp_url_env]
  }
}

export const channelOf = (r: IncidentRoute): IncidentChannel => r.type

/** What a Retry-After holds back: Slack rate-limits a bot token across its channels; other channels per route. */
export const holdKeyOf = (r: IncidentRoute): string =>
  r.type === 'slack' ? `slack:${r.token_env}` : routeKeyOf(r)

/**
 * Every route meshwatch.yml names, by key (a delivery keeps its key; its route is looked up when it
 * is sent). Routes sharing a key agree on how they deliver (route-checks.ts), so any one will do.
 */
export function routesByKey(cfg: {
  incidents?: { routes?: IncidentRoute[] | undefined } | undefined
  domains?: Record<string, { incidents?: { routes?: IncidentRoute[] | undefined } | undefined }>
}): Map<string, IncidentRoute> {
  const all = [
    ...(cfg.incidents?.routes ?? []),
    ...Object.values(cfg.domains ?? {}).flatMap((d) => d.incidents?.routes ?? []),
  ]
  return new Map(all.map((r) => [routeKeyOf(r), r]))
}

/** A route's secrets from the environment, by variable name, or the first variable that is not set. */
export function secretsOf(
  r: IncidentRoute,
  env: Record<string, string | undefined>,
): { secrets: Record<string, string> } | { missing: string } {
  const secrets: Record<string, string> = {}
  for (const name of secretEnvsOf(r)) {
    const v = Object.hasOwn(env, name) ? env[name] : undefined
    if (!v) return { missing: name }
    secrets[name] = v
  }
  return { secrets }
}
