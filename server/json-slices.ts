import { setImmediate as yieldToLoop } from 'node:timers/promises'
import {
  BACKSLASH,
  CLOSE_ARR,
  CLOSE_OBJ,
  COLON,
  COMMA,
  OPEN_ARR,
  OPEN_OBJ,
  QUOTE,
} from '../common/json-bytes.ts'

export interface SliceOptions {
  /** A string (or key) longer than this many bytes, as sent, is refused. */
  maxStringBytes: number
  /** Nesting depth of objects/arrays. */
  maxDepth: number
  /** Bytes handed to one JSON.parse call at most (a few ms of work). */
  sliceBytes?: number
  /** Parse this long, then let the event loop run other requests. */
  budgetMs?: number
}

/** A limit of the parsed JSON was passed; `path` names where (`$.datasets[0].meta.x`). */
export class JsonLimitError extends Error {
  override name = 'JsonLimitError'
  readonly kind: 'string' | 'depth'
  readonly path: string
  constructor(kind: 'string' | 'depth', path: string, message: string) {
    super(message)
    this.kind = kind
    this.path = path
  }
}

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError'
}

const SLICE_BYTES = 256 * 1024
const BUDGET_MS = 10

const isWs = (c: number | undefined) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/**
 * JSON.parse for large bodies without blocking the event loop: containers bigger than a slice are
 * walked entry by entry, runs of small entries go to JSON.parse a slice at a time, and the loop
 * gets a turn every `budgetMs`. Refuses strings over `maxStringBytes` and nesting over `maxDepth`
 * before parsing them. Keys named `__proto__` stay own keys, as with JSON.parse.
 */
export async function parseJsonSliced(buf: Buffer, opts: SliceOptions): Promise<unknown> {
  const p = new SlicedParser(buf, opts)
  const start = p.ws(0)
  const [value, end] = await p.value(start, 0, '$')
  if (p.wsOrEnd(end) !== buf.length) throw p.syntax(end, 'unexpected data after the JSON value')
  return value
}

class SlicedParser {
  private mark = performance.now()
  private readonly slice: number
  private readonly budgetMs: number

  private readonly buf: Buffer
  private readonly opts: SliceOptions

  constructor(buf: Buffer, opts: SliceOptions) {
    this.buf = buf
    this.opts = opts
    // A slice never holds a string over the limit, so only strings outside slices need checking.
    this.slice = Math.max(64, Math.min(opts.sliceBytes ?? SLICE_BYTES, opts.maxStringBytes))
    this.budgetMs = opts.budgetMs ?? BUDGET_MS
  }

  syntax(at: number, what: string): JsonSyntaxError {
    return new JsonSyntaxError(`${what} at byte ${at}`)
  }

  ws(i: number): number {
    const j = this.wsOrEnd(i)
    if (j >= this.buf.length) throw this.syntax(j, 'unexpected end of JSON')
    return j
  }

  wsOrEnd(i: number): number {
    let j = i
    while (j < this.buf.length && isWs(this.buf[j])) j++
    return j
  }

  private async breathe(): Promise<void> {
    if (performance.now() - this.mark < this.budgetMs) return
    await yieldToLoop()
    this.mark = performance.now()
  }

  /** JSON.parse of bytes [from, to), wrapped; errors name the byte they start at. */
  private parse(from: number, to: number, open = '', close = ''): unknown {
    try {
      return JSON.parse(`${open}${this.buf.toString('utf8', from, to)}${close}`) as unknown
    } catch (e) {
      throw new JsonSyntaxError(`${(e as Error).message} (in the value at byte ${from})`)
    }
  }

  private checkDepth(value: unknown, depth: number, path: string): void {
    const room = this.opts.maxDepth - depth
    if (jsonDepth(value, room) > room) throw this.tooDeep(path)
  }

  private tooDeep(path: string): JsonLimitError {
    return new JsonLimitError(
      'depth',
      path,
      `JSON nesting is deeper than the limit of ${this.opts.maxDepth} at ${path}`,
    )
  }

  /** The end of the string at i, refusing one longer than the string limit. */
  private stringEnd(i: number, path: string): number {
    if (this.buf[i] !== QUOTE) throw this.syntax(i, 'expected a string')
    const max = this.opts.maxStringBytes
    const q = this.closingQuote(i, i + 2 + max)
    if (q >= 0) return q + 1
    if (this.buf.length - i - 1 <= max) throw this.syntax(i, 'unterminated string')
    throw new JsonLimitError(
      'string',
      path,
      `a string at ${path} is longer than the limit of ${max} bytes`,
    )
  }

  /** The index of the quote closing the string opened at i, if it is before `stop`; else -1. */
  private closingQuote(i: number, stop: number): number {
    const view = this.buf.subarray(0, Math.min(stop, this.buf.length))
    let k = i + 1
    for (;;) {
      const q = view.indexOf(QUOTE, k)
      if (q < 0) return -1
      let back = 0
      while (view[q - 1 - back] === BACKSLASH) back++
      if (back % 2 === 0) return q
      k = q + 1
    }
  }

