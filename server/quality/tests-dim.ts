import {
  worst,
  type AssertionFact,
  type DimensionResult,
  type OutputFacts,
  type KnownStatus,
  type UpstreamFacts,
} from './facts.ts'
import { noData, type EffectiveSla } from './sla.ts'

const FAILING = new Set(['fail', 'error', 'warn'])
const WEIGHT: Record<string, number> = { error: 1, warn: 0.5 }

const isFailing = (a: AssertionFact) => FAILING.has(a.status)
// A test configured as warn that fails is a warning; an error-severity test failing (or erroring) breaches.
const failureStatus = (a: AssertionFact): KnownStatus =>
  a.severity === 'error' && a.status !== 'warn' ? 'breach' : 'warn'

/**
 * Tests: severity-weighted pass rate of the latest result of each test on the outputs
 * (skipped tests are ignored); optionally, failing error tests upstream warn or breach too.
 */
export function scoreTests(
  outputs: OutputFacts[],
  upstream: UpstreamFacts[],
  sla: EffectiveSla,
): DimensionResult | undefined {
  const results = outputs.flatMap((o) =>
    o.assertions.filter((a) => a.status !== 'skipped').map((a) => ({ a, on: o.name })),
  )
  const upstreamMode = sla.tests.upstream
  const upstreamFailures =
    upstreamMode === 'off'
      ? []
      : upstream.flatMap((u) =>
          u.assertions
            .filter((a) => isFailing(a) && failureStatus(a) === 'breach')
            .map((a) => ({ a, u })),
        )
  if (results.length === 0 && upstreamFailures.length === 0)
    return noData(sla, 'tests', 'no test results on the outputs')
  let total = 0
  let passed = 0
  for (const { a } of results) {
    const w = WEIGHT[a.severity] ?? 1
    total += w
    if (!isFailing(a)) passed += w
  }
  const rate = total === 0 ? 1 : passed / total
  const failing = results.filter((r) => isFailing(r.a))
  const breaching = failing.filter((r) => failureStatus(r.a) === 'breach')
  const minRate = sla.tests.min_pass_rate
  let status: KnownStatus =
    breaching.length > 0 || rate < minRate ? 'breach' : failing.length > 0 ? 'warn' : 'ok'
  const parts: string[] = []
  if (failing.length > 0) {
    const first = breaching[0] ?? failing[0]
    parts.push(
      `${failing.length} of ${results.length} tests failing on the outputs, e.g. ${first?.a.name} on ${first?.on} (severity ${first?.a.severity})`,
    )
  } else if (results.length > 0) {
    parts.push(`all ${results.length} tests pass on the outputs`)
  }
  if (rate < minRate) parts.push(`pass rate ${pct(rate)} is under the promised ${pct(minRate)}`)
  if (upstreamFailures.length > 0) {
    const f = upstreamFailures.sort((x, y) => x.u.depth - y.u.depth)[0]
    const upStatus: KnownStatus = upstreamMode === 'breach' ? 'breach' : 'warn'
    status = worst(status, upStatus)
    parts.push(
      `upstream test ${f?.a.name} fails on ${f?.u.name} (domain ${f?.u.domain ?? 'unknown'}, ${f?.u.depth} hop${f?.u.depth === 1 ? '' : 's'} up)`,
    )
  }
  const score = Math.round(rate * 100) - (upstreamFailures.length > 0 ? 30 : 0)
  return {
    dimension: 'tests',
    status,
    score: Math.max(0, Math.min(100, score)),
    reason: parts.join('; '),
    detail: {
      results: results.length,
      failing: failing.length,
      passRate: rate,
      upstreamFailing: upstreamFailures.length,
    },
  }
}

const pct = (r: number) => `${Math.round(r * 1000) / 10}%`
