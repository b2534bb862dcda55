import { createReadStream } from 'node:fs'
import { open, readdir, readFile, stat } from 'node:fs/promises'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { CollectorError } from '../batch.ts'

export interface EventRecord {
  /** `file:line` (NDJSON, or where a pretty-printed event starts) or `file[index]` (JSON array). */
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
    throw new CollectorError(`${path}: cannot read: ${(e as Error).message}`, {
      file: path,
      cause: e,
    })
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
 * How a file is read, from its head:
 * - `array`: a JSON array of events (compact or pretty), read whole;
 * - `one`: a small file holding one line, read whole (one compact event);
 * - `documents`: JSON documents one after another, pretty-printed (`jq .` output, one indented
 *   event), told by a first line that opens an object but is not JSON on its own; streamed one
 *   document at a time;
 * - `lines`: NDJSON, one event a line, streamed a line at a time.
 */
type Shape = 'array' | 'one' | 'documents' | 'lines' | 'empty'

const HEAD = 64 * 1024

async function shapeOf(file: string): Promise<Shape> {
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.alloc(HEAD)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    const head = buf
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '')
    const trimmed = head.trim()
    if (trimmed === '') return bytesRead < buf.length ? 'empty' : 'lines'
    if (trimmed.startsWith('[')) return 'array'
    if (bytesRead < buf.length && !trimmed.includes('\n')) return parses(trimmed) ? 'one' : 'lines'
    const first = firstLine(trimmed)
    if (!first.startsWith('{')) return 'lines'
    // A first line that is a whole JSON value is NDJSON; one cut short by the head is too.
    if (first.length === trimmed.length && bytesRead === buf.length) return 'lines'
    return parses(first) ? 'lines' : 'documents'
  } finally {
    await fh.close()
  }
}

const firstLine = (text: string): string => {
  const nl = text.indexOf('\n')
  return (nl < 0 ? text : text.slice(0, nl)).trim()
}

function parses(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/**
 * Reads the OpenLineage file transport's output, or events saved by hand: NDJSON (one event a
 * line), one event (compact or pretty-printed), pretty-printed events one after another, or a
 * JSON array of events. A line (or document) that is not JSON is skipped with a warning naming
 * file:line; a file where nothing is JSON is refused whole.
 */
export async function readEventFile(file: string): Promise<ReadEventsResult> {
  const warnings: string[] = []
  const records: EventRecord[] = []
  for await (const r of streamEventFile(file, warnings)) records.push(r)
  return { records, warnings }
}

/** A JSON array, or one small one-line event, read whole. */
async function readWhole(file: string): Promise<EventRecord[]> {
  const text = (await readFile(file, 'utf8')).replace(/^\uFEFF/, '').trim()
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new CollectorError(`${file}: not JSON: ${(e as Error).message}`, { file, cause: e })
  }
  if (Array.isArray(value)) return value.map((event, i) => ({ where: `${file}[${i}]`, event }))
  return [{ where: file, event: value }]
}

/**
 * The records of one event file, streamed: NDJSON is read a line at a time and pretty-printed
 * documents one at a time, so a file of millions of events never sits in memory whole. A bad
 * line or document is a warning pushed to `warnings`; a file where nothing is JSON is refused
 * with a CollectorError, thrown when its end is reached (at once for a JSON array that does not
 * parse).
 */
export async function* streamEventFile(
  file: string,
  warnings: string[],
): AsyncGenerator<EventRecord> {
  const shape = await shapeOf(file)
  if (shape === 'empty') {
    warnings.push(`${file}: empty file`)
    return
  }
  if (shape === 'array' || shape === 'one') {
    const records = await readWhole(file)
    if (records.length === 0) warnings.push(`${file}: empty JSON array`)
    yield* records
    return
  }
  if (shape === 'documents') {
    yield* streamDocuments(file, warnings)
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
  if (good === 0 && bad > 0)
    throw new CollectorError(`${file}: not OpenLineage NDJSON: none of its ${bad} lines is JSON`, {
      file,
    })
  if (good === 0 && bad === 0) warnings.push(`${file}: empty file`)
}

const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const QUOTE = 0x22
const BACKSLASH = 0x5c
const NEWLINE = 0x0a

/**
 * JSON documents one after another (pretty-printed events, or `jq .` of NDJSON): each top-level
 * object or array is cut out by its balanced brackets (outside strings) and parsed alone, so only
 * one document is in memory at a time. Text between documents that is not whitespace is skipped
 * with a warning naming its line.
 */
async function* streamDocuments(file: string, warnings: string[]): AsyncGenerator<EventRecord> {
  let line = 1
  let depth = 0
  let inString = false
  let escaped = false
  let startLine = 0
  let parts: string[] = []
  let strayLine = 0
  let good = 0
  let bad = 0
  const stray = (at: number) => {
    if (strayLine === at) return
    strayLine = at
    bad++
    warnings.push(`${file}:${at}: skipped: not JSON (text outside an event)`)
  }
  for await (const chunk of createReadStream(file, 'utf8')) {
    const text = (chunk as string).replace(/^\uFEFF/, '')
    let from = -1
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c === NEWLINE) line++
      if (depth === 0) {
        if (c === OPEN_BRACE || c === OPEN_BRACKET) {
          depth = 1
          from = i
          startLine = line
        } else if (c > 0x20) stray(line)
        continue
      }
      if (inString) {
        if (escaped) escaped = false
        else if (c === BACKSLASH) escaped = true
        else if (c === QUOTE) inString = false
        continue
      }
      if (c === QUOTE) inString = true
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++
      else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
        depth--
        if (depth === 0) {
          parts.push(text.slice(from < 0 ? 0 : from, i + 1))
          const doc = parts.join('')
          parts = []
          from = -1
          try {
            yield { where: `${file}:${startLine}`, event: JSON.parse(doc) as unknown }
            good++
          } catch (e) {
            bad++
            warnings.push(`${file}:${startLine}: skipped: not JSON (${(e as Error).message})`)
          }
        }
      }
    }
    if (depth > 0) parts.push(text.slice(from < 0 ? 0 : from))
  }
  if (depth > 0) {
    bad++
    warnings.push(
      `${file}:${startLine}: skipped: not JSON (the document starting here is not closed)`,
    )
  }
  if (good === 0 && bad > 0) {
    throw new CollectorError(
      `${file}: not OpenLineage JSON: none of its ${bad} documents is JSON`,
      { file },
    )
  }
  if (good === 0 && bad === 0) warnings.push(`${file}: empty file`)
}

/**
 * Refuses, before anything is written, an event file that readEventFile would refuse: NDJSON
 * where no line is JSON, pretty-printed JSON where no document parses, or a JSON array that does
 * not parse. Stops at the first event.
 */
export async function checkEventFile(file: string): Promise<void> {
  const stream = streamEventFile(file, [])
  try {
    await stream.next()
  } finally {
    await stream.return(undefined)
  }
}
