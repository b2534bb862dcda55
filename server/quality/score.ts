import type { DimensionResult, ProductEvaluation, ProductFacts } from './facts.ts'
import { worst } from './facts.ts'
import { scoreFreshness } from './freshness.ts'
import { scoreReliability } from './reliability.ts'
import { scoreSchema } from './schema-dim.ts'
import { slaNumber, type EffectiveSla } from './sla.ts'
import { scoreTests } from './tests-dim.ts'
import { scoreVolume } from './volume.ts'

/**
 * Scores one product against its effective SLA at `now`. Dimensions without a promise and
 * without data are left out; the score is the weighted mean of the rest (100 when none),
 * the status the worst of them.
 */
export function evaluateProduct(facts: ProductFacts, sla: EffectiveSla, now: Date): ProductEvaluation {
  const dims = [
    scoreFreshness(facts.outputs, facts.upstream, sla, now),
    scoreTests(facts.outputs, facts.upstream, sla),
    scoreVolume(facts.outputs, sla),
    scoreSchema(facts.outputs, sla, now),
    scoreReliability(facts.outputs, sla, now),
  ].filter((d): d is DimensionResult => d !== undefined)
  let weighted = 0
  let weights = 0
  for (const d of dims) {
    const w = slaNumber(sla, `weights.${d.dimension}`) ?? 0
    weighted += w * d.score
    weights += w
  }
  const score = dims.length === 0 ? 100 : weights === 0 ? Math.min(...dims.map((d) => d.score)) : weighted / weights
  return {
    productId: facts.id,
    evaluatedAt: now.toISOString(),
    score: Math.round(score * 10) / 10,
    status: worst(...dims.map((d) => d.status)),
    dimensions: dims,
  }
}

/** A short sentence for the whole product: the worst dimension's reason. */
export function summarize(e: ProductEvaluation): string {
  const bad = e.dimensions.filter((d) => d.status === e.status && e.status !== 'ok').sort((a, b) => a.score - b.score)
  if (bad.length === 0) return e.dimensions.length === 0 ? 'nothing promised or observed yet' : 'meets its SLA'
  return bad.map((d) => `${d.dimension}: ${d.reason}`).join('; ')
}
