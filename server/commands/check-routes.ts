import { own } from '../../collectors/own.ts'
import type { BlastProduct } from '../../db/incident-shapes.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { routeKeyOf, type IncidentRoute } from '../incidents/config.ts'
import { matchOf, routesOf, type RouteMatch, type TagsOf } from '../incidents/routing.ts'

type Severity = 'warn' | 'breach'
const perSeverity = <T>(fn: (s: Severity) => T): Record<Severity, T> => ({
  warn: fn('warn'),
  breach: fn('breach'),
})

/** What the store knows beyond meshwatch.yml: its products, their routing tags, their blast radius. */
export interface RouteFacts {
  products: readonly { id: string; domain: string }[]
  tagsOf: TagsOf
  blastOf: (productId: string) => BlastProduct[]
}

/** One route an incident would go to, by variable names and channel (meshwatch.yml holds no secret). */
export interface RouteView {
  key: string
  channel: IncidentRoute['type']
  /** The route's own fields but its filters: variable names (`*_env`), channel, addresses. */
  target: Record<string, unknown>
  /** Whose entry in meshwatch.yml: `domain <name>`, or `default` (top-level incidents.routes). */
  from: string
  /** Why it takes the product: the whole domain's, it lists it, or a tag (for a consumer: via which of its products). */
  why: string
  severity: 'warn and breach' | 'breach only'
  quietHours: { start: string; end: string; tz: string } | null
  consumerNotifications: boolean
  /** Printed when the route has one, as it is written. */
  digest?: unknown
}

export interface ProductRoutes {
  id: string
  domain: string
  tags: string[]
  /** Where the product was found: meshwatch.yml, the store, or both. */
  source: 'config' | 'store' | 'config and store'
  routes: Record<Severity, RouteView[]>
  /** The domains in its blast radius, their affected products, and the routes they would be told on (null: no store, unknown). */
  consumers: { domain: string; products: string[]; routes: Record<Severity, RouteView[]> }[] | null
}

const FILTERS = new Set([
  'type',
  'severity',
  'products',
  'tags',
  'consumer_notifications',
  'quiet_hours',
  'digest',
])

const whyOf = (m: RouteMatch | null): string =>
  m === null
    ? 'no match'
    : m.by === 'domain'
      ? "all of the domain's products"
      : m.by === 'product'
        ? 'lists the product'
        : `tag ${m.tag}`

function viewOf(route: IncidentRoute, from: string, why: string): RouteView {
  const fields = Object.entries(route)
  const digest = fields.find(([k]) => k === 'digest')
  return {
    key: routeKeyOf(route),
    channel: route.type,
    target: Object.fromEntries(fields.filter(([k]) => !FILTERS.has(k))),
    from,
    why,
    severity: route.severity === 'breach' ? 'breach only' : 'warn and breach',
    quietHours: route.quiet_hours ?? null,
    consumerNotifications: route.consumer_notifications !== false,
    ...(digest ? { digest: digest[1] } : {}),
  }
}

/** The effective incident routes of every product of meshwatch.yml and of the store. */
export function productRoutes(cfg: MeshwatchConfig, facts?: RouteFacts): ProductRoutes[] {
  const tagsOf: TagsOf = facts?.tagsOf ?? ((id) => own(cfg.products, id)?.tags ?? [])
  const all = new Map<string, { domain: string; source: ProductRoutes['source'] }>()
  for (const [id, p] of Object.entries(cfg.products ?? {}))
    all.set(id, { domain: p.domain ?? id.split('.')[0] ?? id, source: 'config' })
  for (const p of facts?.products ?? [])
    all.set(p.id, { domain: p.domain, source: all.has(p.id) ? 'config and store' : 'store' })
  return [...all]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, { domain, source }]) => {
      const routes = (severity: Severity, consumers: Parameters<typeof routesOf>[2]) =>
        routesOf(cfg, { productId: id, domain, severity }, consumers, tagsOf)
      const byDomain = new Map<string, BlastProduct[]>()
      for (const b of facts?.blastOf(id) ?? [])
        byDomain.set(b.domain, [...(byDomain.get(b.domain) ?? []), b])
      return {
        id,
        domain,
        tags: [...tagsOf(id)],
        source,
        routes: perSeverity((s) =>
          routes(s, []).map((t) =>
            viewOf(
              t.route,
              t.routeDomain ? `domain ${t.routeDomain}` : 'default',
              whyOf(matchOf(t.route, id, tagsOf)),
            ),
          ),
        ),
        consumers: facts
          ? [...byDomain].map(([d, products]) => ({
              domain: d,
              products: products.map((p) => p.productId),
              routes: perSeverity((s) =>
                routes(s, [{ domain: d, products }])
                  .filter((t) => t.audience === d)
                  .map((t) => {
                    const via = products
                      .map((p) => ({ p, m: matchOf(t.route, p.productId, tagsOf) }))
                      .find((x) => x.m !== null)
                    return viewOf(
                      t.route,
                      `domain ${d}`,
                      `${via?.p.productId}: ${whyOf(via?.m ?? null)}`,
                    )
                  }),
              ),
            }))
          : null,
      }
    })
}

const targetText = (t: Record<string, unknown>): string =>
  Object.entries(t)
    .map(([k, v]) => {
      const value = Array.isArray(v) ? v.join(',') : typeof v === 'string' ? v : JSON.stringify(v)
      return k.endsWith('_env') ? `$${value}` : k === 'channel' ? value : `${k}=${value}`
    })
    .join(' ')

function routeLine(severity: Severity, r: RouteView): string {
  const q = r.quietHours
  const notes = [
    `${r.from}, ${r.why}`,
    ...(r.severity === 'breach only' ? ['breach only'] : []),
    ...(q ? [`quiet ${q.start}-${q.end} ${q.tz}`] : []),
    ...(r.consumerNotifications ? [] : ['no consumer notifications']),
    ...(r.digest !== undefined ? [`digest ${JSON.stringify(r.digest)}`] : []),
  ]
  return `${`${severity}:`.padEnd(8)}${r.channel} ${targetText(r.target)} (${notes.join('; ')})`
}

const SOURCE_TEXT = {
  config: 'meshwatch.yml',
  store: 'the store',
  'config and store': 'meshwatch.yml and the store',
} as const

/** `meshwatch check`'s text for the routes: a block per product, a line per route and severity. */
export function formatProductRoutes(products: readonly ProductRoutes[]): string[] {
  const lines: string[] = []
  for (const p of products) {
    lines.push(
      `routes of ${p.id} (domain ${p.domain}; from ${SOURCE_TEXT[p.source]}; tags ${p.tags.join(', ') || 'none'}):`,
    )
    const own = [
      ...p.routes.warn.map((r) => `  ${routeLine('warn', r)}`),
      ...p.routes.breach.map((r) => `  ${routeLine('breach', r)}`),
    ]
    lines.push(...(own.length > 0 ? own : ['  no route: its incidents are recorded, not sent']))
    if (p.consumers === null) lines.push('  consumers: unknown without a store (--db)')
    else if (p.consumers.length === 0) lines.push('  consumers: none of other domains read it')
    for (const c of p.consumers ?? []) {
      lines.push(`  consumer ${c.domain} (its products downstream: ${c.products.join(', ')}):`)
      const told = [
        ...c.routes.warn.map((r) => `    ${routeLine('warn', r)}`),
        ...c.routes.breach.map((r) => `    ${routeLine('breach', r)}`),
      ]
      lines.push(...(told.length > 0 ? told : ['    no route takes consumer notifications']))
    }
  }
  return lines
}
