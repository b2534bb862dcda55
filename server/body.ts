import { createGunzip } from 'node:zlib'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { Context } from 'hono'
import { fail } from './errors.ts'

export interface BodyLimits {
  /** Bytes on the wire. */
  maxBytes: number
  /** Bytes after gzip decompression (guards against gzip bombs). */
  maxDecompressedBytes: number
  /** Nesting depth of objects/arrays. */
  maxDepth: number
}

export const DEFAULT_LIMITS: BodyLimits = {
  maxBytes: 128 * 1024 * 1024,
  maxDecompressedBytes: 512 * 1024 * 1024,
  maxDepth: 64,
}

/**
 * Reads a JSON request body (optionally `Content-Encoding: gzip`) within limits.
 * Answers 413 over a limit and 400 for bad JSON, always as the API's JSON error shape.
 */
export async function readJsonBody(c: Context, overrides: Partial<BodyLimits> = {}): Promise<unknown> {
  const limits = { ...DEFAULT_LIMITS, ...overrides }
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > limits.maxBytes) tooLarge(limits.maxBytes, 'request body')
  const raw = c.req.raw.body
  if (!raw) fail(400, 'invalid_json', 'request body is empty; expected JSON')
  const encoding = (c.req.header('content-encoding') ?? 'identity').toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip') {
    fail(415, 'unsupported_encoding', `Content-Encoding ${encoding} is not supported (use gzip or none)`)
  }
  const wire = Readable.fromWeb(raw as NodeReadableStream<Uint8Array>)
  const stream = encoding === 'gzip' ? wire.pipe(createGunzip()) : wire
  const parts: Buffer[] = []
  let wireBytes = 0
  let size = 0
  wire.on('data', (b: Buffer) => {
    wireBytes += b.length
    if (wireBytes > limits.maxBytes) wire.destroy(new LimitError('request body', limits.maxBytes))
  })
  try {
    for await (const part of stream) {
      const b = part as Buffer
      size += b.length
      if (size > limits.maxDecompressedBytes) {
        stream.destroy()
        throw new LimitError('decompressed body', limits.maxDecompressedBytes)
      }
      parts.push(b)
    }
  } catch (e) {
    if (e instanceof LimitError) tooLarge(e.limit, e.what)
    if (wireBytes > limits.maxBytes) tooLarge(limits.maxBytes, 'request body')
    fail(400, 'invalid_encoding', `could not read the request body: ${(e as Error).message}`)
  }
  const text = Buffer.concat(parts).toString('utf8')
  if (text.trim() === '') fail(400, 'invalid_json', 'request body is empty; expected JSON')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    fail(400, 'invalid_json', `request body is not valid JSON: ${(e as Error).message}`)
  }
  const depth = jsonDepth(value, limits.maxDepth)
  if (depth > limits.maxDepth) {
    fail(400, 'too_deep', `JSON nesting is deeper than the limit of ${limits.maxDepth}`)
  }
  return value
}

class LimitError extends Error {
  readonly what: string
  readonly limit: number
  constructor(what: string, limit: number) {
    super(`${what} exceeds ${limit} bytes`)
    this.what = what
    this.limit = limit
  }
}

function tooLarge(limit: number, what: string): never {
  fail(413, 'payload_too_large', `${what} exceeds the limit of ${limit} bytes`)
}

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
