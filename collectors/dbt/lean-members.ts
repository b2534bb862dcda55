import { BACKSLASH, CLOSE_OBJ, COLON, COMMA, OPEN_OBJ, QUOTE } from '../../common/json-bytes.ts'
import { Malformed, skipWs, stringEnd, valueEnd } from './json-scan.ts'

/**
 * The members of an object that the lean read keeps, cut out of the file's bytes before any
 * JSON.parse: a node keeps the fields DbtNodeSchema reads, its config the config fields, each of
 * its columns the column fields, so nothing else is parsed, copied or left to the GC.
 */
export type Spec = {
  /**
   * kept keys by length (an array indexed by it: cheaper than a Map lookup per member), matched
   * on their bytes, without making a string of a skipped key
   */
  fields: (Field[] | undefined)[]
  /** members kept only when the object's `key` member (as String() reads it) is one of `types` */
  only?: { key: string; types: ReadonlySet<string> }
}

type Field = {
  name: string
  bytes: Buffer
  /** kept only under Spec.only */
  conditional: boolean
  /** an object value is trimmed by this spec */
  inner?: Spec
  /** each entry of an object value is trimmed by this spec (a map of columns) */
  each?: Spec
  /**
   * a map of columns, read apart (trimNode's columns text) instead of written; as `each` when
   * it cannot be (see writeFlat)
   */
  flat?: boolean
}

export function specOf(
  names: readonly string[],
  opts: {
    conditional?: readonly string[]
    inner?: Record<string, Spec>
    each?: Record<string, Spec>
    only?: Spec['only']
    /** names of `each` fields read apart (Field.flat) */
    flat?: readonly string[]
  } = {},
): Spec {
  const fields: (Field[] | undefined)[] = []
  for (const name of names) {
    const bytes = Buffer.from(name, 'utf8')
    const field: Field = { name, bytes, conditional: opts.conditional?.includes(name) ?? false }
    const inner = opts.inner?.[name]
    const each = opts.each?.[name]
    if (inner) field.inner = inner
    if (each) field.each = each
    if (each && opts.flat?.includes(name)) field.flat = true
    fields[bytes.length] = [...(fields[bytes.length] ?? []), field]
  }
  // no holes: a read past the longest name or at a missing length stays a fast array load
  for (let n = 0; n < fields.length; n++) fields[n] ??= undefined
  return opts.only ? { fields, only: opts.only } : { fields }
}

/** Whether the key whose text (no quotes, no escapes) is buf[from, to) is `bytes`. */
function keyIs(buf: Buffer, from: number, to: number, bytes: Buffer): boolean {
  if (to - from !== bytes.length) return false
  for (let k = 0; k < bytes.length; k++) if (buf[from + k] !== bytes[k]) return false
  return true
}

/** The field of the key member() last read, at buf[key, keyEnd). */
function fieldOf(spec: Spec, buf: Buffer, key: number, keyEnd: number): Field | undefined {
  // No kept name has a backslash, so a key that matches one byte for byte is that name.
  const length = keyEnd - key - 2
  const candidates = length < spec.fields.length ? spec.fields[length] : undefined
  if (candidates) {
    for (const f of candidates) if (keyIs(buf, key + 1, keyEnd - 1, f.bytes)) return f
  }
  if (!keyEscaped) return undefined
  // a key written with escapes: decode it (rare; JSON.parse reads `\u0061` as `a`)
  const name = JSON.parse(buf.toString('utf8', key, keyEnd)) as string
  return spec.fields[Buffer.byteLength(name)]?.find((f) => f.name === name)
}

// The trimmed text is written as bytes into one reused buffer and decoded once per trimObject:
// a string per kept member, column and config (and their joins) was most of the lean read's
// garbage. Cuts are at member boundaries, so the bytes decode as their pieces would.
let sink = Buffer.allocUnsafe(1 << 16)
let pos = 0

function reserve(n: number): void {
  if (pos + n <= sink.length) return
  let size = sink.length * 2
  while (size < pos + n) size *= 2
  const grown = Buffer.allocUnsafe(size)
  sink.copy(grown, 0, 0, pos)
  sink = grown
}

function put(buf: Buffer, from: number, to: number): void {
  reserve(to - from)
  // Buffer#copy's call costs more than a loop over a short member
  if (to - from > 64) {
    buf.copy(sink, pos, from, to)
    pos += to - from
  } else for (let k = from; k < to; k++) sink[pos++] = buf[k]!
}

function putByte(c: number): void {
  reserve(1)
  sink[pos++] = c
}

