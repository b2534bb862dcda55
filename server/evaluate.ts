import type { Db } from '../db/client.ts'
import type { RootCauseGraph } from '../db/queries/quality-graph.ts'
import { sqliteDbOf, type Store } from '../db/store.ts'
import { shouldStore } from './quality/history.ts'
import { DEFAULT_REMINDER_MINUTES, writeAlerts } from './alerts/outbox.ts'
import { DEFAULT_REOPEN_MINUTES } from './incidents/lifecycle.ts'
import { writeIncidents, type IncidentWrite } from './incidents/write.ts'
import { EMPTY_CONFIG, governanceOf, type MeshwatchConfig } from './config-file.ts'
import { nowOf, SILENT, type Deps, type StoredWrite } from './deps.ts'
import type { ProductEvaluation } from './quality/facts.ts'
import { BUILT_IN_POLICIES, checkPolicies } from './quality/governance.ts'
import { findRootCause, type RootCause } from './quality/root-cause.ts'
import { inIdOrder } from './quality/facts-order.ts'
import { evaluateProduct } from './quality/score.ts'
import { resolveSla, type EffectiveSla } from './quality/sla.ts'
import { own } from '../collectors/own.ts'
import { attachContractsProgram } from './contracts/facts.ts'
import { call, runOn, runOnDb, type StoreProgram } from './store-program.ts'

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

export interface EvaluateOptions {
  /** default: every product */
  productIds?: string[] | undefined
  now?: Date | undefined
}

export type Evaluated = Scored & { written: string[]; alerts: number[]; incidents: IncidentWrite[] }

export interface Scored {
  evaluations: EvaluationWithCause[]
  /** The effective SLA of each product scored. */
  slas: Map<string, EffectiveSla>
}

/**
 * Loads, scores and (when something changed or the heartbeat is due) stores the evaluation of
 * the given products (default: all), with a root cause for each one not ok. What it stores (the
 * evaluations, the outbox's alerts, the incidents) is one store transaction.
 */
export async function evaluateProducts(
  deps: Deps,
  opts: EvaluateOptions & { store?: boolean } = {},
): Promise<Evaluated> {
  const cfg = configOf(deps)
  const scored = await runOn(deps.store, scoreProducts(cfg, opts.now ?? nowOf(deps), opts))
  const stored =
    opts.store === false
      ? { written: [], alerts: [], incidents: [] }
      : await deps.store.transaction((tx) => runOn(tx, recordEvaluations(cfg, scored.evaluations)))
  return { ...scored, ...stored }
}

/** evaluateProducts without storing, synchronously on a SQLite Db (the gate's scratch store). */
export function scoreProductsOnDb(db: Db, deps: Deps, opts: EvaluateOptions = {}): Scored {
  return runOnDb(db, scoreProducts(configOf(deps), opts.now ?? nowOf(deps), opts))
}

