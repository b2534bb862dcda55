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

/** A product's routing tags (server/incidents/tags.ts); none when not given. */
export type TagsOf = (productId: string) => readonly string[]

const NO_TAGS: TagsOf = () => []

const severe = (r: IncidentRoute, inc: IncidentForRouting) =>
  r.severity !== 'breach' || inc.severity === 'breach'

/** Why a route takes a product: it names none (the whole domain's), lists it, or shares a tag with it. */
export type RouteMatch = { by: 'domain' } | { by: 'product' } | { by: 'tag'; tag: string }

/** How a route takes a product, or null when it does not: listed beats tag beats naming none. */
export function matchOf(r: IncidentRoute, productId: string, tagsOf: TagsOf): RouteMatch | null {
  if (!r.products && !r.tags) return { by: 'domain' }
  if (r.products?.includes(productId)) return { by: 'product' }
  const tag = r.tags?.find((t) => tagsOf(productId).includes(t))
  return tag === undefined ? null : { by: 'tag', tag }
}

/** Whether a route takes a product: it names none, or lists the product, or shares a tag with it. */
export const takesProduct = (r: IncidentRoute, productId: string, tagsOf: TagsOf): boolean =>
  matchOf(r, productId, tagsOf) !== null

/**
 * The effective routes of an incident: the owning domain's routes (else the top-level default)
 * that take its severity and product (by id or tag), and for each consumer domain its own routes
 * that take consumer notifications and one of its affected products (the default route is the
 * owners' and never gets them twice). A channel (route key) gets one message per incident: named by
 * several routes that take it (a product rule and a domain rule, or two domains' routes), it
 * goes to the first — the owners' before a consumer domain's, and consumer domains by name.
 * meshwatch.yml's check (route-checks.ts) makes such routes agree on how they deliver, so none of
 * their settings is lost; their filters add up.
 */
export function routesOf(
  cfg: MeshwatchConfig,
  inc: IncidentForRouting,
  consumers: readonly { domain: string; products: readonly BlastProduct[] }[],
  tagsOf: TagsOf = NO_TAGS,
): RouteTarget[] {
  const out: RouteTarget[] = []
  const mine = own(cfg.domains, inc.domain)?.incidents?.routes
  const ownerRoutes = mine ?? cfg.incidents?.routes ?? []
  for (const route of ownerRoutes)
    if (severe(route, inc) && takesProduct(route, inc.productId, tagsOf))
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
      if (!c.products.some((p) => takesProduct(route, p.productId, tagsOf))) continue
      out.push({ key: routeKeyOf(route), route, audience: c.domain, routeDomain: c.domain })
    }
  }
  const seen = new Set<string>()
  return out.filter((t) => (seen.has(t.key) ? false : (seen.add(t.key), true)))
}