/**
 * The JSON text of the object at buf[start] with only the members `spec` keeps, and the index
 * after its closing brace. Of a repeated key, every copy is kept, so JSON.parse takes the last as
 * it would.
 */
export function trimObject(buf: Buffer, start: number, spec: Spec): [string, number] {
  pos = 0
  const end = writeObject(buf, start, spec)
  return [sink.toString('utf8', 0, pos), end]
}

/** A second `columns` member in a node read apart: trimNode trims it again without. */
const TWO_COLUMNS = new Error('two columns members')

/**
 * trimObject of a node whose `flat` field (its columns) is read apart: the node's text without
 * that member, the columns' text (or undefined: none read apart, the member is in the node's text
 * as trimObject writes it), and the index after the node's closing brace. The columns' text is a
 * JSON array of [name, description, data_type, constraints] per column (a member's JSON text as
 * written, null when absent, 0 for an empty constraints list), in the order Object.values gives
 * the columns map JSON.parse makes, without its column objects. `plain`: the spec without `flat`,
 * for a node with two `columns` members.
 */
export function trimNode(
  buf: Buffer,
  start: number,
  spec: Spec,
  plain: Spec,
): [string, string | undefined, number] {
  pos = 0
  flatPos = -1
  columnsSeen = 0
  let end: number
  try {
    end = writeObject(buf, start, spec)
  } catch (e) {
    if (e !== TWO_COLUMNS) throw e
    pos = 0
    flatPos = -1
    end = writeObject(buf, start, plain)
  }
  const columns = flatPos < 0 ? undefined : flatSink.toString('utf8', 0, flatPos)
  return [sink.toString('utf8', 0, pos), columns, end]
}

/** Writes the trimmed object at buf[start] to the sink; returns the index after its brace. */
function writeObject(buf: Buffer, start: number, spec: Spec): number {
  const open = pos
  putByte(OPEN_OBJ)
  let i = skipWs(buf, start + 1)
  if (buf[i] === CLOSE_OBJ) {
    putByte(CLOSE_OBJ)
    return i + 1
  }
  let only: string | undefined
  // where each conditional member was written (with its comma): [from, to) pairs in the sink
  let conditional: number[] | undefined
  // Kept members next to each other in the file are copied as one run of its bytes, the commas
  // (and any whitespace) between them included: [runFrom, runTo) of buf, not yet in the sink.
  let runFrom = -1
  let runTo = 0
  for (;;) {
    const keyEnd = member(buf, i)
    const vStart = valueStart
    const field = fieldOf(spec, buf, i, keyEnd)
    let vEnd: number
    if (field && !field.conditional && !(buf[vStart] === OPEN_OBJ && (field.inner || field.each))) {
      vEnd = valueEnd(buf, vStart)
      if (runFrom < 0) {
        if (pos > open + 1) putByte(COMMA)
        runFrom = i
      }
      runTo = vEnd
      if (spec.only && field.name === spec.only.key) {
        only = String(JSON.parse(buf.toString('utf8', vStart, vEnd)))
      }
      i = next(buf, vEnd)
      if (i < 0) break
      continue
    }
    if (runFrom >= 0) {
      put(buf, runFrom, runTo)
      runFrom = -1
    }
    if (field?.flat && buf[vStart] === OPEN_OBJ) {
      if (++columnsSeen > 1) throw TWO_COLUMNS
      const end = writeFlat(buf, vStart)
      if (end >= 0) {
        i = next(buf, end)
        if (i < 0) break
        continue
      }
    }
    if (field) {
      const from = pos
      if (pos > open + 1) putByte(COMMA)
      put(buf, i, keyEnd)
      putByte(COLON)
      if (field.inner && buf[vStart] === OPEN_OBJ) vEnd = writeObject(buf, vStart, field.inner)
      else if (field.each && buf[vStart] === OPEN_OBJ) vEnd = writeEntries(buf, vStart, field.each)
      else {
        vEnd = valueEnd(buf, vStart)
        put(buf, vStart, vEnd)
      }
      if (field.conditional) (conditional ??= []).push(from, pos)
      if (spec.only && field.name === spec.only.key) {
        only = String(JSON.parse(buf.toString('utf8', vStart, vEnd)))
      }
    } else vEnd = valueEnd(buf, vStart)
    i = next(buf, vEnd)
    if (i < 0) break
  }
  if (runFrom >= 0) put(buf, runFrom, runTo)
  i = -1 - i
  const keepConditional = only !== undefined && (spec.only?.types.has(only) ?? false)
  if (conditional && !keepConditional) dropWritten(open + 1, conditional)
  putByte(CLOSE_OBJ)
  return i + 1
}

