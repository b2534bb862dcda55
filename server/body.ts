import { constants as bufferConstants } from 'node:buffer'
import { createGunzip } from 'node:zlib'
import { Readable } from 'node:stream'
import type { ReadableStream as NodeReadableStream } from 'node:stream/web'
import type { Context } from 'hono'
import { ApiError, fail } from './errors.ts'
import { jsonDepth, JsonLimitError, JsonSyntaxError, parseJsonSliced } from './json-slices.ts'

export interface BodyLimits {
  /** Bytes on the wire. */
  maxBytes: number
  /** Bytes after gzip decompression (guards against gzip bombs). */
  maxDecompressedBytes: number
  /** Nesting depth of objects/arrays. */
  maxDepth: number
  /** Bytes of one JSON string (or key) as sent, escapes included. */
  maxStringBytes: number
}

// A dbt project of a few thousand models is a batch of tens of MiB; OpenLineage clients send
// events one by one or 1000 at a time. Above these, one request costs seconds of CPU and
// hundreds of MiB of memory: raise them (MESHWATCH_MAX_*) only for a store that needs it.
export const DEFAULT_LIMITS: BodyLimits = {
  maxBytes: 32 * 1024 * 1024,
  maxDecompressedBytes: 64 * 1024 * 1024,
  maxDepth: 64,
  maxStringBytes: 2 * 1024 * 1024,
}

/** The longest string Node can create (0x1fffffe8 on 64-bit): no body may decompress past it. */
export const MAX_BODY_STRING = bufferConstants.MAX_STRING_LENGTH

/** Bodies up to this size are parsed in one JSON.parse (a few ms); bigger ones a slice at a time. */
const ONE_PARSE_BYTES = 256 * 1024

/**
 * Reads a JSON request body (optionally `Content-Encoding: gzip`) within limits.
 * Answers 413 over a limit and 400 for bad JSON, always as the API's JSON error shape.
 */
export async function readJsonBody(
  c: Context,
  overrides: Partial<BodyLimits> = {},
): Promise<unknown> {
  const limits = { ...DEFAULT_LIMITS, ...overrides }
  const maxDecompressed = Math.min(limits.maxDecompressedBytes, MAX_BODY_STRING)
  const declared = Number(c.req.header('content-length') ?? '0')
  if (declared > limits.maxBytes) tooLarge(limits.maxBytes, 'request body')
  const raw = c.req.raw.body
  if (!raw) fail(400, 'invalid_json', 'request body is empty; expected JSON')
  const encoding = (c.req.header('content-encoding') ?? 'identity').toLowerCase()
  if (encoding !== 'identity' && encoding !== 'gzip') {
    fail(
      415,
      'unsupported_encoding',
      `Content-Encoding ${encoding} is not supported (use gzip or none)`,
    )
  }
  const wire = Readable.fromWeb(raw as NodeReadableStream<Uint8Array>)
  const stream = encoding === 'gzip' ? wire.pipe(createGunzip()) : wire
  // pipe() does not pass the wire's errors on: the limit's destroy below (or a client's reset)
  // would be an uncaught 'error' event, which ends the process, and the gunzip stream read
  // below would wait for more forever
  if (stream !== wire) wire.on('error', (e) => stream.destroy(e))
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
      if (size > maxDecompressed) {
        stream.destroy()
        throw new LimitError(
          maxDecompressed < limits.maxDecompressedBytes
            ? 'decompressed body (the most Node.js can hold as a string)'
            : 'decompressed body',
          maxDecompressed,
        )
      }
      parts.push(b)
    }
  } catch (e) {
    if (e instanceof LimitError) tooLarge(e.limit, e.what)
    if (wireBytes > limits.maxBytes) tooLarge(limits.maxBytes, 'request body')
    fail(400, 'invalid_encoding', `could not read the request body: ${(e as Error).message}`)
  }
  const body = Buffer.concat(parts)
  if (isBlank(body)) fail(400, 'invalid_json', 'request body is empty; expected JSON')
  if (body.length <= ONE_PARSE_BYTES)
    return wellFormed(body, parseWhole(body.toString('utf8'), limits.maxDepth))
  try {
    return wellFormed(
      body,
      await parseJsonSliced(body, {
        maxDepth: limits.maxDepth,
        maxStringBytes: limits.maxStringBytes,
      }),
    )
  } catch (e) {
    if (e instanceof ApiError) throw e
    if (e instanceof JsonLimitError && e.kind === 'string') {
      fail(413, 'payload_too_large', `${e.message} (MESHWATCH_MAX_STRING_BYTES)`, e.path)
    }
    if (e instanceof JsonLimitError) fail(400, 'too_deep', e.message, e.path)
    if (e instanceof JsonSyntaxError)
      fail(400, 'invalid_json', `request body is not valid JSON: ${e.message}`)
    throw e
  }
}

function parseWhole(text: string, maxDepth: number): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    fail(400, 'invalid_json', `request body is not valid JSON: ${(e as Error).message}`)
  }
  const depth = jsonDepth(value, maxDepth)
  if (depth > maxDepth) {
    fail(400, 'too_deep', `JSON nesting is deeper than the limit of ${maxDepth}`)
  }
  return value
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Refuses a string or key holding half of a UTF-16 surrogate pair (JSON's `\uD800` escape alone):
 * it is not Unicode text, and SQLite would store it as U+FFFD, so what was acknowledged would not
 * be what is read back. Only a body with a `\uD8`–`\uDF` escape in it is walked.
 */
function wellFormed(body: Buffer, value: unknown): unknown {
  if (!hasSurrogateEscape(body)) return value
  const bad = loneSurrogateAt(value, '$')
  if (bad)
    fail(
      400,
      'invalid_json',
      `${bad}: holds a lone UTF-16 surrogate (a \\uD800–\\uDFFF escape without its pair), which is not valid Unicode text`,
      bad,
    )
  return value
}

const SURROGATE_LEAD = new Set([...'89abcdefABCDEF'].map((c) => c.charCodeAt(0)))

/** Whether the body has a `\uD8`–`\uDF` escape (a surrogate's; an escaped backslash may match too). */
function hasSurrogateEscape(body: Buffer): boolean {
  for (let i = body.indexOf('\\u', 0, 'latin1'); i >= 0; i = body.indexOf('\\u', i + 2, 'latin1')) {
    const d = body[i + 2]
    if ((d === 0x64 || d === 0x44) && SURROGATE_LEAD.has(body[i + 3] ?? 0)) return true
  }
  return false
}

function loneSurrogateAt(v: unknown, path: string): string | undefined {
  if (typeof v === 'string') return LONE_SURROGATE.test(v) ? path : undefined
  if (v === null || typeof v !== 'object') return undefined
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const bad = loneSurrogateAt(v[i], `${path}[${i}]`)
      if (bad) return bad
    }
    return undefined
  }
  for (const [k, x] of Object.entries(v)) {
    if (LONE_SURROGATE.test(k)) return `${path} (a key)`
    const bad = loneSurrogateAt(x, `${path}.${k}`)
    if (bad) return bad
  }
  return undefined
}

function isBlank(b: Buffer): boolean {
  for (const c of b) if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return false
  return true
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
  const setting = what.startsWith('decompressed')
    ? 'MESHWATCH_MAX_DECOMPRESSED_BYTES'
    : 'MESHWATCH_MAX_BODY_BYTES'
  fail(413, 'payload_too_large', `${what} exceeds the limit of ${limit} bytes (${setting})`)
}

export { jsonDepth }
