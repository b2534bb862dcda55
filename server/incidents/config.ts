import { z } from 'zod'
import type { IncidentChannel } from '../../common/incident-vocab.ts'

const EnvName = z
  .string()
  .regex(/^[A-Z][A-Z0-9_]*$/, 'expected an environment variable name like SLACK_BOT_TOKEN')

const RouteCommon = {
  /** Only incidents at least this severe (default: warn and breach). */
  severity: z.enum(['warn', 'breach']).optional(),
  /** Only these products (ids) of the domain. */
  products: z.array(z.string().min(1)).optional(),
  /** false: this route hears only about its own domain's incidents, not the upstream ones that affect it. */
  consumer_notifications: z.boolean().optional(),
}

/** Slack app mode: a bot token (by variable name) and a channel; the message is posted once and edited in place. */
export const SlackAppRouteSchema = z.strictObject({
  type: z.literal('slack'),
  token_env: EnvName,
  channel: z.string().min(1),
  ...RouteCommon,
})

export const IncidentRouteSchema = z.discriminatedUnion('type', [SlackAppRouteSchema])
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
  return `slack:${r.token_env}:${r.channel}`
}

export const channelOf = (r: IncidentRoute): IncidentChannel => r.type