/** Scores the products (a store program: reads only) with the root cause of each one not ok. */
function* scoreProducts(
  cfg: MeshwatchConfig,
  now: Date,
  opts: EvaluateOptions,
): StoreProgram<Scored> {
  const slas = new Map<string, EffectiveSla>()
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
  const { rows, facts } = yield* call('quality', 'loadProductFacts', {
    productIds: opts.productIds,
    now,
    windowDays: Math.max(...windows, 30),
    upstreamDepth: Math.max(...depths),
    links: cfg.links,
  })
  yield* attachContractsProgram(facts)
  const out: EvaluationWithCause[] = []
  const resolved = new Map<string, EffectiveSla>()
  // In product id order whatever order the engine read them in: what is stored (evaluations,
  // alerts, incidents) draws its ids in this order.
  const products = facts.flatMap((f, i) => (rows[i] ? [{ f: inIdOrder(f), row: rows[i] }] : []))
  products.sort((x, y) => (x.row.id < y.row.id ? -1 : x.row.id > y.row.id ? 1 : 0))
  const pending: { at: number; e: ProductEvaluation; sla: EffectiveSla }[] = []
  for (const { f, row } of products) {
    // Products mostly share a handful of SLAs: resolve each distinct declaration once.
    const key = `${own(cfg.products, row.id) ? row.id : ''}\u0000${JSON.stringify(row.sla)}`
    const sla = resolved.get(key) ?? effectiveSlaOf(cfg, row)
    resolved.set(key, sla)
    slas.set(f.id, sla)
    f.upstream = f.upstream.filter((u) => u.depth <= sla.upstream_depth)
    const e = evaluateProduct(f, sla, now)
    out.push({ ...e, rootCause: null })
    // nothing to explain when ok, nor when there is nothing to judge by (unknown)
    if (e.status !== 'ok' && e.status !== 'unknown') pending.push({ at: out.length - 1, e, sla })
  }
  if (pending.length === 0) return { evaluations: out, slas }
  // The root causes' graphs in one call: on PostgreSQL set reads, not a dozen statements each.
  const orchestration = yield* call('quality', 'loadOrchestrationJobs', cfg.links)
  const graphs = yield* call(
    'qualityGraph',
    'loadRootCauseGraphs',
    // Lineage hops alternate dataset and job; +2 reaches a source's loader beyond the last dataset.
    pending.map(({ e, sla }) => ({ productId: e.productId, depth: sla.upstream_depth * 2 + 2 })),
    { links: cfg.links, now, orchestration },
  )
  for (const [i, { at, e, sla }] of pending.entries()) {
    const rootCause = yield* rootCauseOf(e, sla, now, graphs[i])
    out[at] = { ...e, rootCause: rootCause ?? null }
  }
  return { evaluations: out, slas }
}

/**
 * Stores the evaluations that changed (or whose heartbeat is due), moves the alert episodes and
 * incidents along and enqueues the alerts: a store program, run in one transaction.
 */
function* recordEvaluations(
  cfg: MeshwatchConfig,
  evals: EvaluationWithCause[],
): StoreProgram<{ written: string[]; alerts: number[]; incidents: IncidentWrite[] }> {
  const heartbeatMs = (cfg.evaluation?.heartbeat_minutes ?? 60) * 60_000
  const reminderMs = (cfg.alerts?.reminder_minutes ?? DEFAULT_REMINDER_MINUTES) * 60_000
  const reopenMs = (cfg.incidents?.reopen_minutes ?? DEFAULT_REOPEN_MINUTES) * 60_000
  const written = yield* call('qualityStore', 'storeEvaluations', evals, {
    keep: (prev, next) => shouldStore(prev, next, heartbeatMs),
  })
  // The alert outbox is written with the evaluations that change a status, or not at all.
  const alerts = yield* writeAlerts(evals, { reminderMs })
  const incidents = yield* writeIncidents(evals, { reopenMs })
  return { written, alerts, incidents }
}

/** The root cause of a product's current evaluation, from its bounded upstream neighbourhood. */
function* rootCauseOf(
  e: ProductEvaluation,
  sla: EffectiveSla,
  now: Date,
  graph: RootCauseGraph | undefined,
): StoreProgram<RootCause | undefined> {
  if (!graph) return undefined
  const datasetIds = graph.nodes.flatMap((n) => (n.kind === 'dataset' ? [idOfNode(n.id)] : []))
  return findRootCause(
    {
      outputs: graph.outputs,
      nodes: graph.nodes,
      edges: graph.edges,
      columnEdges: yield* call('rootCauseColumns', 'columnEdgesAmong', datasetIds),
      domainFailures: graph.domainFailures,
      dimensions: e.dimensions,
      upstreamTests: sla.tests.upstream !== 'off',
      graceMs: sla.freshness.grace_minutes * 60_000,
    },
    now,
  )
}

/** The afterWrite of a write: meshwatch.yml's products, then the products it touched evaluated and stored. */
function* afterWriteProgram(cfg: MeshwatchConfig, now: Date, write: StoredWrite) {
  yield* configProducts(cfg, now)
  const productIds = yield* call('qualityStore', 'productsOfDatasets', write.datasetIds)
  if (productIds.length === 0) return undefined
  const scored = yield* scoreProducts(cfg, now, { productIds })
  return { ...scored, ...(yield* recordEvaluations(cfg, scored.evaluations)) }
}

