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
import { specOf, trimNode, trimObject, type Spec } from './lean-members.ts'
import { CLOSE_OBJ, COLON, COMMA, OPEN_OBJ, QUOTE } from '../../common/json-bytes.ts'
import { Malformed, skipWs, stringEnd, valueEnd, Window } from './json-scan.ts'
import { DbtNodeSchema, DbtTestSchema } from './schema.ts'

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

// Column lineage reads the SQL of models and snapshots only; tests are most nodes.
const SQL_FIELDS = ['compiled_code', 'compiled_sql', 'raw_code', 'raw_sql']
const SQL_TYPES = new Set(['model', 'snapshot'])

export type LeanOptions = {
  /** false: no node keeps its SQL (no column lineage is derived from it). Default true. */
  sql?: boolean
  /**
   * What is kept of each entry of `nodes`, `sources` and `functions`, given it as parsed (default:
   * itself). readDbtTarget validates each node here, so what it does not keep of a node (zod
   * strips what it does not read) dies young instead of surviving the whole read.
   */
  entry?: (value: unknown, columns?: unknown[]) => unknown
  /**
   * true: a node's columns map is not in the node `entry` is given but taken apart, as its second
   * argument (trimNode's columns text, parsed): no object per column is made only to be read
   * once (readNode takes them so). A node whose map that reading cannot take has it as before.
   */
  flatColumns?: boolean
}

const COLUMNS = specOf(COLUMN_FIELDS)
// what the schemas read of these objects: depends_on's nodes (not its macros), a contract's
// enforced, a test's name and kwargs, and of its kwargs the two read (test-targets.ts, lineage.ts)
const CONTRACT = specOf(['enforced'])
const CONFIG = specOf(CONFIG_FIELDS, { inner: { contract: CONTRACT } })
const DEPENDS_ON = specOf(['nodes'])
const TEST_METADATA = specOf(['name', 'kwargs'], {
  inner: { kwargs: specOf(['column_name', 'model']) },
})
const INNER = { config: CONFIG, depends_on: DEPENDS_ON, contract: CONTRACT }
const nodeSpec = (sql: boolean, flat: boolean): Spec =>
  specOf(
    NODE_FIELDS.filter((f) => sql || !SQL_FIELDS.includes(f)),
    {
      conditional: SQL_FIELDS,
      inner: { ...INNER, test_metadata: TEST_METADATA },
      each: { columns: COLUMNS },
      only: { key: 'resource_type', types: SQL_TYPES },
      ...(flat ? { flat: ['columns'] } : {}),
    },
  )
/**
 * A node's spec (with its columns taken apart: `flat`; `node` when it cannot be); a test's (most
 * of a manifest's nodes) keeps only what DbtTestSchema reads.
 */
type Specs = { node: Spec; flat: Spec; test: Spec }
const TEST = specOf(Object.keys(DbtTestSchema.shape), {
  inner: { ...INNER, test_metadata: TEST_METADATA },
})
const LEAN: Specs = { node: nodeSpec(true, false), flat: nodeSpec(true, true), test: TEST }
const LEAN_NO_SQL: Specs = { node: nodeSpec(false, false), flat: nodeSpec(false, true), test: TEST }

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

const asParsed = (value: unknown): unknown => value

function scanOrParse(window: Window, opts: LeanOptions, whole: () => Buffer): unknown {
  const specs = opts.sql === false ? LEAN_NO_SQL : LEAN
  // without flatColumns, a node's columns are in the node, as `node` trims them
  const keep = opts.flatColumns ? specs : { ...specs, flat: specs.node }
  const entry = opts.entry ?? asParsed
  try {
    return scanTop(window, keep, entry)
  } catch (e) {
    if (!(e instanceof Malformed)) throw e
    // Let JSON.parse say what is wrong, in its words; if it somehow accepts, use its answer.
    const parsed = JSON.parse(whole().toString('utf8')) as Record<string, unknown>
    for (const k of ENTRY_SECTIONS) {
      const section = parsed[k]
      if (section === null || typeof section !== 'object') continue
      for (const [id, node] of Object.entries(section)) {
        if (opts.sql === false && node !== null && typeof node === 'object') {
          for (const f of SQL_FIELDS) delete (node as Record<string, unknown>)[f]
        }
        ;(section as Record<string, unknown>)[id] = entry(node)
      }
    }
    return parsed
  }
}

const skipAt = (buf: Buffer, at: number): number => skipWs(buf, at)

function scanTop(
  w: Window,
  keep: Specs,
  entry: (value: unknown, columns?: unknown[]) => unknown,
): Record<string, unknown> {
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
      const [value, end] = scanEntries(w, start, keep, entry)
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

const RESOURCE_TYPE = Buffer.from('"resource_type"')
const TEST_TYPE = Buffer.from('"test"')
/** Members read to find a node's resource_type (dbt writes it fourth). */
const PEEK_MEMBERS = 8

const bytesAre = (buf: Buffer, from: number, to: number, bytes: Buffer): boolean =>
  to - from === bytes.length && buf.compare(bytes, 0, bytes.length, from, to) === 0

/**
 * Whether the object at buf[start] says `"resource_type": "test"` among its first members, as
 * written (a key or value with escapes is not recognised: the node is then trimmed as any node).
 * A malformed member answers false: the node's own trim then finds what is wrong.
 */
function startsAsTest(buf: Buffer, start: number): boolean {
  try {
    let i = skipWs(buf, start + 1)
    for (let n = 0; n < PEEK_MEMBERS && buf[i] === QUOTE; n++) {
      const keyEnd = stringEnd(buf, i)
      const colon = skipWs(buf, keyEnd)
      if (buf[colon] !== COLON) return false
      const v = skipWs(buf, colon + 1)
      const vEnd = valueEnd(buf, v)
      if (bytesAre(buf, i, keyEnd, RESOURCE_TYPE)) return bytesAre(buf, v, vEnd, TEST_TYPE)
      i = skipWs(buf, vEnd)
      if (buf[i] !== COMMA) return false
      i = skipWs(buf, i + 1)
    }
    return false
  } catch (e) {
    if (e instanceof Malformed) return false
    throw e
  }
}

/** Parses an object's entries one at a time; returns it and the index after its closing brace. */
function scanEntries(
  w: Window,
  start: number,
  keep: Specs,
  entry: (value: unknown, columns?: unknown[]) => unknown,
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
      let value: unknown
      let columns: string | undefined
      // JSON.parse keeps a `__proto__` column name as a key of its own, not a prototype
      if (buf[vStart] === OPEN_OBJ) {
        const test = startsAsTest(buf, vStart)
        let text: string
        if (test) [text, vEnd] = trimObject(buf, vStart, keep.test)
        else [text, columns, vEnd] = trimNode(buf, vStart, keep.flat, keep.node)
        value = JSON.parse(text)
        // a test after all only if its last resource_type (the one JSON.parse keeps) says so
        if (test && (value as { resource_type?: unknown }).resource_type !== 'test') {
          ;[text, columns] = trimNode(buf, vStart, keep.flat, keep.node)
          value = JSON.parse(text)
        }
      } else {
        vEnd = valueEnd(buf, vStart)
        value = JSON.parse(buf.toString('utf8', vStart, vEnd))
      }
      out[key] =
        columns === undefined ? entry(value) : entry(value, JSON.parse(columns) as unknown[])
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
