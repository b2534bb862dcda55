import { EMPTY_CONFIG } from '../config-file.ts'
import { nowOf, type Deps } from '../deps.ts'
import { runOn } from '../store-program.ts'
import { attachContractsProgram } from './facts.ts'
import { effectiveSlaOf } from '../evaluate.ts'
import type { ContractEvaluation } from '../quality/contract-score.ts'
import { evaluateWithContracts } from '../quality/score.ts'
import type { EffectiveSla } from '../quality/sla.ts'

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
  await runOn(deps.store, attachContractsProgram([f]))
  const r = evaluateWithContracts(f, declared, now)
  return { sla: r.sla, contracts: r.contracts }
}
