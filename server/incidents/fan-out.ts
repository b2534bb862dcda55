import type { Store } from '../../db/store.ts'
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
export async function fanOutIncidents(store: Store, cfg: MeshwatchConfig, now: Date) {
  const at = now.toISOString()
  const todo = []
  for (const x of await store.incidentDeliveries.incidentsToFanOut())
    todo.push({ ...x, consumers: await store.incidents.consumersOf(x.incident.id) })
  if (todo.length === 0) return
  const tags = await productTagsOf(
    store,
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
        ? (await store.incidentDeliveries.transitionsAfter(incident.id, incident.fannedOut)).filter(
            (t) => t.id <= latest,
          )
        : []
    const living = []
    for (const t of targets.filter((x) => !digested.includes(x)))
      living.push({
        routeKey: t.key,
        channel: channelOf(t.route),
        audience: t.audience,
        routeDomain: t.routeDomain,
        // what a digest already told is not sent again by the living message that follows it
        cursor: t.route.digest
          ? await store.incidentDigests.digestedThrough(incident.id, t.key, t.audience)
          : 0,
        nextAttemptAt: at,
        createdAt: at,
      })
    await store.incidentDeliveries.addDeliveries(
      incident.id,
      living,
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
