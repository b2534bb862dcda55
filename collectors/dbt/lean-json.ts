/**
 * Reads a dbt manifest without materialising all of it. JSON.parse of a 100 MB manifest holds the
 * text and a full object graph at once (~4× the file); most of it (macros, docs, parent/child maps,
 * SQL text) is never read. This scans the top level, skips unread sections without parsing them,
 * and parses `nodes`/`sources` one entry at a time, keeping only the fields the collector reads:
 * the members of a node it does not read (docs, checksums, refs, the SQL when no column lineage is
 * derived from it) are skipped before its JSON.parse, so they are neither parsed nor kept.
 * Malformed input is reported by re-parsing with JSON.parse, so errors read the same as before.
 */

import { closeSync, openSync, readFileSync, readSync } from 'node:fs'
import { ownMap } from '../own.ts'
import {
  BACKSLASH,
  CLOSE_OBJ,
  COLON,
  COMMA,
  Malformed,
  OPEN_OBJ,
  skipWs,
  stringEnd,
  valueEnd,
  Window,
} from './json-scan.ts'
import { DbtNodeSchema } from './schema.ts'

const KEEP_SECTIONS = new Set(['metadata', 'groups', 'exposures'])
// functions: dbt 1.11 user-defined functions (resource type 'function')
const ENTRY_SECTIONS = new Set(['nodes', 'sources', 'functions'])
// Only what DbtNodeSchema reads survives (it would strip the rest anyway): SQL text, docs,
// checksums, refs and unrendered config are most of a manifest's bytes.
const NODE_FIELDS = Object.keys(DbtNodeSchema.shape)
const CONFIG_FIELDS = [
  'meta',
  'group',
  'access',
  'materialized',
  'severity',
  'enabled',
  'contract',
  'freshness',
]
const COLUMN_FIELDS = ['name', 'description', 'data_type', 'constraints']

function pick(value: unknown, fields: readonly string[]): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value
  const src = value as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const f of fields) if (Object.hasOwn(src, f)) out[f] = src[f]
  return out
}

// Column lineage reads the SQL of models and snapshots only; tests are most nodes.
const SQL_FIELDS = ['compiled_code', 'compiled_sql', 'raw_code', 'raw_sql']
const SQL_TYPES = new Set(['model', 'snapshot'])

export type LeanOptions = {
  /** false: no node keeps its SQL (no column lineage is derived from it). Default true. */
  sql?: boolean
}

function leanNode(value: unknown): unknown {
  const node = pick(value, NODE_FIELDS)
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return node
  const n = node as Record<string, unknown>
  if (!SQL_TYPES.has(String(n['resource_type']))) for (const f of SQL_FIELDS) delete n[f]
  if (Object.hasOwn(n, 'config')) n.config = pick(n.config, CONFIG_FIELDS)
  const cols = n.columns
  if (cols !== null && typeof cols === 'object' && !Array.isArray(cols)) {
    // Column names and node ids are the project's: `__proto__` must stay a key, not a prototype.
    const out = ownMap<unknown>()
    for (const [k, c] of Object.entries(cols)) out[k] = pick(c, COLUMN_FIELDS)
    n.columns = out
  }
  return n
}

export function parseManifestLean(buf: Buffer, opts: LeanOptions = {}): unknown {
  return scanOrParse(new Window(buf), opts, () => buf)
}

/**
 * parseManifestLean of a file, read 8 MB at a time (`chunkBytes`), so the file is never in memory
 * whole beside what is kept of it: only a node, or a section that is skipped, must fit a window.
 * Throws what reading the file throws, and JSON.parse's SyntaxError for malformed JSON.
 */
export function readManifestLean(
  file: string,
  opts: LeanOptions & { chunkBytes?: number } = {},
): unknown {
  const fd = openSync(file, 'r')
  try {
    const window = new Window(
      Buffer.alloc(0),
      (into, at) => readSync(fd, into, at, into.length - at, null),
      opts.chunkBytes,
    )
    return scanOrParse(window, opts, () => readFileSync(file))
  } finally {
    closeSync(fd)
  }
}

