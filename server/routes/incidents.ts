import { Hono, type Context } from 'hono'
import { z } from 'zod'
import { INCIDENT_STATUSES } from '../../common/incident-vocab.ts'
import type { Principal } from '../auth.ts'
import { readJsonBody } from '../body.ts'
import { EMPTY_CONFIG } from '../config-file.ts'
import { nowOf, wallNowOf, type Deps } from '../deps.ts'
import { describeIssues, errorBody, fail } from '../errors.ts'
import {
  actOnIncident,
  DEFAULT_MUTE_MS,
  type Actor,
  type IncidentAction,
} from '../incidents/actions.ts'
import {
  BlockActionsSchema,
  createReplayGuard,
  verifySlackSignature,
} from '../incidents/interactivity.ts'
import { ACTIONS } from '../incidents/message.ts'
import { incidentStats } from '../incidents/stats.ts'
import { summarizeIncident, viewIncident } from '../incidents/view.ts'
import { describe, jsonBody } from '../openapi.ts'
import { validate } from '../validate.ts'

const ListQuerySchema = z.object({
  domain: z.string().min(1).optional(),
  product: z.string().min(1).optional(),
  status: z.enum([...INCIDENT_STATUSES, 'muted']).optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})
const StatsQuerySchema = z.object({ days: z.coerce.number().int().min(1).max(366).default(30) })
const IdParamSchema = z.object({ id: z.coerce.number().int().min(1) })

const By = z.string().min(1).max(200).optional()
export const AckBodySchema = z.strictObject({ note: z.string().max(2000).optional(), by: By })
export const MuteBodySchema = z
  .strictObject({
    until: z.iso.datetime({ offset: true }).optional(),
    minutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 90)
      .optional(),
    note: z.string().max(2000).optional(),
    by: By,
  })
  .refine((b) => !(b.until && b.minutes), { message: 'give until or minutes, not both' })
export const ResolveBodySchema = z.strictObject({
  reason: z.string().trim().min(3, 'say why it is resolved (3 characters at least)').max(2000),
  by: By,
})

async function bodyOf<T extends z.ZodType>(c: Context, deps: Deps, schema: T): Promise<z.infer<T>> {
  // An empty body is an empty object: `ack` needs nothing.
  const raw =
    c.req.header('content-length') === '0' || !c.req.raw.body
      ? {}
      : await readJsonBody(c, deps.limits)
  const r = schema.safeParse(raw)
  if (!r.success) {
    const { path, message } = describeIssues(r.error)
    fail(400, 'invalid_request', `body ${message}`, path)
  }
  return r.data
}

async function actorOf(c: Context, deps: Deps, by: string | undefined): Promise<Actor> {
  const p: Principal | undefined = c.get('principal')
  const admin = !p || (p.scope === 'admin' && p.domain === null)
  const token = p?.tokenId != null ? await deps.store.incidents.tokenNameOf(p.tokenId) : undefined
  const who = by ?? token ?? (admin ? 'admin' : 'anonymous')
  return { admin, domain: p?.domain ?? null, name: by && token ? `${by} (token ${token})` : who }
}

const ACTION_RESPONSES = {
  200: 'the incident after the action (unchanged when it had been done already)',
  400: 'a body that is not the action’s shape',
  403: 'a token of another domain (a consumer domain may only acknowledge its own notification)',
  404: 'unknown incident',
  409: 'the incident is resolved',
} as const

