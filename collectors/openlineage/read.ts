import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { CollectorError } from '../batch.ts'

export interface EventRecord {
  /** `file:line` (NDJSON) or `file[index]` (JSON array), for warnings. */
  where: string
  event: unknown
}

export interface ReadEventsResult {
  records: EventRecord[]
  warnings: string[]
}

const EVENT_FILE = /\.(ndjson|jsonl|json)$/i

/** The event files of a path: the file itself, or a directory's *.ndjson/*.jsonl/*.json, sorted. */
export async function listEventFiles(path: string): Promise<string[]> {
  const s = await stat(path).catch((e: unknown) => {
    throw new CollectorError(`${path}: cannot read: ${(e as Error).message}`, { file: path, cause: e })
  })
  if (!s.isDirectory()) return [path]
  const entries = await readdir(path, { withFileTypes: true })
  const out: string[] = []
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const full = join(path, e.name)
    if (e.isDirectory()) out.push(...(await listEventFiles(full)))
    else if (EVENT_FILE.test(e.name)) out.push(full)
  }
  return out
}

/**
 * Reads the OpenLineage file transport's output: NDJSON (one event a line), a JSON array of
 * events, or one event. A line that is not JSON is skipped with a warning naming file:line;
 * a file where nothing is JSON is refused whole.
 */
export async function readEventFile(file: string): Promise<ReadEventsResult> {
  const text = await readFile(file, 'utf8')
  const trimmed = text.trim()
  if (trimmed === '') return { records: [], warnings: [`${file}: empty file`] }
  if (trimmed.startsWith('[') || !trimmed.includes('\n')) {
    try {
      const value: unknown = JSON.parse(trimmed)
      if (Array.isArray(value)) return { records: value.map((event, i) => ({ where: `${file}[${i}]`, event })), warnings: [] }
      return { records: [{ where: file, event: value }], warnings: [] }
    } catch (e) {
      if (trimmed.startsWith('[')) throw new CollectorError(`${file}: not JSON: ${(e as Error).message}`, { file, cause: e })
    }
  }
  const records: EventRecord[] = []
  const warnings: string[] = []
  let bad = 0
  const lines = text.split('\n')
  lines.forEach((line, i) => {
    if (line.trim() === '') return
    try {
      records.push({ where: `${file}:${i + 1}`, event: JSON.parse(line) as unknown })
    } catch (e) {
      bad++
      warnings.push(`${file}:${i + 1}: skipped: not JSON (${(e as Error).message})`)
    }
  })
  if (records.length === 0 && bad > 0) {
    throw new CollectorError(`${file}: not OpenLineage NDJSON: none of its ${bad} lines is JSON`, { file })
  }
  return { records, warnings }
}
