import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export type ReceiverMode = 'ok' | '429' | '500' | '404' | 'hang'

/**
 * A real Slack-incoming-webhook stand-in on 127.0.0.1: records the messages it accepts (answered
 * 200 "ok" like Slack), and can be told to rate-limit (429 + Retry-After), fail (500), refuse
 * (404 no_service), hang, or go away entirely (closed: connections are refused) and come back.
 */
export async function startReceiver() {
  const accepted: { path: string; body: unknown }[] = []
  let requests = 0
  let mode: ReceiverMode = 'ok'
  /** Modes for one webhook path (one domain's route), over the receiver-wide mode. */
  const pathModes = new Map<string, ReceiverMode>()
  const hanging: ServerResponse[] = []
  let retryAfter = '30'
  const sockets = new Set<Socket>()

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      requests++
      const m = pathModes.get(req.url ?? '') ?? mode
      if (m === 'hang') return void hanging.push(res)
      if (m !== 'ok') return answer(m, res)
      accepted.push({
        path: req.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown,
      })
      res.writeHead(200, { 'content-type': 'text/html' }).end('ok')
    })
  }

  const answer = (m: Exclude<ReceiverMode, 'ok' | 'hang'>, res: ServerResponse) => {
    if (m === '429')
      return void res
        .writeHead(429, { 'retry-after': retryAfter, 'content-type': 'text/plain' })
        .end('rate_limited')
    if (m === '500')
      return void res.writeHead(500, { 'content-type': 'text/plain' }).end('internal_error')
    res.writeHead(404, { 'content-type': 'text/plain' }).end('no_service')
  }

  let server = createServer(handle)
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.on('connection', (s) => {
        sockets.add(s)
        s.on('close', () => sockets.delete(s))
      })
      server.listen(port, '127.0.0.1', () => {
        const a = server.address()
        resolve(typeof a === 'object' && a ? a.port : port)
      })
    })
  const port = await listen(0)
  let open = true

  const close = () =>
    new Promise<void>((resolve) => {
      if (!open) return resolve()
      open = false
      for (const s of sockets) s.destroy()
      server.close(() => resolve())
    })

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    accepted,
    get requests() {
      return requests
    },
    /** Requests held unanswered by 'hang', oldest first. */
    hanging,
    /** The mode of one webhook path only (e.g. one domain's route); undefined restores the default. */
    setPathMode(path: string, m: ReceiverMode | undefined) {
      if (m === undefined) pathModes.delete(path)
      else pathModes.set(path, m)
    },
    setMode(m: ReceiverMode, opts: { retryAfter?: string } = {}) {
      mode = m
      if (opts.retryAfter !== undefined) retryAfter = opts.retryAfter
    },
    get isOpen() {
      return open
    },
    /** Goes away: new connections get ECONNREFUSED until reopen(). */
    close,
    async reopen() {
      if (open) return
      server = createServer(handle)
      await listen(port)
      open = true
    },
  }
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>