  /** The end of the value at i if it ends within `room` bytes, else -1. */
  private boundedEnd(i: number, room: number): number {
    if (room <= 0) return -1
    const buf = this.buf
    const stop = Math.min(buf.length, i + room)
    const c = buf[i]
    if (c === QUOTE) {
      const q = this.closingQuote(i, stop)
      return q < 0 ? -1 : q + 1
    }
    if (c !== OPEN_OBJ && c !== OPEN_ARR) {
      let j = i
      while (
        j < stop &&
        !isWs(buf[j]) &&
        buf[j] !== COMMA &&
        buf[j] !== CLOSE_OBJ &&
        buf[j] !== CLOSE_ARR
      )
        j++
      if (j === i) throw this.syntax(i, 'expected a value')
      return j < stop || stop === buf.length ? j : -1
    }
    let depth = 0
    let j = i
    while (j < stop) {
      const d = buf[j]
      if (d === QUOTE) {
        const q = this.closingQuote(j, stop)
        if (q < 0) return -1
        j = q + 1
        continue
      }
      if (d === OPEN_OBJ || d === OPEN_ARR) depth++
      else if (d === CLOSE_OBJ || d === CLOSE_ARR) {
        depth--
        if (depth === 0) return j + 1
      }
      j++
    }
    return -1
  }

  async value(i: number, depth: number, path: string): Promise<[unknown, number]> {
    const c = this.buf[i]
    if (c !== OPEN_OBJ && c !== OPEN_ARR) {
      const end = c === QUOTE ? this.stringEnd(i, path) : this.boundedEnd(i, this.slice)
      if (end < 0) throw this.syntax(i, 'a value too long')
      return [this.parse(i, end), end]
    }
    const end = this.boundedEnd(i, this.slice)
    if (end >= 0) {
      const v = this.parse(i, end)
      this.checkDepth(v, depth, path)
      await this.breathe()
      return [v, end]
    }
    if (depth + 1 > this.opts.maxDepth) throw this.tooDeep(path)
    return c === OPEN_ARR ? this.array(i, depth + 1, path) : this.object(i, depth + 1, path)
  }

  private async array(open: number, depth: number, path: string): Promise<[unknown[], number]> {
    const out: unknown[] = []
    let i = this.ws(open + 1)
    if (this.buf[i] === CLOSE_ARR) return [out, i + 1]
    let group = -1
    let groupEnd = -1
    const flush = async () => {
      if (group < 0) return
      const items = this.parse(group, groupEnd, '[', ']') as unknown[]
      this.checkDepth(items, depth - 1, path)
      for (const x of items) out.push(x)
      group = -1
      await this.breathe()
    }
    for (;;) {
      const room = group < 0 ? this.slice : this.slice - (i - group)
      const end = this.boundedEnd(i, room)
      if (end >= 0) {
        if (group < 0) group = i
        groupEnd = end
      } else {
        await flush()
        const small = this.boundedEnd(i, this.slice)
        if (small >= 0) {
          group = i
          groupEnd = small
        } else {
          const [v, e] = await this.value(i, depth, `${path}[${out.length}]`)
          out.push(v)
          groupEnd = e
        }
      }
      const next = this.ws(groupEnd)
      if (this.buf[next] === COMMA) {
        i = this.ws(next + 1)
        continue
      }
      if (this.buf[next] === CLOSE_ARR) {
        await flush()
        return [out, next + 1]
      }
      throw this.syntax(next, "expected ',' or ']'")
    }
  }

  private async object(
    open: number,
    depth: number,
    path: string,
  ): Promise<[Record<string, unknown>, number]> {
    const out: Record<string, unknown> = {}
    let i = this.ws(open + 1)
    if (this.buf[i] === CLOSE_OBJ) return [out, i + 1]
    let group = -1
    let groupEnd = -1
    const flush = async () => {
      if (group < 0) return
      const part = this.parse(group, groupEnd, '{', '}') as Record<string, unknown>
      this.checkDepth(part, depth - 1, path)
      for (const k of Object.keys(part)) put(out, k, part[k])
      group = -1
      await this.breathe()
    }
    for (;;) {
      const keyEnd = this.stringEnd(i, `${path} (a key)`)
      const colon = this.ws(keyEnd)
      if (this.buf[colon] !== COLON) throw this.syntax(colon, "expected ':'")
      const v = this.ws(colon + 1)
      const room = group < 0 ? this.slice : this.slice - (i - group)
      const end = this.boundedEnd(v, room - (v - i))
      if (end >= 0) {
        if (group < 0) group = i
        groupEnd = end
      } else {
        await flush()
        const small = this.boundedEnd(v, this.slice)
        if (small >= 0) {
          group = i
          groupEnd = small
        } else {
          const key = this.parse(i, keyEnd) as string
          const [value, e] = await this.value(v, depth, childPath(path, key))
          put(out, key, value)
          groupEnd = e
        }
      }
      const next = this.ws(groupEnd)
      if (this.buf[next] === COMMA) {
        i = this.ws(next + 1)
        continue
      }
      if (this.buf[next] === CLOSE_OBJ) {
        await flush()
        return [out, next + 1]
      }
      throw this.syntax(next, "expected ',' or '}'")
    }
  }
}

/** `o[k] = v` as JSON.parse does it: `__proto__` becomes an own key, not the prototype. */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
  else o[k] = v
}

const childPath = (path: string, key: string) =>
  /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`

/** Depth of nesting, stopping early once past `cap`. Iterative, so hostile input can't overflow the stack. */
export function jsonDepth(value: unknown, cap: number): number {
  let max = 0
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number]
    if (v === null || typeof v !== 'object') continue
    const depth = d + 1
    if (depth > max) max = depth
    if (max > cap) return max
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth])
  }
  return max
}
