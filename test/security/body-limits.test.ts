import { Agent, request } from 'node:http'
import type { AddressInfo } from 'node:net'
import { constants as bufferConstants } from 'node:buffer'
import { createGzip, gzipSync } from 'node:zlib'
import { serve, type ServerType } from '@hono/node-server'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { DEFAULT_LIMITS, type BodyLimits } from '../../server/body.ts'
import { domainBatch } from './helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// Real HTTP on 127.0.0.1: the body limits and the event loop while a big body is parsed.
const servers: ServerType[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
})

async function start(limits?: Partial<BodyLimits>): Promise<string> {
  const app = createApp({ store: sqliteStore(openDb(':memory:')), ...(limits ? { limits } : {}) })
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  servers.push(server)
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** gzip of a JSON batch whose one meta string makes the whole `total` bytes: a compression bomb. */
async function gzipBomb(total: number): Promise<Buffer> {
  const b = domainBatch('sales')
  const [head, tail] = JSON.stringify({
    ...b,
    datasets: [{ ...b.datasets[0], meta: { blob: '\u0000' } }],
  }).split('\\u0000') as [string, string]
  const gz = createGzip()
  const out: Buffer[] = []
  gz.on('data', (c: Buffer) => out.push(c))
  const done = new Promise((r) => gz.on('end', r))
  const chunk = Buffer.alloc(1 << 20, 0x61)
  let left = total - head.length - tail.length
  gz.write(head)
  while (left > 0) {
    const part = left >= chunk.length ? chunk : chunk.subarray(0, left)
    left -= part.length
    if (!gz.write(part)) await new Promise((r) => gz.once('drain', r))
  }
  gz.end(tail)
  await done
  return Buffer.concat(out)
}

const postGzip = (url: string, body: Buffer) =>
  fetch(`${url}/api/batches`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
    body,
  })

describe('body limits over real HTTP', () => {
  it('answers a gzipped body sent without Content-Length past the wire limit with 413, and keeps serving', async () => {
    const url = await start({ maxBytes: 64 * 1024 })
    // incompressible: its gzip is larger than the 64 KiB the wire may carry
    const b = domainBatch('sales')
    const noise = Array.from({ length: 40_000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36))
    const gz = gzipSync(JSON.stringify({ ...b, warnings: noise }))
    expect(gz.length).toBeGreaterThan(64 * 1024)
    const res = await fetch(`${url}/api/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      // a stream: sent chunked, no Content-Length to refuse it by up front
      body: new Blob([gz]).stream(),
      duplex: 'half',
    } as RequestInit)
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: { code: 'payload_too_large' } })
    expect((await fetch(`${url}/api/health`)).status).toBe(200)
  })

  // 536,870,900 bytes: just under a configured 512 MiB, and past what Node can hold as a string.
  const NEAR_512_MIB = 536_870_900
  let bomb: Buffer
  beforeAll(async () => {
    bomb = await gzipBomb(NEAR_512_MIB)
  }, 120_000)

  it('answers a gzip bomb with 413 naming the decompressed limit, with the default limits', async () => {
    expect(bomb.length).toBeLessThan(DEFAULT_LIMITS.maxBytes)
    const res = await postGzip(await start(), bomb)
    expect(res.status).toBe(413)
    const body = (await res.json()) as { error: { code: string; message: string } }
    expect(body.error.code).toBe('payload_too_large')
    expect(body.error.message).toContain(String(DEFAULT_LIMITS.maxDecompressedBytes))
    expect(body.error.message).toContain('MESHWATCH_MAX_DECOMPRESSED_BYTES')
  })

  it('clamps a configured maximum to what Node can hold: 413, not 500, just under 512 MiB', async () => {
    const url = await start({ maxBytes: 32 << 20, maxDecompressedBytes: 512 << 20 })
    const res = await postGzip(url, bomb)
    const text = await res.text()
    expect(res.status, text).toBe(413)
    expect(text).toContain(String(bufferConstants.MAX_STRING_LENGTH))
  }, 60_000)

  it('refuses one string over the per-string limit with 413 naming its path', async () => {
    const b = domainBatch('sales')
    b.datasets[0]!.meta = { blob: 'x'.repeat(DEFAULT_LIMITS.maxStringBytes + 1) }
    const res = await fetch(`${await start()}/api/batches`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
    })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({
      error: {
        code: 'payload_too_large',
        path: '$.datasets[0].meta.blob',
        message: expect.stringContaining('MESHWATCH_MAX_STRING_BYTES'),
      },
    })
  })

  it('keeps answering /api/health while a large allowed body is parsed', async () => {
    const url = new URL(await start())
    const b = domainBatch('sales')
    b.datasets[0]!.meta = { rows: Array.from({ length: 1_200_000 }, (_, i) => ({ i, ok: true })) }
    const body = Buffer.from(JSON.stringify(b))
    expect(body.length).toBeLessThan(DEFAULT_LIMITS.maxBytes)

    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    const health = () =>
      new Promise<number>((resolve, reject) => {
        request({ host: url.hostname, port: url.port, path: '/api/health', agent }, (res) => {
          res.resume()
          res.on('end', () => resolve(res.statusCode ?? 0))
        })
          .on('error', reject)
          .end()
      })
    expect(await health()).toBe(200) // opens the connection the probe below reuses

    let finished = false
    let answered = 0
    let probes: Promise<void> = Promise.resolve()
    const big = new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/api/batches',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
        },
        (res) => {
          res.resume()
          res.on('end', () => {
            finished = true
            resolve(res.statusCode ?? 0)
          })
        },
      )
      req.on('error', reject)
      // All but the last byte, then (once the server answered a probe, so it has read them) the
      // rest: from then on the server parses, and health probes, one after the other, keep coming.
      req.write(body.subarray(0, -1), () => {
        probes = health().then(async () => {
          req.end(body.subarray(-1))
          while (!finished) if ((await health()) === 200 && !finished) answered++
        })
        probes.catch(reject)
      })
    })
    expect(await big).toBe(201)
    await probes // the probe in flight when the batch was answered ends before the agent does
    // Parsing 20 MB takes many slices; one JSON.parse of it answered at most the probe in flight.
    expect(answered).toBeGreaterThanOrEqual(3)
    agent.destroy()
  }, 120_000)
})
