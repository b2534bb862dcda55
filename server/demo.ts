import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { readDbtTarget } from '../collectors/dbt/read.ts'
import type { Batch } from '../collectors/batch.ts'
import type { Deps } from './deps.ts'
import { collectDemoAirflowDay, collectRecordedAirflow } from './demo-airflow.ts'
import {
  DAY_MS,
  DEMO_EVALUATION_HOURS,
  DEMO_TIMELINE,
  demoDayDir,
  shiftBatch,
  type DemoDay,
} from './demo-timeline.ts'
import { applyConfigProducts, evaluateProducts } from './evaluate.ts'
import { ingestBatch } from './ingest.ts'

export { DEMO_TIMELINE, type DemoDay } from './demo-timeline.ts'

export const FIXTURES = fileURLToPath(new URL('../fixtures', import.meta.url))

/** dbt projects of the demo mesh in dependency order (upstream first). */
export const DEMO_PROJECTS = ['sales', 'finance', 'marketing', 'product'] as const

/** OPENLINEAGE_NAMESPACE the demo's dbt-ol events were recorded with (fixtures/dbt/README.md). */
export const DEMO_JOB_NAMESPACE = 'meshwatch-demo'

/** The recorded target/ dirs of one demo day, with the profiles dir each was built with. */
export function demoTargets(
  day: DemoDay,
  root = FIXTURES,
): { project: string; target: string; projectDir: string }[] {
  const base = join(root, 'dbt', demoDayDir(day))
  if (!existsSync(base)) return []
  const present = new Set(readdirSync(base))
  return DEMO_PROJECTS.filter((p) => present.has(p)).map((p) => ({
    project: p,
    target: join(base, p, 'target'),
    projectDir: join(root, 'dbt', 'projects', p),
  }))
}

/** One recorded day's dbt builds, read as recorded (upstream projects first). */
async function readDemoDay(day: DemoDay, root?: string): Promise<Batch[]> {
  const out: Batch[] = []
  for (const t of demoTargets(day, root)) {
    // As recorded: profiles.yml next to the project, its env_var default, dbt-ol's job namespace.
    out.push(
      await readDbtTarget(t.target, {
        projectDir: t.projectDir,
        profilesDir: t.projectDir,
        jobNamespace: DEMO_JOB_NAMESPACE,
        env: {},
      }),
    )
  }
  return out
}

const latestProducedAt = (batches: readonly Batch[]): string =>
  batches.reduce((a, b) => (b.producedAt && b.producedAt > a ? b.producedAt : a), '')

/**
 * Loads the demo mesh. With `history` (serve) its whole timeline (DEMO_TIMELINE): each recorded
 * day moved onto its place one day apart, ending with the bad day as recorded, with that day's
 * Airflow (fixtures/airflow/history/<day>.json; the bad day falls back to fixtures/airflow/v2 as
 * recorded), and the products scored every few hours of each earlier day as of that time (so the
 * score history shows the outage, the partial recovery and the recovery before today's breach);
 * the evaluator scores "today". Else `days` (default good, then bad) as recorded, in that order,
 * unscored, then the demo Airflow of fixtures/airflow/v2, recorded right after the bad day.
 * `airflow: false` loads no Airflow.
 */
export async function loadDemo(
  deps: Deps,
  opts: { days?: DemoDay[]; history?: boolean; root?: string; airflow?: boolean } = {},
) {
  const root = opts.root ?? FIXTURES
  const withAirflow = opts.airflow !== false
  let batches = 0
  let recordedAt = ''
  const dags = new Set<string>()
  const ingestAirflow = async (d: Deps, batch: Batch | undefined) => {
    if (!batch) return
    await ingestBatch(d, batch)
    for (const j of batch.jobs) if (j.type === 'airflow_dag') dags.add(j.name)
  }
  if (!opts.history) {
    for (const day of opts.days ?? ['good', 'bad']) {
      const dayBatches = await readDemoDay(day, root)
      for (const batch of dayBatches) {
        await ingestBatch(deps, batch)
        batches++
      }
      const at = latestProducedAt(dayBatches)
      if (at > recordedAt) recordedAt = at
    }
    if (withAirflow) await ingestAirflow(deps, await collectRecordedAirflow(deps, root))
  } else {
    const days = await Promise.all(
      DEMO_TIMELINE.map(async (d) => ({ ...d, batches: await readDemoDay(d.day, root) })),
    )
    const present = days.filter((d) => d.batches.length > 0)
    const today = present.at(-1)
    recordedAt = today ? latestProducedAt(today.batches) : ''
    for (const d of present) {
      const dayAt = Date.parse(recordedAt) - (d.daysAgo - (today?.daysAgo ?? 0)) * DAY_MS
      const shift = dayAt - Date.parse(latestProducedAt(d.batches))
      const past = d !== today && !Number.isNaN(shift)
      // an earlier day is received at its own (shifted) time; today as the store sees it
      const dayDeps: Deps = past ? { ...deps, now: () => new Date(dayAt) } : deps
      for (const batch of d.batches) {
        await ingestBatch(dayDeps, past ? shiftBatch(batch, shift) : batch)
        batches++
      }
      if (withAirflow) {
        const airflow = await collectDemoAirflowDay(deps, root, d.day, dayAt)
        await ingestAirflow(
          dayDeps,
          airflow ?? (past ? undefined : await collectRecordedAirflow(deps, root)),
        )
      }
      if (past) await scoreDemoDay(deps, dayAt)
    }
  }
  const c = await deps.store.admin.storeCounts()
  const summary = `${c.domains} domains, ${c.datasets} datasets, ${c.jobs} jobs, ${c.products} products from ${batches} dbt builds and ${dags.size} Airflow DAGs in fixtures/`
  return { counts: c, summary, recordedAt }
}

const SETTLE_MS = 5 * 60_000

/**
 * Scores every product at a few times of one earlier demo day, as the evaluator would have,
 * unless the store already has evaluations from then on (a second load changes nothing).
 */
async function scoreDemoDay(deps: Deps, dayAt: number): Promise<void> {
  const first = new Date(dayAt + SETTLE_MS).toISOString()
  if (await deps.store.admin.hasEvaluationSince(first)) return
  await applyConfigProducts(deps)
  for (const h of DEMO_EVALUATION_HOURS)
    await evaluateProducts(deps, { now: new Date(dayAt + SETTLE_MS + h * 3_600_000) })
}