function scanOrParse(window: Window, opts: LeanOptions, whole: () => Buffer): unknown {
  const keep = opts.sql === false ? LEAN_NO_SQL : LEAN
  try {
    return scanTop(window, keep)
  } catch (e) {
    if (!(e instanceof Malformed)) throw e
    // Let JSON.parse say what is wrong, in its words; if it somehow accepts, use its answer.
    const parsed = JSON.parse(whole().toString('utf8')) as Record<string, unknown>
    if (opts.sql === false) for (const k of ENTRY_SECTIONS) dropSql(parsed[k])
    return parsed
  }
}

function dropSql(section: unknown): void {
  if (section === null || typeof section !== 'object') return
  for (const node of Object.values(section)) {
    if (node !== null && typeof node === 'object') for (const f of SQL_FIELDS) delete node[f]
  }
}

const skipAt = (buf: Buffer, at: number): number => skipWs(buf, at)

function scanTop(w: Window, keep: KeepFields): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let i = w.retry(0, (buf, at) => {
    const open = skipWs(buf, at)
    if (buf[open] !== OPEN_OBJ) throw new Malformed()
    return skipWs(buf, open + 1)
  })
  if (w.buf[i] === CLOSE_OBJ) return out
  for (;;) {
    const [key, start] = w.retry(i, (buf, at): [string, number] => {
      const keyEnd = stringEnd(buf, at)
      const name = JSON.parse(buf.toString('utf8', at, keyEnd)) as string
      const colon = skipWs(buf, keyEnd)
      if (buf[colon] !== COLON) throw new Malformed()
      return [name, skipWs(buf, colon + 1)]
    })
    if (ENTRY_SECTIONS.has(key) && w.buf[start] === OPEN_OBJ) {
      const [value, end] = scanEntries(w, start, keep)
      out[key] = value
      i = end
    } else {
      i = w.retry(start, (buf, at) => {
        const end = valueEnd(buf, at)
        if (KEEP_SECTIONS.has(key)) out[key] = JSON.parse(buf.toString('utf8', at, end)) as unknown
        return end
      })
    }
    i = w.retry(i, skipAt)
    if (w.buf[i] === COMMA) {
      i = w.retry(i + 1, skipAt)
      continue
    }
    if (w.buf[i] === CLOSE_OBJ) return out
    throw new Malformed()
  }
}

/** Parses an object's entries one at a time; returns it and the index after its closing brace. */
function scanEntries(
  w: Window,
  start: number,
  keep: KeepFields,
): [Record<string, unknown>, number] {
  const out = ownMap<unknown>()
  let i = w.retry(start + 1, skipAt)
  if (w.buf[i] === CLOSE_OBJ) return [out, i + 1]
  for (;;) {
    i = w.retry(i, (buf, at) => {
      const keyEnd = stringEnd(buf, at)
      const key = JSON.parse(buf.toString('utf8', at, keyEnd)) as string
      const colon = skipWs(buf, keyEnd)
      if (buf[colon] !== COLON) throw new Malformed()
      const vStart = skipWs(buf, colon + 1)
      let vEnd: number
      let text: string
      if (buf[vStart] === OPEN_OBJ) [text, vEnd] = keptMembers(buf, vStart, keep)
      else {
        vEnd = valueEnd(buf, vStart)
        text = buf.toString('utf8', vStart, vEnd)
      }
      out[key] = leanNode(JSON.parse(text))
      return vEnd
    })
    i = w.retry(i, skipAt)
    if (w.buf[i] === COMMA) {
      i = w.retry(i + 1, skipAt)
      continue
    }
    if (w.buf[i] === CLOSE_OBJ) return [out, i + 1]
    throw new Malformed()
  }
}

/** The fields a node keeps, by key bytes, grouped by length for a match without a string. */
type KeepFields = Map<number, { bytes: Buffer; sql: boolean }[]>

