import { regressionsOf, type GateCheck, type GateReport } from './types.ts'
import { GATE_CATEGORIES, type GateCategory } from './waivers.ts'

export const CATEGORY_TITLES: Record<GateCategory, string> = {
  tests: 'Tests',
  'breaking-change': 'Breaking changes to public models',
  'private-dependency': "Dependencies on other domains' non-public models",
  'product-score': 'Data product scores',
  governance: 'Governance policies',
  contract: 'Data contracts (ODCS)',
}

/** Per category: how many checks ran and how many failed or were waived. */
export function tally(
  r: GateReport,
): { category: GateCategory; total: number; failed: number; waived: number }[] {
  return GATE_CATEGORIES.map((category) => {
    const cs = r.checks.filter((c) => c.category === category)
    return {
      category,
      total: cs.length,
      failed: cs.filter((c) => c.status === 'fail').length,
      waived: cs.filter((c) => c.status === 'waived').length,
    }
  })
}

export const verdictLine = (r: GateReport): string => {
  const n = regressionsOf(r).length
  return n === 0
    ? `meshwatch gate: PASSED: no regression in ${r.project} against ${r.baseline}`
    : `meshwatch gate: FAILED: ${n} regression${n === 1 ? '' : 's'} in ${r.project} against ${r.baseline}`
}

const locationText = (c: GateCheck): string =>
  c.location ? ` [${c.location.file}${c.location.line ? `:${c.location.line}` : ''}]` : ''

/** The human summary for a CI log: verdict, every regression with its details, then counts. */
export function renderText(r: GateReport): string {
  const lines = [verdictLine(r), '']
  for (const category of GATE_CATEGORIES) {
    const bad = r.checks.filter((c) => c.category === category && c.status !== 'pass')
    if (bad.length === 0) continue
    lines.push(`${CATEGORY_TITLES[category]}:`)
    for (const c of bad) {
      lines.push(`  ✗ ${c.status === 'waived' ? '(waived) ' : ''}${c.message}${locationText(c)}`)
      for (const d of c.details) lines.push(`      ${d}`)
      if (c.waiver) lines.push(`      waived until ${c.waiver.expires}: ${c.waiver.reason}`)
    }
    lines.push('')
  }
  lines.push('Checks:')
  for (const t of tally(r)) {
    if (t.total === 0) continue
    const extra = t.waived > 0 ? `, ${t.waived} waived` : ''
    lines.push(
      `  ${t.failed === 0 ? '✓' : '✗'} ${CATEGORY_TITLES[t.category]}: ${t.total - t.failed - t.waived}/${t.total} ok${extra}`,
    )
  }
  if (r.notes.length > 0) {
    lines.push('', 'Notes:')
    for (const n of r.notes) lines.push(`  - ${n}`)
  }
  return `${lines.join('\n')}\n`
}
