import { EMPTY_CONFIG } from '../config-file.ts'
import { nowOf, type Deps, sqliteDb } from '../deps.ts'
import { attachContracts } from './facts.ts'
import { effectiveSlaOf } from '../evaluate.ts'
import type { ContractEvaluation } from '../quality/contract-score.ts'
import { evaluateWithContracts } from '../quality/score.ts'
import type { EffectiveSla } from '../quality/sla.ts'

/** What is not on PostgreSQL yet (#16 ratchet): attachContracts (facts.ts) still takes the SQLite Db. */
const NOT_MOVED = 'data contracts (server/contracts/)'

/**
 * A product's effective SLA with its contract's layer, and its contracts checked now, the way
 * the evaluator scores them (loadProductFacts → attachContracts in evaluate.ts → score.ts).
 */
export async function productContracts(
  deps: Deps,
  product: { id: string; sla: Record<string, unknown> | null },
): Promise<{ sla: EffectiveSla; contracts: ContractEvaluation[] }> {
  const cfg = deps.meshwatch ?? EMPTY_CONFIG
  const declared = effectiveSlaOf(cfg, product)
  const now = nowOf(deps)
  const { facts } = await deps.store.quality.loadProductFacts({
    productIds: [product.id],
    now,
    windowDays: Math.max(30, declared.reliability.window_days),
    upstreamDepth: declared.upstream_depth,
    links: cfg.links,
  })
  const [f] = facts
  if (!f) return { sla: declared, contracts: [] }
  attachContracts(sqliteDb(deps, NOT_MOVED), [f])
  const r = evaluateWithContracts(f, declared, now)
  return { sla: r.sla, contracts: r.contracts }
}
