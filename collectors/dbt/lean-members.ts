import { BACKSLASH, CLOSE_OBJ, COLON, COMMA, Malformed, OPEN_OBJ, QUOTE } from './json-scan.ts'
import { skipWs, stringEnd, valueEnd } from './json-scan.ts'

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
}

export function specOf(
  names: readonly string[],
  opts: {
    conditional?: readonly string[]
    inner?: Record<string, Spec>
    each?: Record<string, Spec>
    only?: Spec['only']
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
