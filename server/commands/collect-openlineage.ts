import type { Command } from 'commander'
import {
  checkEventFile,
  listEventFiles,
  streamEventFile,
  type EventRecord,
} from '../../collectors/openlineage/read.ts'
import { createImporter } from '../openlineage.ts'
import { CONFIG_OPTION_HELP, evaluationLine, openLocalStore } from './local-store.ts'
import { UsageError } from './shared.ts'

const PUSH_CHUNK = 1000

export function registerCollectOpenLineage(collect: Command): void {
  collect
    .command('openlineage')
    .description(
      "read OpenLineage events (the file transport's NDJSON, a JSON array or one event) from files or dirs",
    )
    .argument('<path...>', 'event files, or directories of *.ndjson / *.jsonl / *.json')
    .option(
      '--db <store>',
      'SQLite file or postgres:// URL to write and evaluate (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .option('--config <file>', `with --db: ${CONFIG_OPTION_HELP}`)
    .option('--server <url>', "post to a running meshwatch server's /api/v1/lineage/batch instead")
    .option('--token <token>', 'API token for --server (default: $MESHWATCH_TOKEN)')
    .action(
      async (
        paths: string[],
        o: { db?: string; config?: string; server?: string; token?: string },
      ) => {
        const files: string[] = []
        for (const path of paths) files.push(...(await listEventFiles(path)))
        // A file that is not OpenLineage refuses the command before anything is written; then the
        // files are streamed a line at a time, so millions of events never sit in memory at once.
        for (const file of files) await checkEventFile(file)
        const warnings: string[] = []
        async function* records(): AsyncGenerator<EventRecord> {
          for (const file of files) yield* streamEventFile(file, warnings)
        }
        const progress = progressLine()
        const result = o.server
          ? await pushEvents(o.server, o.token ?? process.env.MESHWATCH_TOKEN, records(), progress)
          : await importLocal(o, records(), progress)
        progress.done()
        for (const w of [...warnings, ...result.warnings]) process.stderr.write(`warning: ${w}\n`)
        process.stdout.write(
          `${result.read} events: ${result.stored} stored, ${result.duplicates} already known, ${result.invalid} invalid\n`,
        )
        process.stdout.write(result.evaluated)
        if (result.read > 0 && result.invalid === result.read)
          throw new UsageError('no valid OpenLineage event was found')
      },
    )
}

type Progress = { update: (read: number) => void; done: () => void }

/** Progress on stderr: a line rewritten in place on a terminal, else a line per 100k events. */
function progressLine(): Progress {
  const tty = process.stderr.isTTY === true
  const started = Date.now()
  let last = 0
  let shown = false
  const text = (read: number) =>
    `${read} events read (${Math.round(read / Math.max(0.001, (Date.now() - started) / 1000))}/s)`
  return {
    update: (read) => {
      if (tty) {
        process.stderr.write(`\r${text(read)}`)
        shown = true
      } else if (read - last >= 100_000) {
        process.stderr.write(`${text(read)}\n`)
        last = read
      }
    },
    done: () => {
      if (shown) process.stderr.write('\n')
    },
  }
}

/**
 * Into a local store, a chunk a transaction; each chunk's products are evaluated (and their
 * alerts enqueued) once it is stored, as serve does for each batch POSTed to it.
 */
async function importLocal(
  o: { db?: string; config?: string },
  records: AsyncIterable<EventRecord>,
  progress: Progress,
) {
  const store = await openLocalStore(o)
  try {
    const importer = createImporter(store.deps, { onChunk: (t) => progress.update(t.read) })
    for await (const r of records) await importer.add(r)
    return { ...(await importer.finish()), evaluated: evaluationLine(store.evaluated()) }
  } finally {
    store.close()
  }
}

type BatchAnswer = {
  summary?: { successful?: number; duplicates?: number }
  failed_events?: { index: number; reason: string }[]
  warnings?: { index: number; path: string; message: string }[]
}

async function pushEvents(
  server: string,
  token: string | undefined,
  records: AsyncIterable<EventRecord>,
  progress: Progress,
) {
  const url = new URL('/api/v1/lineage/batch', server).toString()
  // the server evaluates what it stored itself
  const out = {
    read: 0,
    stored: 0,
    duplicates: 0,
    invalid: 0,
    warnings: [] as string[],
    evaluated: '',
  }
  let part: EventRecord[] = []
  const send = async () => {
    if (part.length === 0) return
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify(part.map((r) => r.event)),
    })
    const body = (await res.json().catch(() => ({}))) as BatchAnswer & {
      error?: { message?: string }
    }
    if (!res.ok)
      throw new Error(`${url} answered ${res.status}: ${body.error?.message ?? res.statusText}`)
    const dup = body.summary?.duplicates ?? 0
    out.duplicates += dup
    out.stored += (body.summary?.successful ?? 0) - dup
    for (const f of body.failed_events ?? []) {
      out.invalid++
      out.warnings.push(
        `${part[f.index]?.where ?? `#${out.read - part.length + f.index}`}: skipped: ${f.reason}`,
      )
    }
    for (const w of body.warnings ?? []) {
      const where = part[w.index]?.where ?? `#${out.read - part.length + w.index}`
      out.warnings.push(`${where}: ${w.path.replace(/^\$\[\d+\]/, '$')}: ${w.message}`)
    }
    part = []
    progress.update(out.read)
  }
  for await (const r of records) {
    out.read++
    part.push(r)
    if (part.length >= PUSH_CHUNK) await send()
  }
  await send()
  return out
}
