import type { Command } from 'commander'
import type { Batch } from '../../collectors/batch.ts'
import { openDb, closeDb } from '../../db/client.ts'
import { ingestBatch } from '../ingest.ts'
import { loadConfig } from '../config.ts'
import { pushBatch } from '../push.ts'

/** Bad usage or unreadable input: exit code 2 with the reason. */
export class UsageError extends Error {
  override name = 'UsageError'
}

export interface SinkOptions {
  db?: string
  server?: string
  token?: string
}

export const addSinkOptions = (cmd: Command): Command =>
  cmd
    .option('--db <file>', 'SQLite store to write (default: $MESHWATCH_DB or ./data/meshwatch.db)')
    .option('--server <url>', 'push to a running meshwatch server instead of a local store')
    .option('--token <token>', 'API token for --server (default: $MESHWATCH_TOKEN)')

export const dbFileOf = (opts: { db?: string }): string => {
  if (opts.db) return opts.db
  const cfg = loadConfig(process.env)
  if (!cfg.ok) throw new UsageError(`bad environment: ${cfg.message}`)
  return cfg.env.MESHWATCH_DB
}

export interface SinkResult {
  duplicate: boolean
  counts: Record<string, number>
}

/**
 * Where collected batches go. A local store takes all of one command's batches in one
 * transaction (several dbt projects: all or none); a server takes them one request each.
 */
export function openSink(opts: SinkOptions): {
  writeAll(batches: Batch[]): Promise<SinkResult[]>
  close(): void
} {
  if (opts.server) {
    const server = opts.server
    const token = opts.token ?? process.env.MESHWATCH_TOKEN
    return {
      writeAll: async (batches) => {
        const out: SinkResult[] = []
        for (const b of batches) out.push(await pushBatch(server, b, { token }))
        return out
      },
      close() {},
    }
  }
  const db = openDb(dbFileOf(opts))
  return {
    writeAll: async (batches) =>
      db.transaction(() => batches.map((b) => ingestBatch({ db }, b)), { behavior: 'immediate' }),
    close: () => closeDb(db),
  }
}

/** Progress on a TTY only, so CI logs and pipes stay clean. */
export function progress(label: string): {
  step(done: number, total: number, what?: string): void
  end(): void
} {
  const tty = process.stderr.isTTY === true
  return {
    step(done, total, what) {
      if (!tty) return
      process.stderr.write(`\r${label} ${done}/${total}${what ? ` ${what}` : ''}\u001b[K`)
    },
    end() {
      if (tty) process.stderr.write('\n')
    },
  }
}
