import type { Db } from '../../../db/client.ts'
import { inTransaction } from '../../../db/queries/incidents.ts'
import { createToken, type TokenScope } from '../../../db/queries/tokens.ts'
import { writeAlerts } from '../../../server/alerts/outbox.ts'
import { MeshwatchConfigSchema } from '../../../server/config-file.ts'
import { writeIncidents } from '../../../server/incidents/write.ts'
import type { KnownStatus } from '../../../server/quality/facts.ts'
import { runOnDb } from '../../../server/store-program.ts'
import { CONFIG } from '../alerts/helpers.ts'

export const HOUR = 3_600_000

/**
 * Stores a product's evaluation the way evaluate.ts does (alert episodes, then incidents, in one
 * transaction), for the steps of a lifecycle the demo's two days do not take (a recovery, a relapse).
 */
export function evaluateAs(
  db: Db,
  productId: string,
  status: KnownStatus,
  at: Date,
  opts: { reopenMs?: number; reminderMs?: number } = {},
) {
  const score = status === 'ok' ? 100 : status === 'warn' ? 70 : 20
  const e = {
    productId,
    evaluatedAt: at.toISOString(),
    status,
    score,
    dimensions: [],
    rootCause: null,
  }
  return inTransaction(db, () => ({
    alerts: runOnDb(db, writeAlerts([e], { reminderMs: opts.reminderMs ?? 4 * HOUR })),
    incidents: runOnDb(db, writeIncidents([e], { reopenMs: opts.reopenMs ?? HOUR })),
  }))
}

/** A token of one domain (or an admin/unscoped one), as `meshwatch token create` makes it. */
export const tokenFor = (db: Db, scope: TokenScope, domain?: string) =>
  createToken(db, {
    name: `${domain ?? 'any'}-${scope}`,
    scope,
    domain,
    now: new Date('2026-01-01T00:00:00Z').toISOString(),
  }).token

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The demo's meshwatch.yml with these incident routes for these domains (validated as a file would be). */
export const withIncidentRoutes = (domains: Record<string, unknown[]>) =>
  MeshwatchConfigSchema.parse({
    ...CONFIG,
    domains: {
      ...CONFIG.domains,
      ...Object.fromEntries(
        Object.entries(domains).map(([name, routes]) => [
          name,
          { ...CONFIG.domains?.[name], incidents: { routes } },
        ]),
      ),
    },
  })
