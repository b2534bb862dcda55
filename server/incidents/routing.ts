import { own } from '../../collectors/own.ts'
import type { BlastProduct } from '../../db/incident-shapes.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { routeKeyOf, type IncidentRoute } from './config.ts'

/** One place an incident's living message goes: a route, and whom the message addresses there. */
export interface RouteTarget {
  key: string
  route: IncidentRoute
  /** `owner`, or the consumer domain told about an upstream incident. */
  audience: string
  /** Whose meshwatch.yml entry the route is ('' for the top-level default). */
  routeDomain: string
}

export interface IncidentForRouting {
  productId: string
  domain: string
  severity: 'warn' | 'breach'
}

const severe = (r: IncidentRoute, inc: IncidentForRouting) =>
  r.severity !== 'breach' || inc.severity === 'breach'

/**
 * The effective routes of an incident: the owning domain's routes (else the top-level default)
 * that take its severity and product, and for each consumer domain its own routes that take
 * consumer notifications (the default route is the owners' and never gets them twice).
 */
export function routesOf(
  cfg: MeshwatchConfig,
  inc: IncidentForRouting,
  consumers: readonly { domain: string; products: readonly BlastProduct[] }[],
): RouteTarget[] {
  const out: RouteTarget[] = []
  const mine = own(cfg.domains, inc.domain)?.incidents?.routes
  const ownerRoutes = mine ?? cfg.incidents?.routes ?? []
  for (const route of ownerRoutes)
    if (severe(route, inc) && (!route.products || route.products.includes(inc.productId)))
      out.push({
        key: routeKeyOf(route),
        route,
        audience: 'owner',
        routeDomain: mine ? inc.domain : '',
      })
  for (const c of consumers) {
    if (c.domain === inc.domain) continue
    for (const route of own(cfg.domains, c.domain)?.incidents?.routes ?? []) {
      if (route.consumer_notifications === false || !severe(route, inc)) continue
      if (route.products && !c.products.some((p) => route.products?.includes(p.productId))) continue
      out.push({ key: routeKeyOf(route), route, audience: c.domain, routeDomain: c.domain })
    }
  }
  const seen = new Set<string>()
  return out.filter((t) => {
    const k = `${t.key}\u0000${t.audience}`
    return seen.has(k) ? false : (seen.add(k), true)
  })
}
