import { combine } from './freshness.ts'
import type { DimensionResult, OutputFacts, KnownStatus } from './facts.ts'
import { HOUR } from './facts.ts'
import { noData, type EffectiveSla } from './sla.ts'

export interface SchemaChange {
  removed: string[]
  retyped: { name: string; from?: string | undefined; to?: string | undefined }[]
  added: string[]
}

/** Differences between two column lists; a renamed column shows as removed + added. */
export function diffColumns(
  before: { name: string; type?: string }[],
  after: { name: string; type?: string }[],
): SchemaChange {
  const key = (n: string) => n.toLowerCase()
  const was = new Map(before.map((c) => [key(c.name), c]))
  const now = new Map(after.map((c) => [key(c.name), c]))
  const removed = before.filter((c) => !now.has(key(c.name))).map((c) => c.name)
  const added = after.filter((c) => !was.has(key(c.name))).map((c) => c.name)
  const retyped = after.flatMap((c) => {
    const old = was.get(key(c.name))
    if (!old || !old.type || !c.type || old.type.toLowerCase() === c.type.toLowerCase()) return []
    return [{ name: c.name, from: old.type, to: c.type }]
  })
  return { removed, retyped, added }
}

/**
 * Schema: a breaking change (column removed or retyped) between the last two versions of an
 * output is `on_breaking` until `settle_hours` after it was observed; a required contract that
 * is not enforced breaches. Product outputs are public ports, so all their columns count.
 */
export function scoreSchema(
  outputs: OutputFacts[],
  sla: EffectiveSla,
  now: Date,
): DimensionResult | undefined {
  const onBreaking: KnownStatus = sla.schema.on_breaking
  const settleMs = sla.schema.settle_hours * HOUR
  const requireContract = sla.schema.require_contract
  const verdicts: { status: KnownStatus; score: number; reason: string }[] = []
  for (const o of outputs) {
    if (requireContract && o.contractEnforced !== true) {
      verdicts.push({
        status: 'breach',
        score: 30,
        reason: `${o.name} has no enforced contract, which its SLA requires`,
      })
    }
    const [before, after] =
      o.versions.length >= 2 ? o.versions.slice(-2) : [undefined, o.versions[0]]
    if (!after) continue
    if (!before) {
      verdicts.push({
        status: 'ok',
        score: 100,
        reason: `${o.name}: no schema change since first seen`,
      })
      continue
    }
    const d = diffColumns(before.columns, after.columns)
    const breaking = d.removed.length + d.retyped.length > 0
    const age = now.getTime() - Date.parse(after.observedAt)
    if (breaking && age < settleMs) {
      const what = [
        ...d.removed.map((c) => `removed ${c}`),
        ...d.retyped.map((c) => `${c.name} ${c.from} → ${c.to}`),
      ].join(', ')
      verdicts.push({
        status: onBreaking,
        score: onBreaking === 'breach' ? 20 : 60,
        reason: `breaking change on ${o.name} at ${after.observedAt}: ${what}`,
      })
    } else {
      verdicts.push({
        status: 'ok',
        score: 100,
        reason: breaking
          ? `${o.name}: last breaking change settled`
          : `${o.name}: no breaking change${d.added.length ? ` (added ${d.added.join(', ')})` : ''}`,
      })
    }
  }
  if (verdicts.length === 0) return noData(sla, 'schema', 'no schema observed for the outputs')
  return combine('schema', verdicts)
}