function keepFields(sql: boolean): KeepFields {
  const out: KeepFields = new Map()
  for (const f of NODE_FIELDS) {
    const isSql = SQL_FIELDS.includes(f)
    if (isSql && !sql) continue
    const bytes = Buffer.from(f, 'latin1')
    out.set(bytes.length, [...(out.get(bytes.length) ?? []), { bytes, sql: isSql }])
  }
  return out
}
const LEAN = keepFields(true)
const LEAN_NO_SQL = keepFields(false)
const RESOURCE_TYPE = Buffer.from('resource_type', 'latin1')

/** Whether the key whose text (no quotes, no escapes) is buf[from, to) is `bytes`. */
function keyIs(buf: Buffer, from: number, to: number, bytes: Buffer): boolean {
  if (to - from !== bytes.length) return false
  for (let k = 0; k < bytes.length; k++) if (buf[from + k] !== bytes[k]) return false
  return true
}

/**
 * The JSON text of the node object at buf[start] with only the members it keeps (a kept SQL
 * member only on a model or snapshot), and the index after its closing brace. Kept members next
 * to each other are cut out as one piece.
 */
function keptMembers(buf: Buffer, start: number, keep: KeepFields): [string, number] {
  // [from, to, sql] of each kept member, in order; resource_type's value as written
  const kept: number[] = []
  let resourceType: string | undefined
  let i = skipWs(buf, start + 1)
  if (buf[i] === CLOSE_OBJ) return ['{}', i + 1]
  for (;;) {
    const keyEnd = stringEnd(buf, i)
    const vStart = skipWs(buf, keyEnd)
    if (buf[vStart] !== COLON) throw new Malformed()
    const vEnd = valueEnd(buf, skipWs(buf, vStart + 1))
    let escaped = false
    for (let k = i + 1; k < keyEnd - 1; k++) if (buf[k] === BACKSLASH) escaped = true
    if (escaped) {
      // a key written with escapes: decode it (rare; JSON.parse reads `\u0061` as `a`)
      const name = JSON.parse(buf.toString('utf8', i, keyEnd)) as string
      const bytes = Buffer.from(name, 'utf8')
      const match = keep.get(bytes.length)?.find((f) => f.bytes.equals(bytes))
      if (match) kept.push(i, vEnd, match.sql ? 1 : 0)
      if (name === 'resource_type') resourceType = valueText(buf, vStart, vEnd)
    } else {
      const match = keep.get(keyEnd - i - 2)?.find((f) => keyIs(buf, i + 1, keyEnd - 1, f.bytes))
      if (match) kept.push(i, vEnd, match.sql ? 1 : 0)
      if (match && keyIs(buf, i + 1, keyEnd - 1, RESOURCE_TYPE))
        resourceType = valueText(buf, vStart, vEnd)
    }
    i = skipWs(buf, vEnd)
    if (buf[i] === COMMA) {
      i = skipWs(buf, i + 1)
      continue
    }
    if (buf[i] !== CLOSE_OBJ) throw new Malformed()
    break
  }
  const sqlToo = resourceType !== undefined && SQL_TYPES.has(resourceType)
  const pieces: string[] = []
  let from = -1
  let to = -1
  for (let k = 0; k < kept.length; k += 3) {
    if (kept[k + 2] === 1 && !sqlToo) continue
    const f = kept[k]!
    const t = kept[k + 1]!
    // the previous kept member and this one are neighbours: only a comma and space between
    if (from >= 0 && onlySeparator(buf, to, f)) to = t
    else {
      if (from >= 0) pieces.push(buf.toString('utf8', from, to))
      from = f
      to = t
    }
  }
  if (from >= 0) pieces.push(buf.toString('utf8', from, to))
  return [`{${pieces.join(',')}}`, i + 1]
}

/** resource_type's value as leanNode reads it (String of the parsed value). */
const valueText = (buf: Buffer, colon: number, end: number): string =>
  String(JSON.parse(buf.toString('utf8', colon + 1, end)))

function onlySeparator(buf: Buffer, from: number, to: number): boolean {
  let commas = 0
  for (let k = from; k < to; k++) {
    const c = buf[k]
    if (c === COMMA) commas++
    else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false
  }
  return commas === 1
}
