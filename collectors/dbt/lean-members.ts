import { BACKSLASH, CLOSE_OBJ, COLON, COMMA, Malformed, OPEN_OBJ } from './json-scan.ts'
import { skipWs, stringEnd, valueEnd } from './json-scan.ts'

/**
 * The members of an object that the lean read keeps, cut out of the file's bytes before any
 * JSON.parse: a node keeps the fields DbtNodeSchema reads, its config the config fields, each of
 * its columns the column fields, so nothing else is parsed, copied or left to the GC.
 */
export type Spec = {
  /** kept keys by length, matched on their bytes, without making a string of a skipped key */
  fields: Map<number, Field[]>
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
  const fields = new Map<number, Field[]>()
  for (const name of names) {
    const bytes = Buffer.from(name, 'utf8')
    const field: Field = { name, bytes, conditional: opts.conditional?.includes(name) ?? false }
    const inner = opts.inner?.[name]
    const each = opts.each?.[name]
    if (inner) field.inner = inner
    if (each) field.each = each
    fields.set(bytes.length, [...(fields.get(bytes.length) ?? []), field])
  }
  return opts.only ? { fields, only: opts.only } : { fields }
}

/** Whether the key whose text (no quotes, no escapes) is buf[from, to) is `bytes`. */
function keyIs(buf: Buffer, from: number, to: number, bytes: Buffer): boolean {
  if (to - from !== bytes.length) return false
  for (let k = 0; k < bytes.length; k++) if (buf[from + k] !== bytes[k]) return false
  return true
}

function fieldOf(spec: Spec, buf: Buffer, key: number, keyEnd: number): Field | undefined {
  let escaped = false
  for (let k = key + 1; k < keyEnd - 1; k++) if (buf[k] === BACKSLASH) escaped = true
  if (!escaped) {
    return spec.fields.get(keyEnd - key - 2)?.find((f) => keyIs(buf, key + 1, keyEnd - 1, f.bytes))
  }
  // a key written with escapes: decode it (rare; JSON.parse reads `\u0061` as `a`)
  const name = JSON.parse(buf.toString('utf8', key, keyEnd)) as string
  return spec.fields.get(Buffer.byteLength(name))?.find((f) => f.name === name)
}

/**
 * The JSON text of the object at buf[start] with only the members `spec` keeps, and the index
 * after its closing brace. Of a repeated key, every copy is kept, so JSON.parse takes the last as
 * it would; kept members next to each other are cut out as one piece.
 */
export function trimObject(buf: Buffer, start: number, spec: Spec): [string, number] {
  // each kept member: its text, or [from, to) in buf; and whether it is conditional
  const kept: (string | number)[] = []
  let only: string | undefined
  let i = skipWs(buf, start + 1)
  if (buf[i] === CLOSE_OBJ) return ['{}', i + 1]
  for (;;) {
    const [keyEnd, vStart] = member(buf, i)
    const field = fieldOf(spec, buf, i, keyEnd)
    let vEnd: number
    if (field?.inner && buf[vStart] === OPEN_OBJ) {
      const [text, end] = trimObject(buf, vStart, field.inner)
      kept.push(`${buf.toString('utf8', i, keyEnd)}:${text}`, 0, 0)
      vEnd = end
    } else if (field?.each && buf[vStart] === OPEN_OBJ) {
      const [text, end] = trimEntries(buf, vStart, field.each)
      kept.push(`${buf.toString('utf8', i, keyEnd)}:${text}`, 0, 0)
      vEnd = end
    } else {
      vEnd = valueEnd(buf, vStart)
      if (field) kept.push(i, vEnd, field.conditional ? 1 : 0)
    }
    if (field && spec.only && field.name === spec.only.key) {
      only = String(JSON.parse(buf.toString('utf8', vStart, vEnd)))
    }
    i = next(buf, vEnd)
    if (i < 0) break
  }
  i = -1 - i
  const keepConditional = only !== undefined && (spec.only?.types.has(only) ?? false)
  const pieces: string[] = []
  let from = -1
  let to = -1
  for (let k = 0; k < kept.length; k += 3) {
    const a = kept[k]!
    if (typeof a === 'string') {
      if (from >= 0) pieces.push(buf.toString('utf8', from, to))
      from = -1
      pieces.push(a)
      continue
    }
    if (kept[k + 2] === 1 && !keepConditional) continue
    const t = kept[k + 1] as number
    // the previous kept member and this one are neighbours: only a comma and space between
    if (from >= 0 && onlySeparator(buf, to, a)) to = t
    else {
      if (from >= 0) pieces.push(buf.toString('utf8', from, to))
      from = a
      to = t
    }
  }
  if (from >= 0) pieces.push(buf.toString('utf8', from, to))
  return [`{${pieces.join(',')}}`, i + 1]
}

/** An object whose every entry is kept, each object value trimmed by `spec`. */
function trimEntries(buf: Buffer, start: number, spec: Spec): [string, number] {
  const pieces: string[] = []
  let i = skipWs(buf, start + 1)
  if (buf[i] === CLOSE_OBJ) return ['{}', i + 1]
  for (;;) {
    const [keyEnd, vStart] = member(buf, i)
    let vEnd: number
    if (buf[vStart] === OPEN_OBJ) {
      const [text, end] = trimObject(buf, vStart, spec)
      pieces.push(`${buf.toString('utf8', i, keyEnd)}:${text}`)
      vEnd = end
    } else {
      vEnd = valueEnd(buf, vStart)
      pieces.push(buf.toString('utf8', i, vEnd))
    }
    i = next(buf, vEnd)
    if (i < 0) return [`{${pieces.join(',')}}`, -i]
  }
}

/** The end of the key of the member at buf[i], and where its value starts. */
function member(buf: Buffer, i: number): [number, number] {
  const keyEnd = stringEnd(buf, i)
  const colon = skipWs(buf, keyEnd)
  if (buf[colon] !== COLON) throw new Malformed()
  return [keyEnd, skipWs(buf, colon + 1)]
}

/** After a member's value: the next member's key, or (negative) -1 - its closing brace. */
function next(buf: Buffer, vEnd: number): number {
  const i = skipWs(buf, vEnd)
  if (buf[i] === COMMA) return skipWs(buf, i + 1)
  if (buf[i] !== CLOSE_OBJ) throw new Malformed()
  return -1 - i
}

function onlySeparator(buf: Buffer, from: number, to: number): boolean {
  let commas = 0
  for (let k = from; k < to; k++) {
    const c = buf[k]
    if (c === COMMA) commas++
    else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false
  }
  return commas === 1
}
