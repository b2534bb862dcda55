import { shouldStore } from './quality/history.ts'
import {
  loadOrchestrationJobs,
  loadProductFacts,
  type OrchestrationJobs,
} from '../db/queries/quality.ts'
import { loadGovernanceFacts, loadRootCauseGraph } from '../db/queries/quality-graph.ts'
import {
  productsOfDatasets,
  storeEvaluations,
  upsertConfigProducts,
} from '../db/queries/quality-store.ts'
import { DEFAULT_REMINDER_MINUTES, writeAlerts } from './alerts/outbox.ts'
import { DEFAULT_REOPEN_MINUTES } from './incidents/lifecycle.ts'
import { writeIncidents, type IncidentWrite } from './incidents/write.ts'
import { EMPTY_CONFIG, governanceOf, type MeshwatchConfig } from './config-file.ts'
import { nowOf, SILENT, type Deps, type StoredWrite, sqliteDb } from './deps.ts'
import type { ProductEvaluation } from './quality/facts.ts'
import { BUILT_IN_POLICIES, checkPolicies } from './quality/governance.ts'
import { findRootCause, type RootCause } from './quality/root-cause.ts'
import { columnEdgesAmong } from '../db/queries/root-cause-columns.ts'
import { evaluateProduct } from './quality/score.ts'
import { resolveSla, type EffectiveSla } from './quality/sla.ts'
import { own } from '../collectors/own.ts'
import { attachContracts } from './contracts/facts.ts'

/** What is not on PostgreSQL yet (#16 ratchet): this code still takes the SQLite Db. */
const NOT_MOVED = 'the evaluator (server/evaluate.ts)'

export type EvaluationWithCause = ProductEvaluation & { rootCause: RootCause | null }

const configOf = (deps: Deps): MeshwatchConfig => deps.meshwatch ?? EMPTY_CONFIG

/** The effective SLA of a product: built-in < meshwatch.yml defaults < dbt meta < meshwatch.yml product entry. */
export function effectiveSlaOf(
  cfg: MeshwatchConfig,
  product: { id: string; sla: Record<string, unknown> | null },
): EffectiveSla {
  return resolveSla({
    platform: cfg.defaults?.sla,
    dbtMeta: product.sla,
    product: own(cfg.products, product.id)?.sla,
  })
}

/**
 * Loads, scores and (when something changed or the heartbeat is due) stores the evaluation of
 * the given products (default: all), with a root cause for each one not ok.
 */
export function evaluateProducts(
  deps: Deps,
  opts: { productIds?: string[]; now?: Date; store?: boolean } = {},
) {
  const cfg = configOf(deps)
  const now = opts.now ?? nowOf(deps)
  const slaCache = new Map<string, EffectiveSla>()
  const windows = [
    7,
    cfg.defaults?.sla?.reliability?.window_days ?? 7,
    ...Object.values(cfg.products ?? {}).map((p) => p.sla?.reliability?.window_days ?? 7),
  ]
  const depths = [
    3,
    cfg.defaults?.sla?.upstream_depth ?? 3,
    ...Object.values(cfg.products ?? {}).map((p) => p.sla?.upstream_depth ?? 3),
  ]
  const { rows, facts } = loadProductFacts(sqliteDb(deps, NOT_MOVED), {
    productIds: opts.productIds,
    now,
    windowDays: Math.max(...windows, 30),
    upstreamDepth: Math.max(...depths),
    links: cfg.links,
  })
  attachContracts(sqliteDb(deps, NOT_MOVED), facts)
  const out: EvaluationWithCause[] = []
  let orchestration: OrchestrationJobs | undefined
  const resolved = new Map<string, EffectiveSla>()
  for (const [i, f] of facts.entries()) {
    const row = rows[i]
    if (!row) continue
    // Products mostly share a handful of SLAs: resolve each distinct declaration once.
    const key = `${own(cfg.products, row.id) ? row.id : ''}\u0000${JSON.stringify(row.sla)}`
    const sla = resolved.get(key) ?? effectiveSlaOf(cfg, row)
    resolved.set(key, sla)
    slaCache.set(f.id, sla)
    f.upstream = f.upstream.filter((u) => u.depth <= sla.upstream_depth)
    const e = evaluateProduct(f, sla, now)
    // nothing to explain when ok, nor when there is nothing to judge by (unknown)
    if (e.status === 'ok' || e.status === 'unknown') {
      out.push({ ...e, rootCause: null })
      continue
    }
    orchestration ??= loadOrchestrationJobs(sqliteDb(deps, NOT_MOVED), cfg.links)
    out.push({ ...e, rootCause: rootCauseFor(deps, e, sla, now, orchestration) ?? null })
  }
  const reminderMs = (cfg.alerts?.reminder_minutes ?? DEFAULT_REMINDER_MINUTES) * 60_000
  const reopenMs = (cfg.incidents?.reopen_minutes ?? DEFAULT_REOPEN_MINUTES) * 60_000
  let alerts: number[] = []
  let incidents: IncidentWrite[] = []
  const written =
    opts.store === false
      ? []
      : storeEvaluations(sqliteDb(deps, NOT_MOVED), out, {
          keep: (prev, next) =>
            shouldStore(prev, next, (cfg.evaluation?.heartbeat_minutes ?? 60) * 60_000),
          inTransaction: (tx) => {
            alerts = writeAlerts(tx, out, { reminderMs })
            incidents = writeIncidents(tx, out, { reopenMs })
          },
        })
  return { evaluations: out, written, alerts, incidents, slas: slaCache }
}

