import type { Command } from 'commander'
import { replayStore } from '../openlineage.ts'
import { openCommandStore } from './shared.ts'

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'rebuild the derived tables (graph, runs, results) from the kept batches and raw OpenLineage events, in received order, in one transaction',
    )
    .option(
      '--db <store>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .action(async (o: { db?: string }) => {
      const store = await openCommandStore(o)
      try {
        const r = await replayStore(store, new Date().toISOString())
        process.stdout.write(
          `replayed ${r.batches} batches and ${r.events} raw events${r.skipped ? ` (${r.skipped} no longer valid, skipped)` : ''}\n`,
        )
      } finally {
        await store.close()
      }
    })
}
