import { routeKeyOf, type IncidentRoute } from './config.ts'

export interface RouteIssue {
  path: (string | number)[]
  message: string
}

interface PlacedRoute {
  route: IncidentRoute
  path: (string | number)[]
}

/** What a channel's one message per incident is sent with: every route naming that channel must agree on these. */
function deliverySettingsOf(r: IncidentRoute): Record<string, unknown> {
  return {
    quiet_hours: r.quiet_hours,
    digest: 'digest' in r ? r.digest : undefined,
    ...(r.type === 'webhook' ? { secret_env: r.secret_env } : {}),
    ...(r.type === 'email' ? { from: r.from } : {}),
  }
}

const dotted = (path: (string | number)[]) =>
  path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('')

/**
 * The checks of incident routes that span routes: each channel (route key) gets one message per
 * incident, so routes that name the same channel, in one domain or in several, must agree on how
 * it is delivered (quiet hours, digest, webhook secret, e-mail sender) — their filters (severity,
 * products, tags, consumer notifications) may differ and add up. A digest collects warnings, so a
 * route that takes breaches only cannot have one.
 */
export function routeIssues(cfg: {
  incidents?: { routes?: IncidentRoute[] | undefined } | undefined
  domains?: Record<string, { incidents?: { routes?: IncidentRoute[] | undefined } | undefined }>
}): RouteIssue[] {
  const placed: PlacedRoute[] = [
    ...(cfg.incidents?.routes ?? []).map((route, i) => ({
      route,
      path: ['incidents', 'routes', i],
    })),
    ...Object.entries(cfg.domains ?? {}).flatMap(([name, d]) =>
      (d.incidents?.routes ?? []).map((route, i) => ({
        route,
        path: ['domains', name, 'incidents', 'routes', i],
      })),
    ),
  ]
  const issues: RouteIssue[] = []
  const first = new Map<string, PlacedRoute>()
  for (const p of placed) {
    if ('digest' in p.route && p.route.digest && p.route.severity === 'breach')
      issues.push({
        path: [...p.path, 'digest'],
        message:
          'a digest collects warnings (breaches are sent at once), and this route takes breaches only (severity: breach): remove one of them',
      })
    const key = routeKeyOf(p.route)
    const earlier = first.get(key)
    if (!earlier) {
      first.set(key, p)
      continue
    }
    const a = deliverySettingsOf(earlier.route)
    const b = deliverySettingsOf(p.route)
    for (const field of Object.keys(b)) {
      if (JSON.stringify(a[field]) === JSON.stringify(b[field])) continue
      issues.push({
        path: [...p.path, field],
        message: `${key} is also the channel of ${dotted(earlier.path)}, and one channel gets one message per incident: give both routes the same ${field} (or none), or use another channel`,
      })
    }
  }
  return issues
}