/** Incidents: breach episodes with a lifecycle, their timeline, blast radius and deliveries, acted on by hand. */
export const incidentRoutes = (deps: Deps) => {
  const act = async (c: Context, id: number, action: IncidentAction, by: string | undefined) => {
    const now = nowOf(deps)
    const r = await actOnIncident(
      deps.store,
      id,
      action,
      await actorOf(c, deps, by),
      now.toISOString(),
    )
    return c.json({
      incident: summarizeIncident(r.incident, now),
      changed: r.changed,
      ...(r.consumer ? { acknowledgedFor: r.consumer } : {}),
    })
  }
  const fresh = createReplayGuard()
  return new Hono()
    .post(
      '/slack/actions',
      describe(
        'incidents',
        'Slack interactivity: the Acknowledge and Mute 24 h buttons of an incident message',
        {
          200: 'done (or it had been done already)',
          400: 'not a block_actions payload',
          401: 'no valid Slack signature: forged, older than 5 minutes, replayed, or no signing secret configured',
          403: 'a consumer domain’s channel may only acknowledge its own notification',
          404: 'a message meshwatch did not post',
          409: 'the incident is resolved',
        },
        { open: true },
      ),
      async (c) => {
        const cfg = deps.meshwatch ?? EMPTY_CONFIG
        const name = cfg.incidents?.slack_signing_secret_env
        const secret = name ? deps.env?.[name] : undefined
        if (Number(c.req.header('content-length') ?? '0') > 64 * 1024)
          fail(413, 'too_large', 'a Slack interaction payload is smaller than 64 KiB')
        const raw = await c.req.text()
        const wall = wallNowOf(deps)
        const check = secret
          ? verifySlackSignature(
              secret,
              {
                timestamp: c.req.header('x-slack-request-timestamp'),
                signature: c.req.header('x-slack-signature'),
              },
              raw,
              wall,
            )
          : {
              ok: false as const,
              reason: 'no Slack signing secret is configured (incidents.slack_signing_secret_env)',
            }
        if (!check.ok) return c.json(errorBody('unauthorized', check.reason), 401)
        if (!fresh(c.req.header('x-slack-signature') ?? '', wall))
          return c.json(
            errorBody('unauthorized', 'this signed request was seen already (replayed)'),
            401,
          )
        let payload: unknown
        try {
          payload = JSON.parse(new URLSearchParams(raw).get('payload') ?? '')
        } catch {
          fail(400, 'invalid_request', 'expected a form field payload holding JSON', '$.payload')
        }
        const p = BlockActionsSchema.safeParse(payload)
        if (!p.success) {
          const { path, message } = describeIssues(p.error)
          fail(400, 'invalid_request', `payload ${message}`, path)
        }
        const action = p.data.actions[0]
        if (!action || action.action_id === ACTIONS.open) return c.json({ ok: true })
        const id = Number(action.value)
        const where = p.data.container
        const delivery =
          Number.isInteger(id) && where
            ? await deps.store.incidentDeliveries.deliveryAt(id, {
                channel: where.channel_id,
                ts: where.message_ts,
              })
            : undefined
        const inc = delivery ? await deps.store.incidents.getIncident(id) : undefined
        if (!delivery || !inc)
          return c.json(
            errorBody('not_found', 'this message is not an incident meshwatch posted'),
            404,
          )
        const u = p.data.user
        const actor: Actor = {
          admin: false,
          domain: delivery.audience === 'owner' ? inc.domain : delivery.audience,
          name: `${u.username ?? u.name ?? u.id} (Slack)`,
        }
        const now = nowOf(deps)
        const r = await actOnIncident(
          deps.store,
          id,
          action.action_id === ACTIONS.mute
            ? { op: 'mute', until: new Date(now.getTime() + DEFAULT_MUTE_MS).toISOString() }
            : { op: 'ack' },
          actor,
          now.toISOString(),
        )
        return c.json({ ok: true, changed: r.changed })
      },
    )
    .get(
      '/',
      describe('incidents', 'incidents, newest first', {
        200: 'incidents: status, severity, detection and upstream start, blast radius',
      }),
      validate('query', ListQuerySchema),
      async (c) => {
        const q = c.req.valid('query')
        const now = nowOf(deps)
        const rows = await deps.store.incidents.listIncidents({
          domain: q.domain,
          productId: q.product,
          status: q.status,
          since: q.since,
          now: now.toISOString(),
          limit: q.limit,
        })
        return c.json({ incidents: rows.map((r) => summarizeIncident(r, now)) })
      },
    )
    .get(
      '/stats',
      describe(
        'incidents',
        'per domain over the last days: incidents, mean time to detect, acknowledge, resolve',
        {
          200: 'per domain: incidents, open, mttdMs, mttaMs, mttrMs (null when none to average)',
        },
      ),
      validate('query', StatsQuerySchema),
      async (c) => {
        const { days } = c.req.valid('query')
        const now = nowOf(deps)
        const from = new Date(now.getTime() - days * 86_400_000).toISOString()
        const rows = await deps.store.incidents.incidentsDetectedBetween(from, now.toISOString())
        return c.json({ days, from, to: now.toISOString(), domains: incidentStats(rows) })
      },
    )
    .get(
      '/:id',
      describe(
        'incidents',
        'one incident: timeline with the root cause at each step, consumers, deliveries per channel',
        {
          200: 'the incident, its timeline, its consumer domains and its deliveries',
          404: 'unknown incident',
        },
      ),
      validate('param', IdParamSchema),
      async (c) => {
        const { id } = c.req.valid('param')
        const v = await viewIncident(deps.store, deps.meshwatch ?? EMPTY_CONFIG, id, nowOf(deps))
        if (!v) return c.json(errorBody('not_found', `unknown incident ${id}`), 404)
        return c.json(v)
      },
    )
    .post(
      '/:id/ack',
      describe(
        'incidents',
        'acknowledge an incident (a consumer domain: its own notification)',
        ACTION_RESPONSES,
        {
          body: jsonBody(AckBodySchema, 'optional note and who (default: the token’s name)'),
        },
      ),
      validate('param', IdParamSchema),
      async (c) => {
        const b = await bodyOf(c, deps, AckBodySchema)
        return act(c, c.req.valid('param').id, { op: 'ack', note: b.note }, b.by)
      },
    )
    .post(
      '/:id/mute',
      describe(
        'incidents',
        'mute an incident until a time (default 24 h): no reminders meanwhile',
        ACTION_RESPONSES,
        {
          body: jsonBody(MuteBodySchema, 'until (ISO time) or minutes, optional note and who'),
        },
      ),
      validate('param', IdParamSchema),
      async (c) => {
        const b = await bodyOf(c, deps, MuteBodySchema)
        const now = nowOf(deps).getTime()
        const until = b.until
          ? new Date(b.until).toISOString()
          : new Date(now + (b.minutes ? b.minutes * 60_000 : DEFAULT_MUTE_MS)).toISOString()
        return act(c, c.req.valid('param').id, { op: 'mute', until, note: b.note }, b.by)
      },
    )
    .post(
      '/:id/resolve',
      describe('incidents', 'resolve an incident by hand, with a reason', ACTION_RESPONSES, {
        body: jsonBody(ResolveBodySchema, 'reason, and who'),
      }),
      validate('param', IdParamSchema),
      async (c) => {
        const b = await bodyOf(c, deps, ResolveBodySchema)
        return act(c, c.req.valid('param').id, { op: 'resolve', reason: b.reason }, b.by)
      },
    )
}
