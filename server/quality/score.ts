import type { ContractCheck } from './contract-check.ts'
import {
  foldable,
  scoreContracts,
  slaWithContract,
  type ContractEvaluation,
} from './contract-score.ts'
import type { DimensionResult, ProductEvaluation, ProductFacts } from './facts.ts'
import { worst } from './facts.ts'
import { DIMENSIONS } from '../../common/vocab.ts'
import { combine, scoreFreshness } from './freshness.ts'
import { scoreReliability } from './reliability.ts'
import { scoreSchema } from './schema-dim.ts'
import type { EffectiveSla } from './sla.ts'
import { scoreTests } from './tests-dim.ts'
import { scoreVolume } from './volume.ts'

/**
 * Scores one product against its effective SLA at `now`. A dimension without data is `unknown`
 * (a `warn` "no data yet" when the SLA promises it; left out with `on_no_data: skip`). The score
 * is the weighted mean of the dimensions with data, the status the worst of them; a product with
 * no dimension to judge by is `unknown`, with no score: nothing observed is not "100, ok".
 */
export function evaluateProduct(
  facts: ProductFacts,
  sla: EffectiveSla,
  now: Date,
): ProductEvaluation {
  return evaluateWithContracts(facts, sla, now).evaluation
}

/**
 * evaluateProduct, with the product's ODCS contracts: their layer joins the effective SLA
 * (resolveSla's precedence), each promise is checked, and the checks with a dimension of their
 * own (frequency, timeOfAvailability, schema[] columns) count in that dimension. An open
 * episode past the contract's timeToRepair makes reliability breach while the product is not ok.
 */
export function evaluateWithContracts(
  facts: ProductFacts,
  declared: EffectiveSla,
  now: Date,
): { evaluation: ProductEvaluation; sla: EffectiveSla; contracts: ContractEvaluation[] } {
  const sla = facts.contracts?.length ? slaWithContract(facts, declared) : declared
  const contracts = facts.contracts?.length ? scoreContracts(facts, sla, now) : []
  let dims = [
    scoreFreshness(facts.outputs, facts.upstream, sla, now),
    scoreTests(facts.outputs, facts.upstream, sla),
    scoreVolume(facts.outputs, sla),
    scoreSchema(facts.outputs, sla, now),
    scoreReliability(facts.outputs, sla, now),
  ].filter((d): d is DimensionResult => d !== undefined)
  const checks = contracts.flatMap((c) => c.checks).filter(foldable)
  const repair = checks.filter((c) => c.kind === 'sla' && c.name === 'timeToRepair')
  dims = fold(
    dims,
    checks.filter((c) => !repair.includes(c)),
  )
  // Only while something else keeps the product not ok: else the overdue repair would hold the
  // episode open by itself.
  if (repair.length > 0 && dims.some((d) => d.status === 'warn' || d.status === 'breach'))
    dims = fold(dims, repair)
  return { evaluation: combineDimensions(facts.id, dims, sla, now), sla, contracts }
}

function fold(dims: DimensionResult[], checks: ContractCheck[]): DimensionResult[] {
  const out = [...dims]
  for (const c of checks) {
    if (c.dimension === null || c.score === null || c.status === 'unknown') continue
    const i = out.findIndex((d) => d.dimension === c.dimension)
    const have = out[i]
    const verdict = { status: c.status, score: c.score, reason: c.reason }
    if (!have || have.status === 'unknown') {
      const d = combine(c.dimension, [verdict])
      if (have) out[i] = d
      else out.push(d)
      continue
    }
    const merged = combine(c.dimension, [
      { status: have.status, score: have.score, reason: have.reason },
      verdict,
    ])
    out[i] = have.detail ? { ...merged, detail: have.detail } : merged
  }
  return out.sort((a, b) => DIMENSIONS.indexOf(a.dimension) - DIMENSIONS.indexOf(b.dimension))
}

function combineDimensions(
  productId: string,
  dims: DimensionResult[],
  sla: EffectiveSla,
  now: Date,
): ProductEvaluation {
  const base = { productId, evaluatedAt: now.toISOString(), dimensions: dims }
  const known = dims.flatMap((d) => (d.status === 'unknown' ? [] : [d]))
  const [first, ...rest] = known
  if (!first) return { ...base, score: null, status: 'unknown' }
  let weighted = 0
  let weights = 0
  for (const d of known) {
    const w = sla.weights[d.dimension]
    weighted += w * d.score
    weights += w
  }
  const score = weights === 0 ? Math.min(...known.map((d) => d.score)) : weighted / weights
  return {
    ...base,
    score: Math.round(score * 10) / 10,
    status: worst(first.status, ...rest.map((d) => d.status)),
  }
}

/** A short sentence for the whole product: the worst dimension's reason. */
export function summarize(e: ProductEvaluation): string {
  if (e.status === 'unknown')
    return e.dimensions.length === 0
      ? 'nothing promised or observed yet'
      : `unknown: ${e.dimensions.map((d) => `${d.dimension}: ${d.reason}`).join('; ')}`
  const bad = e.dimensions
    .filter((d) => d.status === e.status && e.status !== 'ok')
    .sort((a, b) => (a.score ?? 0) - (b.score ?? 0))
  if (bad.length === 0) return 'meets its SLA'
  return bad.map((d) => `${d.dimension}: ${d.reason}`).join('; ')
}
