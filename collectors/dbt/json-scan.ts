/**
 * The byte scanning under the lean manifest read (lean-json.ts): JSON values found by their
 * delimiters in a window of the file, without parsing them. A scan that runs off the window's end
 * throws NeedMore, and the caller reads on (Window.retry); off the end of the file, Malformed.
 */

import {
  BACKSLASH,
  CLOSE_ARR,
  CLOSE_OBJ,
  COMMA,
  OPEN_ARR,
  OPEN_OBJ,
  QUOTE,
} from '../../common/json-bytes.ts'

export class Malformed extends Error {}

/** The window ended before the value did: read more and scan it again. */
class NeedMore extends Error {}

/** Windows that hold the file to its end: running off them is malformed input. */
const COMPLETE = new WeakSet<Buffer>()

function ranOut(buf: Buffer): never {
  throw COMPLETE.has(buf) ? new Malformed() : new NeedMore()
}

/**
 * A file read a window at a time, so that it is never in memory whole. `retry(at, scan)` runs a
 * scan from index `at`; when it runs off the window, the bytes before `at` are dropped, more are
 * read (the window doubles when what is kept fills it), and the scan runs again. Indices a scan
 * returns are in the window as it is when it returns.
 */
export class Window {
  buf: Buffer
  /** the allocation behind buf (when this window allocated it), and the one before it */
  private current: Buffer | undefined
  private spare: Buffer | undefined
  private readonly read: ((into: Buffer, at: number) => number) | undefined
  private readonly chunk: number

  /** A whole buffer; or, with `read` (bytes read into `into` at `at`, 0 at the end), a stream. */
  constructor(buf: Buffer, read?: (into: Buffer, at: number) => number, chunk = 8 << 20) {
    this.buf = buf
    this.read = read
    this.chunk = chunk
    if (!read) COMPLETE.add(buf)
  }

  retry<T>(at: number, scan: (buf: Buffer, at: number) => T): T {
    let from = at
    for (;;) {
      try {
        return scan(this.buf, from)
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e
        this.refill(from)
        from = 0
      }
    }
  }

  /** Keeps buf[from…] at the start of the next window and fills the rest from the file. */
  private refill(from: number): void {
    if (!this.read) throw new Malformed()
    const keep = this.buf.length - from
    const size = Math.max(this.chunk, keep * 2)
    // two buffers in turn: the strings taken from a window are copies, so the old one is free
    const next = this.spare && this.spare.length >= size ? this.spare : Buffer.allocUnsafeSlow(size)
    this.spare = this.current
    this.current = next
    this.buf.copy(next, 0, from)
    let n = keep
    let done = false
    while (n < size) {
      const got = this.read(next, n)
      if (got === 0) {
        done = true
        break
      }
      n += got
    }
    this.buf = next.subarray(0, n)
    if (done) COMPLETE.add(this.buf)
  }
}

export function skipWs(buf: Buffer, i: number): number {
  let j = i
  while (j < buf.length) {
    const c = buf[j]
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return j
    j++
  }
  return ranOut(buf)
}

const SHORT_STRING = 48

/** Index just past the string starting at i (a quote). */
export function stringEnd(buf: Buffer, i: number): number {
  if (buf[i] !== QUOTE) throw new Malformed()
  let j = i + 1
  // most strings are keys and short values: a loop finds their end sooner than a call to
  // Buffer#indexOf (a native call per string), which takes over past SHORT_STRING bytes
  const short = Math.min(buf.length, j + SHORT_STRING)
  for (; j < short; j++) {
    const c = buf[j]
    if (c === QUOTE) return j + 1
    if (c === BACKSLASH) j++
  }
  if (j > buf.length) j = buf.length
  for (;;) {
    const q = buf.indexOf(QUOTE, j)
    if (q < 0) return ranOut(buf)
    let back = 0
    while (buf[q - 1 - back] === BACKSLASH) back++
    if (back % 2 === 0) return q + 1
    j = q + 1
  }
}

/** Index just past the JSON value starting at i. */
export function valueEnd(buf: Buffer, i: number): number {
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
    // a number or literal at the end of the window may go on in the next bytes
    if (j === buf.length && !COMPLETE.has(buf)) throw new NeedMore()
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
  return ranOut(buf)
}
