import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import type { Command } from 'commander'
import { closeDb, openDb } from '../../db/client.ts'
import { exportStaticLineage } from '../export.ts'
import { dbFileOf } from './shared.ts'

export function registerExport(program: Command): void {
  program
    .command('export')
    .description(
      'write the stored lineage as OpenLineage static-lineage NDJSON (DatasetEvents, then JobEvents)',
    )
    .option('--db <file>', 'SQLite store (default: $MESHWATCH_DB or ./data/meshwatch.db)')
    .option('-o, --out <file>', 'write to a file instead of stdout')
    .action(async (o: { db?: string; out?: string }) => {
      const db = openDb(dbFileOf(o))
      const out = o.out ? createWriteStream(o.out) : process.stdout
      let n = 0
      for (const ev of exportStaticLineage(db, new Date().toISOString())) {
        if (!out.write(`${JSON.stringify(ev)}\n`)) await once(out, 'drain')
        n++
      }
      closeDb(db)
      if (o.out) {
        out.end()
        await once(out, 'finish')
        process.stderr.write(`wrote ${n} events to ${o.out}\n`)
      }
    })
}
