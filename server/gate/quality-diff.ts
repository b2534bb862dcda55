import { statusRank, type ProductEvaluation } from '../quality/facts.ts'
import type { Violation } from '../quality/governance.ts'
import { summarize } from '../quality/score.ts'
import type { ScoredSide } from './store.ts'
import type { GateCheck } from './types.ts'
import type { GateSettings } from './waivers.ts'

/**
 * One check per product scored on both sides (server/gate/store.ts): fails when its score drops by
 * more than `maxScoreDrop` points, or its status worsens to `failOn` or worse. A side with no
 * data to score by (`unknown`) has no score to drop from or to, and unknown is never a worse
 * status than ok; an unknown baseline that now warns or breaches has worsened.
 */
export function checkProductScores(
  baseline: ScoredSide,
  current: ScoredSide,
  gate: GateSettings,
): GateCheck[] {
  const out: GateCheck[] = []
  for (const id of [...current.products.keys()].sort()) {
    const before = baseline.products.get(id)?.evaluation
    const p = current.products.get(id)
    const after = p?.evaluation
    if (!before || !after) continue
    const drop =
      before.score === null || after.score === null
        ? 0
        : Math.round((before.score - after.score) * 10) / 10
    const worse =
      statusRank(after.status) > statusRank(before.status) &&
      statusRank(after.status) >= statusRank(gate.failOn)
    const failed = drop > gate.maxScoreDrop || worse
    const reasons = [
      ...(drop > gate.maxScoreDrop
        ? [`score dropped ${drop} points (limit ${gate.maxScoreDrop})`]
        : []),
      ...(worse ? [`status worsened from ${before.status} to ${after.status}`] : []),
    ]
    out.push({
      id: `product-score:${id}`,
      category: 'product-score',
      name: `product ${id} keeps its score`,
      status: failed ? 'fail' : 'pass',
      message: failed
        ? `product ${id} (${p?.domain}): ${reasons.join(', ')}: ${scoreText(before)} → ${scoreText(after)}`
        : `${scoreText(before)} → ${scoreText(after)}`,
      details: failed ? detailsOf(before, after) : [],
      targets: [id],
      domain: p?.domain,
      scores: { before: scoreOf(before), after: scoreOf(after) },
    })
  }
  return out
}

const scoreOf = (e: ProductEvaluation) => ({
  score: e.score,
  status: e.status,
  evaluatedAt: e.evaluatedAt,
})

const scoreText = (e: Pick<ProductEvaluation, 'score' | 'status'>): string =>
  e.score === null ? 'unknown (no data to score by)' : `${e.score} ${e.status}`

const dimText = (d: Pick<ProductEvaluation, 'score' | 'status'>): string =>
  d.score === null ? 'unknown' : `${d.score} ${d.status}`

function detailsOf(before: ProductEvaluation, after: ProductEvaluation): string[] {
  const dims = changedDimensions(before, after)
  return dims.length > 0 ? dims : [`now: ${summarize(after)}`]
}

function changedDimensions(before: ProductEvaluation, after: ProductEvaluation): string[] {
  return after.dimensions.flatMap((d) => {
    const b = before.dimensions.find((x) => x.dimension === d.dimension)
    if (b && b.score === d.score && b.status === d.status) return []
    return [`${d.dimension}: ${b ? dimText(b) : 'not scored'} → ${dimText(d)}: ${d.reason}`]
  })
}

// Covered, with the reader's and owner's names, by the private-dependency check.
const COVERED = new Set(['no-cross-domain-private-read'])

/**
 * One check per policy: fails on violations the baseline did not have (unwaived, severity warn
 * or error), both sides checked by the server's governance (server/gate/store.ts).
 */
export function checkGovernance(baseline: ScoredSide, current: ScoredSide): GateCheck[] {
  const before = baseline.violations
  const after = current.violations
  const key = (v: Violation) => `${v.policy}|${v.target}`
  const old = new Set(before.map(key))
  const fresh = after.filter(
    (v) => !old.has(key(v)) && !v.waived && v.severity !== 'info' && !COVERED.has(v.policy),
  )
  const policies = [...new Set([...after.map((v) => v.policy), ...fresh.map((v) => v.policy)])]
    .filter((p) => !COVERED.has(p))
    .sort()
  return policies.map((policy) => {
    const mine = fresh.filter((v) => v.policy === policy)
    return {
      id: `governance:${policy}`,
      category: 'governance',
      name: `no new violation of ${policy}`,
      status: mine.length > 0 ? 'fail' : 'pass',
      message:
        mine.length > 0
          ? `${mine.length} new violation${mine.length === 1 ? '' : 's'} of ${policy}: ${mine.map((v) => v.message).join('; ')}`
          : `no new violation (${after.filter((v) => v.policy === policy).length} existing)`,
      details: mine.map((v) => `${v.severity}: ${v.target}: ${v.message}`),
      targets: [policy, ...mine.map((v) => `${policy}:${v.target}`), ...mine.map((v) => v.target)],
      domain: mine[0]?.domain ?? undefined,
    }
  })
}
