import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readDbtTarget } from '../collectors/dbt/read.ts'
import type { Deps } from './deps.ts'
import { storeCounts } from '../db/queries/admin.ts'
import { ingestBatch } from './ingest.ts'

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url))

/** dbt projects of the demo mesh in dependency order (upstream first). */
export const DEMO_PROJECTS = ['sales', 'finance', 'marketing', 'product'] as const

export type DemoDay = 'good' | 'bad'

/** OPENLINEAGE_NAMESPACE the demo's dbt-ol events were recorded with (fixtures/dbt/README.md). */
export const DEMO_JOB_NAMESPACE = 'meshwatch-demo'

/** The recorded target/ dirs of one demo day, with the profiles dir each was built with. */
export function demoTargets(day: DemoDay, root = FIXTURES): { project: string; target: string; projectDir: string }[] {
  const base = join(root, 'dbt', day)
  if (!existsSync(base)) return []
  const present = new Set(readdirSync(base))
  return DEMO_PROJECTS.filter((p) => present.has(p)).map((p) => ({
    project: p,
    target: join(base, p, 'target'),
    projectDir: join(root, 'dbt', 'projects', p),
  }))
}

/** Loads the demo mesh: the good day, then the bad day on top (so the demo shows breaches). */
export async function loadDemo(deps: Deps, opts: { days?: DemoDay[]; root?: string } = {}) {
  let batches = 0
  let recordedAt = ''
  for (const day of opts.days ?? ['good', 'bad']) {
    for (const t of demoTargets(day, opts.root)) {
      // As recorded: profiles.yml next to the project, its env_var default, dbt-ol's job namespace.
      const batch = await readDbtTarget(t.target, {
        projectDir: t.projectDir,
        profilesDir: t.projectDir,
        jobNamespace: DEMO_JOB_NAMESPACE,
        env: {},
      })
      ingestBatch(deps, batch)
      batches++
      if (batch.producedAt && batch.producedAt > recordedAt) recordedAt = batch.producedAt
    }
  }
  const c = storeCounts(deps.db)
  const summary = `${c.domains} domains, ${c.datasets} datasets, ${c.jobs} jobs, ${c.products} products from ${batches} dbt builds in fixtures/`
  return { counts: c, summary, recordedAt }
}

/**
 * The demo's clock: the recording time (plus a few minutes, as if just collected) advancing with
 * the wall clock from the moment the demo was loaded. Recorded artifacts would otherwise all look
 * days stale to the freshness SLA on whatever day someone starts the demo.
 */
export function demoClock(anchor: DemoClockAnchor, wallNow: () => number = Date.now): () => Date {
  const offset = Date.parse(anchor.recordedAt) + DEMO_SETTLE_MS - Date.parse(anchor.loadedAt)
  return () => new Date(wallNow() + offset)
}

export interface DemoClockAnchor {
  recordedAt: string
  loadedAt: string
}

const DEMO_SETTLE_MS = 5 * 60_000
