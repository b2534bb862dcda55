import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { keyOf, loadRecording, RECORDED_TOKEN } from '../../../fixtures/airflow/replay.ts'

/**
 * A stand-in Airflow on 127.0.0.1 that replays recorded REST exchanges (fixtures/airflow/<v>/),
 * matched by method, path, query (order-free) and JSON body. Credentials: admin/admin.
 */

export type StubRequest = { method: string; path: string; query: URLSearchParams; body: unknown }
export type StubReply = { status: number; body: unknown; delayMs?: number }
export type StubOptions = {
  dir: string
  version: 'v1' | 'v2'
  /** Answer a request differently (a failure, a malformed body); undefined replays it. */
  override?: (req: StubRequest, recorded: StubReply | undefined) => StubReply | undefined
}
export type Stub = { url: string; requests: StubRequest[]; close: () => Promise<void> }

const TOKEN = RECORDED_TOKEN
const BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const c of req) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)))
  const text = Buffer.concat(chunks).toString('utf8')
  return text ? JSON.parse(text) : undefined
}

const field = (body: unknown, k: string): unknown =>
  typeof body === 'object' && body !== null && k in body ? Object(body)[k] : undefined

export async function startStub(opts: StubOptions): Promise<Stub> {
  const recorded = loadRecording(opts.dir)
  const requests: StubRequest[] = []
  const prefix = `/api/${opts.version}`

  const answer = (req: StubRequest, auth: string | undefined): StubReply => {
    if (opts.version === 'v2' && req.method === 'POST' && req.path === '/auth/token') {
      const ok = field(req.body, 'username') === 'admin' && field(req.body, 'password') === 'admin'
      return ok
        ? { status: 201, body: { access_token: TOKEN } }
        : { status: 401, body: { detail: 'Invalid credentials' } }
    }
    if (!req.path.startsWith(prefix)) return { status: 404, body: { detail: 'Not Found' } }
    if (req.path !== `${prefix}/version`) {
      const expected = opts.version === 'v2' ? `Bearer ${TOKEN}` : BASIC
      if (auth !== expected) return { status: 401, body: { detail: 'Not authenticated' } }
    }
    const key = keyOf(req.method, `${req.path}?${req.query}`, req.body)
    return recorded.get(key) ?? { status: 404, body: { detail: `not recorded: ${key}` } }
  }

  const server = createServer((req, res) => {
    void (async () => {
      const u = new URL(req.url ?? '/', 'http://stub')
      const sreq: StubRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        body: await readBody(req),
      }
      requests.push(sreq)
      const base = answer(sreq, req.headers.authorization)
      const reply = opts.override?.(sreq, base.status < 400 ? base : undefined) ?? base
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs))
      if (res.destroyed) return
      res.writeHead(reply.status, { 'content-type': 'application/json' })
      res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body))
    })()
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
