import type { Db } from '../../db/client.ts'
import { digestedThrough } from '../../db/queries/incident-digests.ts'
import {
  addDeliveries,
  incidentsToFanOut,
  transitionsAfter,
} from '../../db/queries/incident-deliveries.ts'
import { consumersOf } from '../../db/queries/incidents.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { channelOf } from './config.ts'
import { nextLocalTime } from './quiet-hours.ts'
import { routesOf } from './routing.ts'
import { productTagsOf } from './tags.ts'

/**
 * Works out the routes of every incident with transitions not yet routed (owners' and consumer
 * domains'): a living message (incident_deliveries) per route, or, on a digest route while the
 * incident is a warning, its transitions as digest items — in one transaction with the incident's
 * fan-out cursor, so each stored transition is routed once, by the routes meshwatch.yml gives when
 * the dispatcher first sees it (the transitions themselves are stored in the evaluation's).
 */
export function fanOutIncidents(db: Db, cfg: MeshwatchConfig, now: Date): void {
  const at = now.toISOString()
  const todo = incidentsToFanOut(db).map((x) => ({
    ...x,
    consumers: consumersOf(db, x.incident.id),
  }))
  if (todo.length === 0) return
  const tags = productTagsOf(
    db,
    cfg,
    todo.flatMap((x) => [
      x.incident.productId,
      ...x.consumers.flatMap((c) => c.products.map((p) => p.productId)),
    ]),
  )
  const tagsOf = (id: string) => tags.get(id) ?? []
  for (const { incident, latest, consumers } of todo) {
    const targets = routesOf(cfg, incident, consumers, tagsOf)
    // a digest route collects the warnings; a breach (or one that became one) goes out at once
    const digested = incident.severity === 'warn' ? targets.filter((t) => t.route.digest) : []
    const fresh =
      digested.length > 0
        ? transitionsAfter(db, incident.id, incident.fannedOut).filter((t) => t.id <= latest)
        : []
    addDeliveries(
      db,
      incident.id,
      targets
        .filter((t) => !digested.includes(t))
        .map((t) => ({
          routeKey: t.key,
          channel: channelOf(t.route),
          audience: t.audience,
          routeDomain: t.routeDomain,
          // what a digest already told is not sent again by the living message that follows it
          cursor: t.route.digest ? digestedThrough(db, incident.id, t.key, t.audience) : 0,
          nextAttemptAt: at,
          createdAt: at,
        })),
      latest,
      digested.flatMap((t) => {
        const d = t.route.digest
        if (!d) return []
        return fresh.map((tr) => {
          // the first digest after the transition happened (a dispatcher that was down at
          // 09:00 still sends that morning's digest when it is back)
          const dueAt = nextLocalTime(d.at, d.tz, new Date(tr.at)).toISOString()
          return {
            transitionId: tr.id,
            routeKey: t.key,
            channel: channelOf(t.route),
            audience: t.audience,
            routeDomain: t.routeDomain,
            dueAt,
            nextAttemptAt: dueAt,
            createdAt: at,
          }
        })
      }),
    )
  }
}
