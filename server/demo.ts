import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { collectAirflow } from '../collectors/airflow/collect.ts'
import { readDbtTarget } from '../collectors/dbt/read.ts'
import { recordedAirflowFetch, recordedPolls } from '../fixtures/airflow/replay.ts'
import type { Deps } from './deps.ts'
import { listDbtModelNames, storeCounts } from '../db/queries/admin.ts'
import { ingestBatch } from './ingest.ts'

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url))

/** dbt projects of the demo mesh in dependency order (upstream first). */
export const DEMO_PROJECTS = ['sales', 'finance', 'marketing', 'product'] as const

export type DemoDay = 'good' | 'bad'

/** OPENLINEAGE_NAMESPACE the demo's dbt-ol events were recorded with (fixtures/dbt/README.md). */
export const DEMO_JOB_NAMESPACE = 'meshwatch-demo'

/** The recorded target/ dirs of one demo day, with the profiles dir each was built with. */
export function demoTargets(
  day: DemoDay,
  root = FIXTURES,
): { project: string; target: string; projectDir: string }[] {
  const base = join(root, 'dbt', day)
  if (!existsSync(base)) return []
  const present = new Set(readdirSync(base))
  return DEMO_PROJECTS.filter((p) => present.has(p)).map((p) => ({
    project: p,
    target: join(base, p, 'target'),
    projectDir: join(root, 'dbt', 'projects', p),
  }))
}

/**
 * Loads the demo mesh: the good day, then the bad day on top (so the demo shows breaches), then
 * the demo Airflow's DAGs, runs and assets from its recorded REST responses (unless `airflow: false`).
 */
export async function loadDemo(
  deps: Deps,
  opts: { days?: DemoDay[]; root?: string; airflow?: boolean } = {},
) {
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
  const airflow = opts.airflow !== false ? await loadDemoAirflow(deps, opts.root) : 0
  const c = storeCounts(deps.db)
  const summary = `${c.domains} domains, ${c.datasets} datasets, ${c.jobs} jobs, ${c.products} products from ${batches} dbt builds and ${airflow} Airflow DAGs in fixtures/`
  return { counts: c, summary, recordedAt }
}

/** The demo Airflow (fixtures/airflow/v2, recorded from Airflow 3), collected through its recording. */
async function loadDemoAirflow(deps: Deps, root = FIXTURES): Promise<number> {
  const dir = join(root, 'airflow', 'v2')
  if (!existsSync(join(dir, '_polls.json'))) return 0
  const { url, pageSize } = recordedPolls(dir)
  const { batch } = await collectAirflow({
    url,
    auth: { username: 'admin', password: 'admin' },
    apiVersion: 'v2',
    pageSize,
    fetch: recordedAirflowFetch(dir),
    retries: 0,
    dbtModels: listDbtModelNames(deps.db),
  })
  ingestBatch(deps, batch)
  return batch.jobs.filter((j) => j.type === 'airflow_dag').length
}
