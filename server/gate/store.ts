import type { Batch } from '../../collectors/batch.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import { closeDb, openDb } from '../../db/client.ts'
import { sqliteStore } from '../../db/store.ts'
import { listProducts } from '../../db/queries/catalog.ts'
import { storeContracts } from '../../db/queries/contracts.ts'
import type { MeshwatchConfig } from '../config-file.ts'
import { contractsToStore } from '../contracts/ingest.ts'
import type { Deps } from '../deps.ts'
import {
  applyConfigProductsOnDb,
  governanceViolationsOnDb,
  scoreProductsOnDb,
} from '../evaluate.ts'
import { ingestBatchOnDb } from '../ingest.ts'
import type { ProductEvaluation } from '../quality/facts.ts'
import type { Violation } from '../quality/governance.ts'
import { clockOf } from './mesh.ts'
import { sqliteDb } from '../deps.ts'

/**
 * Not on the Store (#16 ratchet): the gate scores with the evaluator (server/evaluate.ts), which
 * still takes the SQLite Db, and evaluateGate is sync; its store is always SQLite in memory.
 */
const NOT_MOVED = 'the gate on a server store (server/gate/store.ts)'

/** A product as one side of the gate scores it: what `serve` would report on the same batches. */
export interface ScoredProduct {
  id: string
  domain: string
  evaluation: ProductEvaluation
}

/** One side of the comparison, scored by the server's own loaders and evaluators. */
export interface ScoredSide {
  /** by product id, sorted */
  products: Map<string, ScoredProduct>
  violations: Violation[]
}

/**
 * Scores both sides of the gate the way `serve` does: the baseline batches are stored, in the
 * order given, in an in-memory store (db/client.ts, every migration) with the server's ingest,
 * production's contracts are collected, meshwatch.yml's products are applied, and every product is
 * evaluated (server/evaluate.ts) and the governance policies checked; then the changed project's
 * build and the pull request's contracts are stored on top, as collecting them would (a contract
 * the PR deleted stays, as on the server), and the same runs again.
 *
 * A product is scored at the clock of the batch that declares it (the time that build describes),
 * so production's products are not judged stale at the pull request's time; a product only
 * meshwatch.yml declares, at the newest clock of its side. A product the change removed from its
 * project (the store keeps its row, as the server's does) is not on the after side.
 */
export function scoreOnStore(
  baseline: readonly Batch[],
  current: Batch,
  config: MeshwatchConfig,
  now: Date,
  contracts: { baseline: readonly ContractDoc[]; current: readonly ContractDoc[] } = {
    baseline: [],
    current: [],
  },
): { before: ScoredSide; after: ScoredSide } {
  const db = openDb(':memory:')
  try {
    const deps: Deps = { store: sqliteStore(db), meshwatch: config, now: () => now }
    for (const b of baseline) ingestBatchOnDb(db, deps, b)
    const collect = (docs: readonly ContractDoc[]) =>
      storeContracts(db, contractsToStore(docs, null), { now: now.toISOString() })
    collect(contracts.baseline)
    applyConfigProductsOnDb(db, deps)
    const before = scoreSide(deps, baseline)
    ingestBatchOnDb(db, deps, current)
    collect(contracts.current)
    applyConfigProductsOnDb(db, deps)
    const others = baseline.filter((b) => b.scope !== current.scope)
    const removed = new Set(
      baseline.filter((b) => b.scope === current.scope).flatMap((b) => b.products.map((p) => p.id)),
    )
    for (const b of [...others, current]) for (const p of b.products) removed.delete(p.id)
    const after = scoreSide(deps, [...others, current], removed)
    return { before, after }
  } finally {
    closeDb(db)
  }
}

function scoreSide(
  deps: Deps,
  batches: readonly Batch[],
  removed: ReadonlySet<string> = new Set(),
): ScoredSide {
  const clockOfScope = new Map(batches.map((b) => [b.scope, clockOf(b).getTime()]))
  const newest = Math.max(0, ...clockOfScope.values())
  const declaredBy = new Map<string, string>()
  for (const b of batches) for (const p of b.products) declaredBy.set(p.id, b.scope)
  const rows = listProducts(sqliteDb(deps, NOT_MOVED)).filter((p) => !removed.has(p.id))
  const byClock = new Map<number, string[]>()
  for (const p of rows) {
    const scope = declaredBy.get(p.id)
    const at = (scope === undefined ? undefined : clockOfScope.get(scope)) ?? newest
    byClock.set(at, [...(byClock.get(at) ?? []), p.id])
  }
  const evaluations = new Map<string, ProductEvaluation>()
  for (const [at, productIds] of byClock) {
    const r = scoreProductsOnDb(sqliteDb(deps, NOT_MOVED), deps, { productIds, now: new Date(at) })
    for (const e of r.evaluations) evaluations.set(e.productId, e)
  }
  const products = new Map<string, ScoredProduct>()
  for (const p of [...rows].sort((a, b) => a.id.localeCompare(b.id))) {
    const evaluation = evaluations.get(p.id)
    if (evaluation) products.set(p.id, { id: p.id, domain: p.domain, evaluation })
  }
  return { products, violations: governanceViolationsOnDb(sqliteDb(deps, NOT_MOVED), deps) }
}
