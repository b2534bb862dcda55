import { CATEGORY_TITLES, tally, verdictLine } from './text.ts'
import { regressionsOf, type GateReport } from './types.ts'
import { GATE_CATEGORIES } from './waivers.ts'

// `_` is left alone: GitHub never emphasises inside a word, and names are full of them
const esc = (s: string): string => s.replace(/([\\`*[\]|<>])/g, '\\$1')
const code = (s: string): string => `\`${s.replace(/`/g, "'")}\``

/** A PR comment / GitHub step summary: verdict, a table per category, each regression in detail. */
export function renderMarkdown(r: GateReport): string {
  const failed = regressionsOf(r).length > 0
  const out = [
    `## ${failed ? '❌' : '✅'} ${esc(verdictLine(r).replace(/^meshwatch gate: /, 'meshwatch gate — '))}`,
    '',
  ]
  out.push('| check | ok | failed | waived |', '|---|---:|---:|---:|')
  for (const t of tally(r)) {
    if (t.total > 0)
      out.push(
        `| ${CATEGORY_TITLES[t.category]} | ${t.total - t.failed - t.waived} | ${t.failed} | ${t.waived} |`,
      )
  }
  out.push('')
  for (const category of GATE_CATEGORIES) {
    const bad = r.checks.filter((c) => c.category === category && c.status !== 'pass')
    if (bad.length === 0) continue
    out.push(`### ${CATEGORY_TITLES[category]}`, '')
    for (const c of bad) {
      const where = c.location
        ? ` (${code(`${c.location.file}${c.location.line ? `:${c.location.line}` : ''}`)})`
        : ''
      out.push(`- ${c.status === 'waived' ? '**waived** ' : ''}${esc(c.message)}${where}`)
      const consumers = c.consumers ?? []
      const other = c.details.filter((d) => !d.startsWith('consumer: '))
      for (const d of other) out.push(`  - ${esc(d)}`)
      if (c.status === 'fail' && consumers.length > 0) {
        out.push('', '  | domain | consumer | owner |', '  |---|---|---|')
        for (const k of consumers)
          out.push(`  | ${esc(k.domain)} | ${k.kind} ${code(k.name)} | ${esc(k.owner ?? '')} |`)
        out.push('')
      }
      if (c.waiver) out.push(`  - waived until ${c.waiver.expires}: ${esc(c.waiver.reason)}`)
    }
    out.push('')
  }
  if (r.notes.length > 0) {
    out.push('<details><summary>Notes</summary>', '')
    for (const n of r.notes) out.push(`- ${esc(n)}`)
    out.push('', '</details>', '')
  }
  return out.join('\n')
}
