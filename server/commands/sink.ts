import type { Command } from 'commander'
import type { Batch } from '../../collectors/batch.ts'
import type { KnownColumnLineage } from '../../collectors/dbt/column-lineage/index.ts'
import { listColumnLineageInputs } from '../../db/queries/column-lineage.ts'
import { sqliteDbOf } from '../../db/store.ts'
import { ingestBatches } from '../ingest.ts'
import { pushBatch } from '../push.ts'
import { CONFIG_OPTION_HELP, evaluationLine, openLocalStore } from './local-store.ts'

export interface SinkOptions {
  db?: string
  config?: string
  server?: string
  token?: string
}

export const addSinkOptions = (cmd: Command): Command =>
  cmd
    .option(
      '--db <file>',
      'SQLite store to write and evaluate (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .option('--config <file>', `with --db: ${CONFIG_OPTION_HELP}`)
    .option('--server <url>', 'push to a running meshwatch server instead of a local store')
    .option('--token <token>', 'API token for --server (default: $MESHWATCH_TOKEN)')

export interface SinkResult {
  duplicate: boolean
  counts: Record<string, number>
}

/**
 * Where collected batches go. A local store takes all of one command's batches in one
 * transaction with their evaluation and alerts (several dbt projects: all or none, scored once
 * the graph is whole); a server takes them one request each and evaluates them itself.
 * `summary` is the line saying what the local store evaluated (none for a server).
 */
export async function openSink(opts: SinkOptions): Promise<{
  writeAll(batches: Batch[]): Promise<SinkResult[]>
  summary(): string
  /** What the store computed column lineage from before (a server: nothing, all is parsed). */
  knownColumnLineage(): KnownColumnLineage | undefined
  close(): void
}> {
  if (opts.server) {
    const server = opts.server
    const token = opts.token ?? process.env.MESHWATCH_TOKEN
    return {
      writeAll: async (batches) => {
        const out: SinkResult[] = []
        for (const b of batches) out.push(await pushBatch(server, b, { token }))
        return out
      },
      summary: () => '',
      knownColumnLineage: () => undefined,
      close() {},
    }
  }
  const store = await openLocalStore(opts)
  return {
    writeAll: async (batches) => ingestBatches(store.deps, batches),
    summary: () => evaluationLine(store.evaluated()),
    knownColumnLineage: () => {
      // Not on PostgreSQL yet (#16): there every model's SQL is parsed again.
      const db = sqliteDbOf(store.deps.store)
      return db ? listColumnLineageInputs(db) : undefined
    },
    close: store.close,
  }
}
