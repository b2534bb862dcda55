import { Hono } from 'hono'
import { z } from 'zod'
import type { AlertRow } from '../../db/queries/alerts.ts'
import { ALERT_STATUSES, type AlertFacts } from '../alerts/facts.ts'
import { EMPTY_CONFIG, resolveSlackRoute, type MeshwatchConfig } from '../config-file.ts'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'
import { validate } from '../validate.ts'

const AlertsQuerySchema = z.object({
  status: z.enum(ALERT_STATUSES).optional(),
  domain: z.string().min(1).optional(),
  productId: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
})

/** An alert as the API and `meshwatch alerts list` show it: the route by env var name, never the webhook URL. */
export function describeAlert(cfg: MeshwatchConfig, row: AlertRow) {
  const route = resolveSlackRoute(cfg, row.domain, row.severity)
  const facts: Partial<AlertFacts> = row.payload
  return {
    id: row.id,
    dedupeKey: row.dedupeKey,
    productId: row.productId,
    domain: row.domain,
    kind: row.kind,
    severity: row.severity,
    status: row.status,
    attempts: row.attempts,
    createdAt: row.createdAt,
    nextAttemptAt: row.nextAttemptAt,
    lastAttemptAt: row.lastAttemptAt,
    deliveredAt: row.deliveredAt,
    lastError: row.lastError,
    route: route ? { webhookEnv: route.webhookEnv, channel: route.channel ?? null } : null,
    productStatus: facts.status ?? null,
    score: facts.score ?? null,
    since: facts.since ?? null,
    dimensions: facts.dimensions ?? [],
    rootCause: facts.rootCause?.summary ?? null,
  }
}

/** The Slack alert outbox: what was (or will be) sent where, and why one failed. */
export const alertRoutes = (deps: Deps) =>
  new Hono().get(
    '/',
    describe('alerts', 'the Slack alert outbox', {
      200: 'counts by status, and the alerts: kind, status, attempts, last error, route by variable name (never the URL)',
    }),
    validate('query', AlertsQuerySchema),
    async (c) => {
      const q = c.req.valid('query')
      const cfg = deps.meshwatch ?? EMPTY_CONFIG
      const rows = await deps.store.alerts.listAlerts(q)
      return c.json({
        counts: await deps.store.alerts.alertCounts(),
        alerts: rows.map((r) => describeAlert(cfg, r)),
      })
    },
  )
