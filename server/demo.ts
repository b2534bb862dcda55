import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readDbtTarget } from '../collectors/dbt/read.ts'
import type { Deps } from './deps.ts'
import { ingestBatch } from './ingest.ts'

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url))

/** dbt projects of the demo mesh in dependency order (upstream first). */
export const DEMO_PROJECTS = ['sales', 'finance', 'marketing', 'product'] as const

export type DemoDay = 'good' | 'bad'

/** The recorded target/ dirs of one demo day, with the profiles dir each was built with. */
export function demoTargets(day: DemoDay, root = FIXTURES): { project: string; target: string; profilesDir: string }[] {
  const base = join(root, 'dbt', day)
  if (!existsSync(base)) return []
  const present = new Set(readdirSync(base))
  return DEMO_PROJECTS.filter((p) => present.has(p)).map((p) => ({
    project: p,
    target: join(base, p, 'target'),
    profilesDir: join(root, 'dbt', 'projects', p),
  }))
}

/** Loads the demo mesh: the good day, then the bad day on top (so the demo shows breaches). */
export async function loadDemo(deps: Deps, opts: { days?: DemoDay[]; root?: string } = {}) {
  const counts: Record<string, number> = {}
  for (const day of opts.days ?? ['good', 'bad']) {
    for (const t of demoTargets(day, opts.root)) {
      const batch = await readDbtTarget(t.target, { profilesDir: t.profilesDir })
      const r = ingestBatch(deps, batch)
      for (const [k, v] of Object.entries(r.counts)) counts[k] = Math.max(counts[k] ?? 0, 0) + v
    }
  }
  const summary = `${counts.datasets ?? 0} datasets, ${counts.jobs ?? 0} jobs, ${counts.products ?? 0} products (from fixtures/)`
  return { counts, summary }
}
