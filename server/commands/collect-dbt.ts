import type { Command } from 'commander'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { progress } from './shared.ts'
import { addSinkOptions, openSink, type SinkOptions } from './sink.ts'

interface DbtFlags {
  profilesDir?: string
  target?: string
  projectDir?: string
  namespace?: string
  jobNamespace?: string
  /** false with --no-column-lineage */
  columnLineage?: boolean
}

export function registerCollectDbt(collect: Command): void {
  addSinkOptions(
    collect
      .command('dbt')
      .description(
        'read dbt target/ dirs (manifest, run_results, sources, freshness, catalog); several dirs give one graph',
      )
      .argument('<dir...>', 'dbt target/ directories')
      .option(
        '--profiles-dir <dir>',
        'where profiles.yml is (default: the project dir, then ~/.dbt)',
      )
      .option('--target <name>', "profile target (default: the profile's target)")
      .option(
        '--project-dir <dir>',
        'the dbt project (dbt_project.yml) (default: the parent of each target dir)',
      )
      .option(
        '--namespace <ns>',
        'override the dataset namespace (default: derived from the profile, as dbt-ol does)',
      )
      .option(
        '--job-namespace <ns>',
        'job namespace (default: $OPENLINEAGE_NAMESPACE or "default", as dbt-ol does)',
      )
      .option('--no-column-lineage', "skip column lineage from the models' SQL (ms per model)"),
  ).action(async (dirs: string[], o: SinkOptions & DbtFlags) => {
    // Read every dir first: a bad one refuses the whole command before anything is written.
    const sink = await openSink(o)
    try {
      const known =
        o.columnLineage === false ? undefined : await sink.knownColumnLineage(o.namespace)
      const bar = progress('reading')
      const batches = []
      for (const [i, dir] of dirs.entries()) {
        bar.step(i, dirs.length, dir)
        batches.push(
          await readDbtTarget(dir, {
            ...(o.profilesDir ? { profilesDir: o.profilesDir } : {}),
            ...(o.target ? { target: o.target } : {}),
            ...(o.projectDir ? { projectDir: o.projectDir } : {}),
            ...(o.namespace ? { namespace: o.namespace } : {}),
            ...(o.jobNamespace ? { jobNamespace: o.jobNamespace } : {}),
            ...(o.columnLineage === false ? { columnLineage: false } : {}),
            ...(known ? { knownColumnLineage: known } : {}),
            env: process.env,
          }),
        )
      }
      bar.end()
      const results = await sink.writeAll(batches)
      for (const [i, b] of batches.entries()) {
        const r = results[i] ?? { duplicate: false, counts: {} }
        // the batch names files by base name (its identity is its content); say which dir here
        for (const w of b.warnings) process.stderr.write(`warning: ${dirs[i]}: ${w}\n`)
        const c = r.counts
        process.stdout.write(
          r.duplicate
            ? `${b.scope}: unchanged (already collected)\n`
            : `${b.scope}: ${c.datasets ?? 0} datasets, ${c.jobs ?? 0} jobs, ${c.edges ?? 0} edges, ${c.assertions ?? 0} test results, ${c.products ?? 0} products${c.columnLineageKept ? `, column lineage of ${c.columnLineageKept} models unchanged (not parsed again)` : ''}\n`,
        )
      }
      process.stdout.write(sink.summary())
    } finally {
      sink.close()
    }
  })
}
