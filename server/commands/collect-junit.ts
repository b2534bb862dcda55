import type { Command } from 'commander'
import { readJunitFile } from '../../collectors/junit/index.ts'
import { addSinkOptions, openSink, type SinkOptions } from './sink.ts'

export function registerCollectJunit(collect: Command): void {
  addSinkOptions(
    collect
      .command('junit')
      .description(
        'read JUnit XML (pytest, dbt/Great Expectations exports…) as test results on datasets',
      )
      .argument('<file...>', 'JUnit XML files')
      .option(
        '--namespace <ns>',
        'namespace for datasets named without one (dotted db.schema.table classnames, bare dataset properties)',
      ),
  ).action(async (files: string[], o: SinkOptions & { namespace?: string }) => {
    // Parse every file first: a malformed one refuses the whole command before anything is written.
    const now = new Date()
    const batches = []
    for (const file of files)
      batches.push(await readJunitFile(file, { namespace: o.namespace, now }))
    const sink = await openSink(o)
    try {
      const results = await sink.writeAll(batches)
      for (const [i, b] of batches.entries()) {
        for (const w of b.warnings) process.stderr.write(`warning: ${w}\n`)
        const r = results[i] ?? { duplicate: false }
        process.stdout.write(
          r.duplicate
            ? `${b.scope}: unchanged (already collected)\n`
            : `${b.scope}: ${b.assertions.length} test results\n`,
        )
      }
      process.stdout.write(sink.summary())
    } finally {
      sink.close()
    }
  })
}
