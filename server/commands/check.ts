import type { Command } from 'commander'
import { closeDb, openDb } from '../../db/client.ts'
import { sqliteStore } from '../../db/store.ts'
import { EMPTY_CONFIG, resolveSlackRoute, type MeshwatchConfig } from '../config-file.ts'
import { routesOf } from '../incidents/routing.ts'
import { effectiveSlaOf, governanceViolationsOnDb } from '../evaluate.ts'
import { BUILT_IN_POLICIES, waiverActive } from '../quality/governance.ts'
import { slaEntries } from '../quality/sla.ts'
import { configFileOf, readMeshwatchConfig } from './local-store.ts'
import { dbFileOf } from './shared.ts'
import { own } from '../../collectors/own.ts'
import { existsSync } from 'node:fs'
import type { Db } from '../../db/client.ts'
import { listProducts } from '../../db/queries/catalog.ts'
import { blastRadius } from '../../db/queries/incidents.ts'
import { productTagsOf } from '../incidents/tags.ts'
import { formatProductRoutes, productRoutes, type RouteFacts } from './check-routes.ts'
import { UsageError } from './shared.ts'

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description(
      'validate meshwatch.yml and print what it resolves to; --policies lists governance violations of the store',
    )
    .option('--config <file>', 'meshwatch.yml (default: $MESHWATCH_CONFIG, then ./meshwatch.yml)')
    .option('--policies', 'evaluate the governance policies over the store')
    .option(
      '--db <file>',
      "SQLite store: for --policies, and for the incident routes of the store's products, their tags and consumers (default: $MESHWATCH_DB or ./data/meshwatch.db, when it exists)",
    )
    .option('--json', 'print JSON instead of text')
    .action(async (o: { config?: string; policies?: boolean; db?: string; json?: boolean }) => {
      const file = configFileOf(o)
      const cfg = file ? readMeshwatchConfig(file) : EMPTY_CONFIG
      const now = new Date()
      if (!o.policies) {
        const store = dbFileOf(o)
        if (o.db && !existsSync(o.db)) throw new UsageError(`--db: no store at ${o.db}`)
        const db = existsSync(store) ? openDb(store) : null
        try {
          const resolved = describeConfig(cfg, now, db ? await routeFactsOf(db, cfg) : undefined)
          process.stdout.write(
            o.json
              ? `${JSON.stringify({ ...resolved, store: db ? store : null }, null, 2)}\n`
              : formatConfig(file, resolved, db ? store : null),
          )
        } finally {
          if (db) closeDb(db)
        }
        return
      }
      const db = openDb(dbFileOf(o))
      try {
        const violations = governanceViolationsOnDb(db, {
          store: sqliteStore(db),
          meshwatch: cfg,
          now: () => now,
        })
        const blocking = violations.filter((v) => v.severity === 'error' && !v.waived)
        if (o.json) process.stdout.write(`${JSON.stringify({ violations }, null, 2)}\n`)
        else {
          for (const v of violations) {
            const waived = v.waived
              ? ` [waived until ${v.waiver?.expires}: ${v.waiver?.reason}]`
              : ''
            process.stdout.write(
              `${v.severity.padEnd(5)} ${v.policy} ${v.domain ?? '-'} ${v.target}: ${v.message}${waived}\n`,
            )
          }
          process.stdout.write(
            `${violations.length} violations, ${blocking.length} blocking (severity error, not waived)\n`,
          )
        }
        if (blocking.length > 0) process.exitCode = 1
      } finally {
        closeDb(db)
      }
    })
}

/** The store's products with their routing tags and blast radius, for their incident routes. */
export async function routeFactsOf(db: Db, cfg: MeshwatchConfig): Promise<RouteFacts> {
  const products = listProducts(db).map((p) => ({ id: p.id, domain: p.domain }))
  const tags = await productTagsOf(sqliteStore(db), cfg, [
    ...products.map((p) => p.id),
    ...Object.keys(cfg.products ?? {}),
  ])
  return {
    products,
    tagsOf: (id) => tags.get(id) ?? [],
    blastOf: (id) => blastRadius(db, id),
  }
}

