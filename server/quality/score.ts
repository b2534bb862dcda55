import type { DimensionResult, ProductEvaluation, ProductFacts } from './facts.ts'
import { worst } from './facts.ts'
import { scoreFreshness } from './freshness.ts'
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
  const dims = [
    scoreFreshness(facts.outputs, facts.upstream, sla, now),
    scoreTests(facts.outputs, facts.upstream, sla),
    scoreVolume(facts.outputs, sla),
    scoreSchema(facts.outputs, sla, now),
    scoreReliability(facts.outputs, sla, now),
  ].filter((d): d is DimensionResult => d !== undefined)
  const base = { productId: facts.id, evaluatedAt: now.toISOString(), dimensions: dims }
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