/** Removes the sink's [from, to) ranges (in order) written after `first`; fixes the commas. */
function dropWritten(first: number, ranges: number[]): void {
  let at = ranges[0]!
  for (let k = 0; k < ranges.length; k += 2) {
    const nextFrom = k + 2 < ranges.length ? ranges[k + 2]! : pos
    sink.copy(sink, at, ranges[k + 1]!, nextFrom)
    at += nextFrom - ranges[k + 1]!
  }
  pos = at
  // the first member left may now start with the comma of a member that was dropped before it
  if (pos > first && sink[first] === COMMA) {
    sink.copy(sink, first, first + 1, pos)
    pos--
  }
}

/** An object whose every entry is kept, each object value trimmed by `spec`; written to the sink. */
function writeEntries(buf: Buffer, start: number, spec: Spec): number {
  putByte(OPEN_OBJ)
  let i = skipWs(buf, start + 1)
  let first = true
  if (buf[i] !== CLOSE_OBJ) {
    for (;;) {
      const keyEnd = member(buf, i)
      const vStart = valueStart
      if (!first) putByte(COMMA)
      first = false
      put(buf, i, keyEnd)
      putByte(COLON)
      let vEnd: number
      if (buf[vStart] === OPEN_OBJ) vEnd = writeObject(buf, vStart, spec)
      else {
        vEnd = valueEnd(buf, vStart)
        put(buf, vStart, vEnd)
      }
      i = next(buf, vEnd)
      if (i < 0) {
        i = -1 - i
        break
      }
    }
  }
  putByte(CLOSE_OBJ)
  return i + 1
}

/** Where the value of the member member() last read starts (no tuple per member). */
let valueStart = 0

/** Whether the key member() last read has an escape in it (a backslash). */
let keyEscaped = false

/** The end of the key of the member at buf[i]; where its value starts goes to valueStart. */
function member(buf: Buffer, i: number): number {
  if (buf[i] !== QUOTE) throw new Malformed()
  // keys are short: read in a loop that also notes an escape, for fieldOf
  let j = i + 1
  let escaped = false
  while (j < buf.length) {
    const c = buf[j]
    if (c === QUOTE) break
    if (c === BACKSLASH) {
      escaped = true
      j++
    }
    j++
  }
  // past the window's end: stringEnd reads on (or says it is malformed)
  const keyEnd = j < buf.length ? j + 1 : stringEnd(buf, i)
  keyEscaped = escaped
  const colon = skipWs(buf, keyEnd)
  if (buf[colon] !== COLON) throw new Malformed()
  valueStart = skipWs(buf, colon + 1)
  return keyEnd
}

/** After a member's value: the next member's key, or (negative) -1 - its closing brace. */
function next(buf: Buffer, vEnd: number): number {
  const i = skipWs(buf, vEnd)
  if (buf[i] === COMMA) return skipWs(buf, i + 1)
  if (buf[i] !== CLOSE_OBJ) throw new Malformed()
  return -1 - i
}

// trimNode's columns text, written as the node is trimmed (-1: none)
let flatSink = Buffer.allocUnsafe(1 << 16)
let flatPos = -1
let columnsSeen = 0

function flatPut(buf: Buffer, from: number, to: number): void {
  if (flatPos + (to - from) + 8 > flatSink.length) {
    let size = flatSink.length * 2
    while (size < flatPos + (to - from) + 8) size *= 2
    const grown = Buffer.allocUnsafe(size)
    flatSink.copy(grown, 0, 0, flatPos)
    flatSink = grown
  }
  if (to - from > 64) {
    buf.copy(flatSink, flatPos, from, to)
    flatPos += to - from
  } else for (let k = from; k < to; k++) flatSink[flatPos++] = buf[k]!
}

const NULL_TEXT = Buffer.from('null')
const ZERO_TEXT = Buffer.from('0')
const COMMA_TEXT = Buffer.from(',')
const OPEN_ARR_TEXT = Buffer.from('[')
const CLOSE_ARR_TEXT = Buffer.from(']')
const NAME = Buffer.from('name')
const DESCRIPTION = Buffer.from('description')
const DATA_TYPE = Buffer.from('data_type')
const CONSTRAINTS = Buffer.from('constraints')
/** Columns of a node read apart at most (past it, the columns are trimmed as any map). */
const MAX_FLAT = 512

// the keys of the columns map writeFlat is reading, as [start, end) pairs of the file's bytes
const keys: number[] = []

const isKey = (buf: Buffer, at: number, keyEnd: number, name: Buffer): boolean =>
  keyIs(buf, at + 1, keyEnd - 1, name)