/**
 * What a config resolves to: routes per domain and severity, product SLAs with sources, policies,
 * waivers, and the incident routes of every product (with `facts`, the store's too, with consumers).
 */
export function describeConfig(cfg: MeshwatchConfig, now: Date, facts?: RouteFacts) {
  return {
    domains: Object.entries(cfg.domains ?? {}).map(([name, d]) => ({
      name,
      owner: d.owner ?? null,
      alerts: {
        warn: resolveSlackRoute(cfg, name, 'warn') ?? null,
        breach: resolveSlackRoute(cfg, name, 'breach') ?? null,
      },
      incidents: {
        warn: incidentRoutesOf(cfg, name, 'warn'),
        breach: incidentRoutesOf(cfg, name, 'breach'),
      },
      waivers: (d.waivers ?? []).map((w) => ({ ...w, active: waiverActive(w, now) })),
    })),
    products: Object.entries(cfg.products ?? {}).map(([id, p]) => {
      const sla = effectiveSlaOf(cfg, { id, sla: null })
      return {
        id,
        outputs: p.outputs ?? [],
        incidents: incidentRoutesOf(cfg, p.domain ?? id.split('.')[0] ?? id, 'breach', id),
        sla: Object.fromEntries(slaEntries(sla).filter(([, v]) => v.source !== 'default')),
      }
    }),
    policies: BUILT_IN_POLICIES.map((p) => ({
      id: p.id,
      severity: own(cfg.policies, p.id)?.severity ?? p.severity,
      enabled: own(cfg.policies, p.id)?.enabled ?? true,
    })),
    links: cfg.links ?? [],
    gate: cfg.gate ?? {},
    routes: productRoutes(cfg, facts),
  }
}

export function formatConfig(
  file: string | undefined,
  r: ReturnType<typeof describeConfig>,
  store: string | null,
): string {
  const lines = [`${file ?? '(no meshwatch.yml: built-in defaults)'}: ok`]
  for (const d of r.domains) {
    const route = (x: typeof d.alerts.warn) =>
      x
        ? `$${x.webhookEnv}${x.channel ? ` ${x.channel}` : ''}${x.mention ? ` ${x.mention}` : ''}`
        : 'none'
    lines.push(
      `domain ${d.name}: owner ${d.owner ?? '-'}; warn → ${route(d.alerts.warn)}; breach → ${route(d.alerts.breach)}`,
    )
    lines.push(
      `  incidents: warn → ${d.incidents.warn.join(', ') || 'none'}; breach → ${d.incidents.breach.join(', ') || 'none'}`,
    )
    for (const w of d.waivers)
      lines.push(
        `  waiver ${w.policy}${w.target ? ` on ${w.target}` : ''} until ${w.expires}${w.active ? '' : ' (EXPIRED)'}: ${w.reason}`,
      )
  }
  for (const p of r.products) {
    const sla = Object.entries(p.sla)
      .map(([k, v]) => `${k}=${JSON.stringify(v.value)}`)
      .join(', ')
    lines.push(`product ${p.id}: ${sla || 'no SLA values beyond defaults'}`)
    lines.push(`  incidents → ${p.incidents.join(', ') || 'none'}`)
  }
  lines.push(
    `policies: ${r.policies.map((p) => `${p.id}=${p.enabled ? p.severity : 'off'}`).join(', ')}`,
  )
  for (const l of r.links) lines.push(`link: ${l.job} writes ${l.writes}`)
  lines.push(
    store
      ? `incident routes of every product (meshwatch.yml and the store ${store}):`
      : 'incident routes of every product of meshwatch.yml (no store: none of its products, no consumers):',
    ...formatProductRoutes(r.routes),
  )
  return `${lines.join('\n')}\n`
}

/** The effective incident routes of a domain's (or one product's) incident, by key (variable names, never secrets). */
function incidentRoutesOf(
  cfg: MeshwatchConfig,
  domain: string,
  severity: 'warn' | 'breach',
  productId = '',
): string[] {
  return routesOf(cfg, { productId, domain, severity }, [])
    .filter((t) => productId !== '' || !t.route.products)
    .map((t) => t.key)
}
