import type { Command } from 'commander'
import type { Batch } from '../../collectors/batch.ts'
import type { KnownColumnLineage } from '../../collectors/dbt/column-lineage/index.ts'
import { ingestBatches } from '../ingest.ts'
import { fetchColumnLineageInputs, pushBatch } from '../push.ts'
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
      '--db <store>',
      'SQLite file or postgres:// URL to write and evaluate (default: $MESHWATCH_DB or ./data/meshwatch.db)',
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
  /**
   * What the store computed column lineage from before: the local store's, or what the server
   * says of the datasets this token may write (of `namespace` when given).
   */
  knownColumnLineage(namespace?: string): Promise<KnownColumnLineage | undefined>
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
      knownColumnLineage: async (namespace) => {
        const r = await fetchColumnLineageInputs(server, { token, namespace })
        if ('known' in r) return r.known
        // not fatal: the collect is complete without it, only every model is parsed again
        process.stderr.write(`warning: column lineage: ${r.error}; every model is parsed\n`)
        return undefined
      },
      close() {},
    }
  }
  const store = await openLocalStore(opts)
  return {
    writeAll: async (batches) => ingestBatches(store.deps, batches),
    summary: () => evaluationLine(store.evaluated()),
    knownColumnLineage: async () => store.deps.store.columnLineage.listColumnLineageInputs(),
    close: store.close,
  }
}
