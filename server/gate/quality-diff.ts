import type { MeshwatchConfig } from '../config-file.ts'
import { governanceOf } from '../config-file.ts'
import { statusRank, type ProductEvaluation } from '../quality/facts.ts'
import { checkPolicies, type Violation } from '../quality/governance.ts'
import { evaluateProduct, summarize } from '../quality/score.ts'
import { resolveSla, slaNumber } from '../quality/sla.ts'
import { governanceFacts, productFacts } from './facts.ts'
import type { Mesh } from './mesh.ts'
import type { GateCheck } from './types.ts'
import type { GateSettings } from './waivers.ts'
import { own } from '../../collectors/own.ts'

/** Scores a product of the mesh with the SLA evaluators, at the clock of the batch that holds it. */
export function scoreProduct(
  mesh: Mesh,
  id: string,
  config: MeshwatchConfig,
  previous?: Mesh,
): ProductEvaluation | undefined {
  const p = mesh.products.get(id)
  if (!p) return undefined
  const sla = resolveSla({
    platform: config.defaults?.sla,
    dbtMeta: p.sla,
    product: own(config.products, id)?.sla,
  })
  const now = mesh.clocks.get(p.project) ?? new Date(0)
  const facts = productFacts(mesh, id, {
    upstreamDepth: slaNumber(sla, 'upstream_depth') ?? 3,
    observedAt: now.toISOString(),
    previous,
  })
  return facts ? evaluateProduct(facts, sla, now) : undefined
}

/**
 * One check per product of the mesh that exists on both sides: fails when its score drops by
 * more than `maxScoreDrop` points, or its status worsens to `failOn` or worse. A side with no
 * data to score by (`unknown`) has no score to drop from or to, and unknown is never a worse
 * status than ok; an unknown baseline that now warns or breaches has worsened.
 */
export function checkProductScores(
  baseline: Mesh,
  current: Mesh,
  config: MeshwatchConfig,
  gate: GateSettings,
): GateCheck[] {
  const out: GateCheck[] = []
  for (const id of [...current.products.keys()].sort()) {
    const before = scoreProduct(baseline, id, config)
    const after = scoreProduct(current, id, config, baseline)
    if (!before || !after) continue
    const drop =
      before.score === null || after.score === null
        ? 0
        : Math.round((before.score - after.score) * 10) / 10
    const worse =
      statusRank(after.status) > statusRank(before.status) &&
      statusRank(after.status) >= statusRank(gate.failOn)
    const failed = drop > gate.maxScoreDrop || worse
    const p = current.products.get(id)
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
    })
  }
  return out
}

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

/** One check per policy: fails on violations the baseline did not have (unwaived, severity warn or error). */
export function checkGovernance(
  baseline: Mesh,
  current: Mesh,
  config: MeshwatchConfig,
  now: Date,
): GateCheck[] {
  const gov = governanceOf(config)
  const hasSla = (id: string) => own(config.products, id)?.sla !== undefined
  const before = checkPolicies(governanceFacts(baseline, hasSla), gov, now)
  const after = checkPolicies(governanceFacts(current, hasSla), gov, now)
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