/** Writes the products meshwatch.yml declares with outputs (origin 'config'); returns outputs it could not find. */
export function applyConfigProducts(deps: Deps): Promise<string[]> {
  return runOn(deps.store, configProducts(configOf(deps), nowOf(deps)))
}

/** applyConfigProducts synchronously on a SQLite Db (the gate's scratch store). */
export function applyConfigProductsOnDb(db: Db, deps: Deps): string[] {
  return runOnDb(db, configProducts(configOf(deps), nowOf(deps)))
}

function* configProducts(cfg: MeshwatchConfig, now: Date): StoreProgram<string[]> {
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
  return (yield* call('qualityStore', 'upsertConfigProducts', items, now.toISOString())).unresolved
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
   * The afterWrite hook (Deps.afterWrite), awaited in the writer's transaction `tx` (default: the
   * evaluator's store): writes meshwatch.yml's products, then re-scores the products the write
   * touched and enqueues their alerts, in a savepoint of it (on SQLite synchronously, for the
   * writers still on its Db). A failure is logged, not thrown:
   * the write stands and the next evaluation catches up. Returns what it did (undefined on failure).
   */
  afterWrite: (
    write: StoredWrite,
    tx?: Store,
  ) => EvaluationSummary | undefined | Promise<EvaluationSummary | undefined>
  /** Scores every product now and then every `intervalMs` (time alone makes data stale); returns a stop function. */
  start: (intervalMs: number) => () => void
}

/**
 * The evaluator of a store: main.ts gives its afterWrite to the app's Deps and starts its timer;
 * `collect --db` gives its afterWrite to the one-shot store (no timer).
 */
export function createEvaluator(deps: Deps): Evaluator {
  const log = deps.log ?? SILENT
  const summaryOf = (r: Evaluated): EvaluationSummary => {
    if (r.written.length > 0)
      log.info('evaluated products', { evaluated: r.evaluations.length, changed: r.written.length })
    return {
      evaluated: r.evaluations.map((e) => e.productId),
      changed: r.written,
      alerts: r.alerts,
    }
  }
  const failed = (e: unknown): undefined => {
    log.error('evaluation failed', { error: String(e) })
    return undefined
  }
  const everything = async (): Promise<EvaluationSummary | undefined> => {
    try {
      return summaryOf(await evaluateProducts(deps))
    } catch (e) {
      return failed(e)
    }
  }
  return {
    afterWrite: (write, tx = deps.store) => {
      const program = () => afterWriteProgram(configOf(deps), nowOf(deps), write)
      const done = (r: Evaluated | undefined): EvaluationSummary =>
        r ? summaryOf(r) : { evaluated: [], changed: [], alerts: [] }
      const db = sqliteDbOf(tx)
      if (db) {
        // Synchronously on SQLite: its writers not yet on the Store (ingestEvents) cannot await.
        try {
          return done(db.transaction(() => runOnDb(db, program()), { behavior: 'immediate' }))
        } catch (e) {
          return failed(e)
        }
      }
      // a savepoint: on PostgreSQL a failed statement would otherwise abort the writer's transaction
      return tx.transaction((inner) => runOn(inner, program())).then(done, failed)
    },
    start: (intervalMs) => {
      void (async () => {
        try {
          const unresolved = await applyConfigProducts(deps)
          for (const u of unresolved) log.warn(`meshwatch.yml product output not found yet: ${u}`)
        } catch (e) {
          failed(e)
        }
        await everything()
      })()
      const timer = setInterval(() => void everything(), intervalMs)
      timer.unref()
      return () => clearInterval(timer)
    },
  }
}

/** Violations over the store as configured; a product with an SLA in meshwatch.yml counts as having one. */
export function governanceViolations(deps: Deps) {
  return runOn(deps.store, violations(deps))
}

/** governanceViolations synchronously on a SQLite Db (the gate's scratch store, `meshwatch check`). */
export function governanceViolationsOnDb(db: Db, deps: Deps) {
  return runOnDb(db, violations(deps))
}

function* violations(deps: Deps) {
  const cfg = deps.meshwatch ?? EMPTY_CONFIG
  const facts = yield* call('qualityGraph', 'loadGovernanceFacts')
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
