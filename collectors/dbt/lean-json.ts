/**
 * Reads a dbt manifest without materialising all of it. JSON.parse of a 100 MB manifest holds the
 * text and a full object graph at once (~4× the file); most of it (macros, docs, parent/child maps,
 * SQL text) is never read. This scans the top level, skips unread sections without parsing them,
 * and parses `nodes`/`sources` one entry at a time, keeping only the fields the collector reads.
 * Malformed input is reported by re-parsing with JSON.parse, so errors read the same as before.
 */

import { ownMap } from '../own.ts'
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

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_OBJ = 0x7b
const CLOSE_OBJ = 0x7d
const OPEN_ARR = 0x5b
const CLOSE_ARR = 0x5d
const COLON = 0x3a
const COMMA = 0x2c

class Malformed extends Error {}

export function parseManifestLean(buf: Buffer): unknown {
  try {
    return scanTop(buf)
  } catch (e) {
    if (!(e instanceof Malformed)) throw e
    // Let JSON.parse say what is wrong, in its words; if it somehow accepts, use its answer.
    return JSON.parse(buf.toString('utf8')) as unknown
  }
}

function scanTop(buf: Buffer): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  let i = skipWs(buf, 0)
  if (buf[i] !== OPEN_OBJ) throw new Malformed()
  i = skipWs(buf, i + 1)
  if (buf[i] === CLOSE_OBJ) return out
  for (;;) {
    const keyEnd = stringEnd(buf, i)
    const key = JSON.parse(buf.toString('utf8', i, keyEnd)) as string
    i = skipWs(buf, keyEnd)
    if (buf[i] !== COLON) throw new Malformed()
    const start = skipWs(buf, i + 1)
    if (ENTRY_SECTIONS.has(key) && buf[start] === OPEN_OBJ) {
      const [value, end] = scanEntries(buf, start)
      out[key] = value
      i = end
    } else {
      const end = valueEnd(buf, start)
      if (KEEP_SECTIONS.has(key)) out[key] = JSON.parse(buf.toString('utf8', start, end)) as unknown
      i = end
    }
    i = skipWs(buf, i)
    if (buf[i] === COMMA) {
      i = skipWs(buf, i + 1)
      continue
    }
    if (buf[i] === CLOSE_OBJ) return out
    throw new Malformed()
  }
}

/** Parses an object's entries one at a time; returns it and the index after its closing brace. */
function scanEntries(buf: Buffer, start: number): [Record<string, unknown>, number] {
  const out = ownMap<unknown>()
  let i = skipWs(buf, start + 1)
  if (buf[i] === CLOSE_OBJ) return [out, i + 1]
  for (;;) {
    const keyEnd = stringEnd(buf, i)
    const key = JSON.parse(buf.toString('utf8', i, keyEnd)) as string
    i = skipWs(buf, keyEnd)
    if (buf[i] !== COLON) throw new Malformed()
    const vStart = skipWs(buf, i + 1)
    const vEnd = valueEnd(buf, vStart)
    out[key] = leanNode(JSON.parse(buf.toString('utf8', vStart, vEnd)))
    i = skipWs(buf, vEnd)
    if (buf[i] === COMMA) {
      i = skipWs(buf, i + 1)
      continue
    }
    if (buf[i] === CLOSE_OBJ) return [out, i + 1]
    throw new Malformed()
  }
}

function skipWs(buf: Buffer, i: number): number {
  let j = i
  while (j < buf.length) {
    const c = buf[j]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return j
    j++
  }
  throw new Malformed()
}

/** Index just past the string starting at i (a quote). */
function stringEnd(buf: Buffer, i: number): number {
  if (buf[i] !== QUOTE) throw new Malformed()
  let j = i + 1
  for (;;) {
    const q = buf.indexOf(QUOTE, j)
    if (q < 0) throw new Malformed()
    let back = 0
    while (buf[q - 1 - back] === BACKSLASH) back++
    if (back % 2 === 0) return q + 1
    j = q + 1
  }
}

/** Index just past the JSON value starting at i. */
function valueEnd(buf: Buffer, i: number): number {
  const c = buf[i]
  if (c === QUOTE) return stringEnd(buf, i)
  if (c !== OPEN_OBJ && c !== OPEN_ARR) {
    let j = i
    while (j < buf.length) {
      const d = buf[j]
      if (
        d === COMMA ||
        d === CLOSE_OBJ ||
        d === CLOSE_ARR ||
        d === 0x20 ||
        d === 0x0a ||
        d === 0x0d ||
        d === 0x09
      )
        break
      j++
    }
    if (j === i) throw new Malformed()
    return j
  }
  let depth = 0
  let j = i
  while (j < buf.length) {
    const d = buf[j]
    if (d === QUOTE) {
      j = stringEnd(buf, j)
      continue
    }
    if (d === OPEN_OBJ || d === OPEN_ARR) depth++
    else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
      depth--
      if (depth === 0) return j + 1
    }
    j++
  }
  throw new Malformed()
}
