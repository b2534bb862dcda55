import type { Command } from 'commander'
import { closeDb, openDb } from '../../db/client.ts'
import { replayStore } from '../openlineage.ts'
import { dbFileOf } from './shared.ts'

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description(
      'rebuild the derived tables (graph, runs, results) from the kept batches and raw OpenLineage events, in received order, in one transaction',
    )
    .option('--db <file>', 'SQLite store (default: $MESHWATCH_DB or ./data/meshwatch.db)')
    .action((o: { db?: string }) => {
      const db = openDb(dbFileOf(o))
      try {
        const r = replayStore(db, new Date().toISOString())
        process.stdout.write(
          `replayed ${r.batches} batches and ${r.events} raw events${r.skipped ? ` (${r.skipped} no longer valid, skipped)` : ''}\n`,
        )
      } finally {
        closeDb(db)
      }
    })
}