/** The root cause of a product's current evaluation, from its bounded upstream neighbourhood. */
export function rootCauseFor(
  deps: Deps,
  e: ProductEvaluation,
  sla: EffectiveSla,
  now: Date,
  orchestration?: OrchestrationJobs,
): RootCause | undefined {
  const depth = sla.upstream_depth
  // Lineage hops alternate dataset and job; +2 reaches a source's loader beyond the last dataset.
  const graph = loadRootCauseGraph(sqliteDb(deps, NOT_MOVED), e.productId, {
    depth: depth * 2 + 2,
    links: configOf(deps).links,
    now,
    orchestration,
  })
  if (!graph) return undefined
  const datasetIds = graph.nodes.flatMap((n) => (n.kind === 'dataset' ? [idOfNode(n.id)] : []))
  return findRootCause(
    {
      outputs: graph.outputs,
      nodes: graph.nodes,
      edges: graph.edges,
      columnEdges: columnEdgesAmong(sqliteDb(deps, NOT_MOVED), datasetIds),
      domainFailures: graph.domainFailures,
      dimensions: e.dimensions,
      upstreamTests: sla.tests.upstream !== 'off',
      graceMs: sla.freshness.grace_minutes * 60_000,
    },
    now,
  )
}

/** Writes the products meshwatch.yml declares with outputs (origin 'config'); returns outputs it could not find. */
export function applyConfigProducts(deps: Deps): string[] {
  const cfg = configOf(deps)
  const items = Object.entries(cfg.products ?? {}).flatMap(([id, p]) => {
    const domain = p.domain ?? id.split('.')[0] ?? id
    return p.outputs && p.outputs.length > 0
      ? [
          {
            id,
            name: p.name ?? id,
            domain,
            owner: p.owner ?? own(cfg.domains, domain)?.owner,
            description: p.description,
            outputs: p.outputs,
          },
        ]
      : []
  })
  if (items.length === 0) return []
  return upsertConfigProducts(sqliteDb(deps, NOT_MOVED), items, nowOf(deps).toISOString())
    .unresolved
}

export interface EvaluationSummary {
  /** Ids of the products scored. */
  evaluated: string[]
  /** Those whose evaluation was stored (changed, or the heartbeat was due). */
  changed: string[]
  /** Ids of the alerts added to the outbox. */
  alerts: number[]
}

export interface Evaluator {
  /**
   * The afterWrite hook (Deps.afterWrite): writes meshwatch.yml's products, then re-scores the
   * products the write touched and enqueues their alerts. A failure is logged, not thrown: the
   * write stands and the next evaluation catches up. Returns what it did (undefined on failure).
   */
  afterWrite: (write: StoredWrite) => EvaluationSummary | undefined
  /** Scores every product now and then every `intervalMs` (time alone makes data stale); returns a stop function. */
  start: (intervalMs: number) => () => void
}

/**
 * The evaluator of a store: main.ts gives its afterWrite to the app's Deps and starts its timer;
 * `collect --db` gives its afterWrite to the one-shot store (no timer).
 */
export function createEvaluator(deps: Deps): Evaluator {
  const log = deps.log ?? SILENT
  const run = (productIds?: string[]): EvaluationSummary | undefined => {
    try {
      if (productIds?.length === 0) return { evaluated: [], changed: [], alerts: [] }
      const r = evaluateProducts(deps, productIds ? { productIds } : {})
      if (r.written.length > 0)
        log.info('evaluated products', {
          evaluated: r.evaluations.length,
          changed: r.written.length,
        })
      return {
        evaluated: r.evaluations.map((e) => e.productId),
        changed: r.written,
        alerts: r.alerts,
      }
    } catch (e) {
      log.error('evaluation failed', { error: String(e) })
      return undefined
    }
  }
  return {
    afterWrite: (write) => {
      applyConfigProducts(deps)
      return run(productsOfDatasets(sqliteDb(deps, NOT_MOVED), write.datasetIds))
    },
    start: (intervalMs) => {
      const unresolved = applyConfigProducts(deps)
      for (const u of unresolved) log.warn(`meshwatch.yml product output not found yet: ${u}`)
      run()
      const timer = setInterval(() => run(), intervalMs)
      timer.unref()
      return () => clearInterval(timer)
    },
  }
}

/** Violations over the store as configured; a product with an SLA in meshwatch.yml counts as having one. */
export function governanceViolations(deps: Deps) {
  const cfg = deps.meshwatch ?? EMPTY_CONFIG
  const facts = loadGovernanceFacts(sqliteDb(deps, NOT_MOVED))
  for (const p of facts.products) if (own(cfg.products, p.id)?.sla) p.hasSla = true
  return checkPolicies(facts, governanceOf(cfg), nowOf(deps))
}

export function effectivePolicies(deps: Deps) {
  const cfg = deps.meshwatch ?? EMPTY_CONFIG
  return BUILT_IN_POLICIES.map((p) => ({
    ...p,
    severity: own(cfg.policies, p.id)?.severity ?? p.severity,
    enabled: own(cfg.policies, p.id)?.enabled ?? true,
  }))
}

const idOfNode = (id: string): number => Number(id.slice(id.indexOf(':') + 1))
