import type { Command } from 'commander'
import { listEventFiles, readEventFile, type EventRecord } from '../../collectors/openlineage/read.ts'
import { closeDb, openDb } from '../../db/client.ts'
import { importEvents } from '../openlineage.ts'
import { dbFileOf, UsageError } from './shared.ts'

const PUSH_CHUNK = 1000

export function registerCollectOpenLineage(collect: Command): void {
  collect
    .command('openlineage')
    .description('read OpenLineage events (the file transport\'s NDJSON, a JSON array or one event) from files or dirs')
    .argument('<path...>', 'event files, or directories of *.ndjson / *.jsonl / *.json')
    .option('--db <file>', 'SQLite store to write (default: $MESHWATCH_DB or ./data/meshwatch.db)')
    .option('--server <url>', 'post to a running meshwatch server\'s /api/v1/lineage/batch instead')
    .option('--token <token>', 'API token for --server (default: $MESHWATCH_TOKEN)')
    .action(async (paths: string[], o: { db?: string; server?: string; token?: string }) => {
      // Read everything first: a file that is not OpenLineage refuses the command before any write.
      const records: EventRecord[] = []
      const warnings: string[] = []
      for (const path of paths) {
        for (const file of await listEventFiles(path)) {
          const r = await readEventFile(file)
          records.push(...r.records)
          warnings.push(...r.warnings)
        }
      }
      const result = o.server
        ? await pushEvents(o.server, o.token ?? process.env.MESHWATCH_TOKEN, records)
        : importLocal(dbFileOf(o), records)
      for (const w of [...warnings, ...result.warnings]) process.stderr.write(`warning: ${w}\n`)
      process.stdout.write(
        `${result.read} events: ${result.stored} stored, ${result.duplicates} already known, ${result.invalid} invalid\n`,
      )
      if (result.read > 0 && result.invalid === result.read) throw new UsageError('no valid OpenLineage event was found')
    })
}

function importLocal(dbFile: string, records: EventRecord[]) {
  const db = openDb(dbFile)
  try {
    return importEvents({ db }, records)
  } finally {
    closeDb(db)
  }
}

type BatchAnswer = {
  summary?: { successful?: number; duplicates?: number }
  failed_events?: { index: number; reason: string }[]
}

async function pushEvents(server: string, token: string | undefined, records: EventRecord[]) {
  const url = new URL('/api/v1/lineage/batch', server).toString()
  const out = { read: records.length, stored: 0, duplicates: 0, invalid: 0, warnings: [] as string[] }
  for (let i = 0; i < records.length; i += PUSH_CHUNK) {
    const part = records.slice(i, i + PUSH_CHUNK)
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(part.map((r) => r.event)),
    })
    const body = (await res.json().catch(() => ({}))) as BatchAnswer & { error?: { message?: string } }
    if (!res.ok) throw new Error(`${url} answered ${res.status}: ${body.error?.message ?? res.statusText}`)
    const dup = body.summary?.duplicates ?? 0
    out.duplicates += dup
    out.stored += (body.summary?.successful ?? 0) - dup
    for (const f of body.failed_events ?? []) {
      out.invalid++
      out.warnings.push(`${part[f.index]?.where ?? `#${i + f.index}`}: skipped: ${f.reason}`)
    }
  }
  return out
}
