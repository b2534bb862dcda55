import { createReadStream } from 'node:fs'
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
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

/**
 * Whether readEventFile reads a file as one JSON document (a JSON array, or a small file of one
 * line) rather than as NDJSON lines: such files are read whole, the same way.
 */
async function isWholeJson(file: string): Promise<boolean> {
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.alloc(64 * 1024)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    const head = buf.subarray(0, bytesRead).toString('utf8').trim()
    return head.startsWith('[') || (bytesRead < buf.length && head !== '' && !head.includes('\n'))
  } finally {
    await fh.close()
  }
}

/**
 * The records of one event file, streamed: NDJSON is read a line at a time, so a file of millions
 * of events never sits in memory whole. Same rules as readEventFile (a bad line is a warning
 * pushed to `warnings`; a file where nothing is JSON is refused with a CollectorError, thrown
 * when its end is reached, or at once for a JSON array that does not parse).
 */
export async function* streamEventFile(file: string, warnings: string[]): AsyncGenerator<EventRecord> {
  if (await isWholeJson(file)) {
    const r = await readEventFile(file)
    warnings.push(...r.warnings)
    yield* r.records
    return
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let n = 0
  let good = 0
  let bad = 0
  for await (const line of lines) {
    n++
    if (line.trim() === '') continue
    let event: unknown
    try {
      event = JSON.parse(line)
    } catch (e) {
      bad++
      warnings.push(`${file}:${n}: skipped: not JSON (${(e as Error).message})`)
      continue
    }
    good++
    yield { where: `${file}:${n}`, event }
  }
  if (good === 0 && bad > 0) throw new CollectorError(`${file}: not OpenLineage NDJSON: none of its ${bad} lines is JSON`, { file })
  if (good === 0 && bad === 0) warnings.push(`${file}: empty file`)
}

/**
 * Refuses, before anything is written, an event file that readEventFile would refuse: NDJSON
 * where no line is JSON, or a JSON array that does not parse. Stops at the first JSON line.
 */
export async function checkEventFile(file: string): Promise<void> {
  if (await isWholeJson(file)) {
    await readEventFile(file)
    return
  }
  const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity })
  let bad = 0
  try {
    for await (const line of lines) {
      if (line.trim() === '') continue
      try {
        JSON.parse(line)
        return
      } catch {
        bad++
      }
    }
  } finally {
    lines.close()
  }
  if (bad > 0) throw new CollectorError(`${file}: not OpenLineage NDJSON: none of its ${bad} lines is JSON`, { file })
}