/**
 * Writes the columns map at buf[start] apart (trimNode) and returns the index after it; or -1,
 * having written nothing that counts, when the map is not one it reads exactly as JSON.parse and
 * declaredColumns would: a key with an escape or a byte past ASCII (two could decode alike), one
 * starting with a digit (Object.values puts integer keys first), a key twice (JSON.parse keeps
 * its first place and last value), a column member twice, or more than MAX_FLAT columns.
 */
function writeFlat(buf: Buffer, start: number): number {
  flatPos = 0
  flatPut(OPEN_ARR_TEXT, 0, 1)
  let n = 0
  let i = skipWs(buf, start + 1)
  if (buf[i] === CLOSE_OBJ) {
    flatPut(CLOSE_ARR_TEXT, 0, 1)
    return i + 1
  }
  for (;;) {
    const keyEnd = member(buf, i)
    if (keyEscaped || n === MAX_FLAT) return noFlat()
    const first = buf[i + 1]!
    if (first >= 0x30 && first <= 0x39) return noFlat()
    for (let k = i + 1; k < keyEnd - 1; k++) if (buf[k]! >= 0x80) return noFlat()
    for (let k = 0; k < 2 * n; k += 2)
      if (sameKey(buf, keys[k]!, keys[k + 1]!, i, keyEnd)) return noFlat()
    keys[2 * n] = i
    keys[2 * n + 1] = keyEnd
    n++
    const vStart = valueStart
    // a column that is no object is no column (declaredColumns skips it)
    const vEnd = buf[vStart] === OPEN_OBJ ? flatColumn(buf, vStart) : valueEnd(buf, vStart)
    if (vEnd < 0) return noFlat()
    i = next(buf, vEnd)
    if (i < 0) {
      flatPut(CLOSE_ARR_TEXT, 0, 1)
      return -1 - i + 1
    }
  }
}

/** Whether buf[a, aEnd) and buf[b, bEnd) are the same bytes (compared from the end: keys that differ mostly differ there). */
function sameKey(buf: Buffer, a: number, aEnd: number, b: number, bEnd: number): boolean {
  if (aEnd - a !== bEnd - b) return false
  for (let k = aEnd - a - 1; k >= 0; k--) if (buf[a + k] !== buf[b + k]) return false
  return true
}

function noFlat(): number {
  flatPos = -1
  return -1
}

// the members writeFlat keeps of a column, in its order, and where each was: [from, to) in the
// file's bytes (from -1: absent), for the column being read
const FLAT_MEMBERS = [NAME, DESCRIPTION, DATA_TYPE, CONSTRAINTS]
const CONSTRAINTS_AT = 3
const at = new Int32Array(2 * FLAT_MEMBERS.length)

/** One column object of writeFlat: its four members' texts; -1 for one it does not read. */
function flatColumn(buf: Buffer, start: number): number {
  at.fill(-1)
  let i = skipWs(buf, start + 1)
  let end: number
  if (buf[i] === CLOSE_OBJ) end = i + 1
  else {
    for (;;) {
      const keyEnd = member(buf, i)
      if (keyEscaped) return -1
      const vStart = valueStart
      const vEnd = valueEnd(buf, vStart)
      for (let m = 0; m < FLAT_MEMBERS.length; m++) {
        if (!isKey(buf, i, keyEnd, FLAT_MEMBERS[m]!)) continue
        if (at[2 * m]! >= 0) return -1
        at[2 * m] = vStart
        at[2 * m + 1] = vEnd
        break
      }
      i = next(buf, vEnd)
      if (i < 0) {
        end = -1 - i + 1
        break
      }
    }
  }
  if (flatPos > 1) flatPut(COMMA_TEXT, 0, 1)
  for (let m = 0; m < FLAT_MEMBERS.length; m++) {
    if (m > 0) flatPut(COMMA_TEXT, 0, 1)
    const from = at[2 * m]!
    const to = at[2 * m + 1]!
    // an empty list reads as none (declaredColumns reads a list's entries only)
    if (m === CONSTRAINTS_AT && (from < 0 || emptyList(buf, from, to))) flatPut(ZERO_TEXT, 0, 1)
    else if (from < 0) flatPut(NULL_TEXT, 0, 4)
    else flatPut(buf, from, to)
  }
  return end
}

function emptyList(buf: Buffer, from: number, to: number): boolean {
  if (buf[from] !== 0x5b) return false
  for (let k = from + 1; k < to - 1; k++) {
    const c = buf[k]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false
  }
  return buf[to - 1] === 0x5d
}
