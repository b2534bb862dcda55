import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { SlackApiMessageSchema } from '../../../server/alerts/block-kit.ts'

export type SlackApiMode = 'ok' | '429' | '500' | 'hang'

export interface PostedMessage {
  channel: string
  ts: string
  thread_ts?: string
  text: string
  blocks: unknown[]
  /** Every version of the message, oldest first (chat.update appends). */
  versions: { text: string; blocks: unknown[] }[]
}

/**
 * A Slack Web API stand-in on 127.0.0.1 that checks what the real one checks: the bot token
 * (Authorization: Bearer xoxb-…, else `invalid_auth`), a JSON body with a channel (`channel_not_found`
 * for one it does not know), Block Kit within its limits (`invalid_blocks`), chat.update only of a
 * message it holds, by channel ID and ts (`message_not_found`), and thread_ts naming a message of
 * that channel. It answers like Slack: HTTP 200 with `{ok, channel, ts}` or `{ok: false, error}`,
 * and 429 with Retry-After when told to rate-limit.
 */
export async function startSlackApi(opts: { token: string; channels: string[] }) {
  const ids = new Map(
    opts.channels.map((c, i) => [c, `C0${i}${c.replace(/\W/g, '').toUpperCase()}`]),
  )
  const byId = new Set(ids.values())
  const messages: PostedMessage[] = []
  const calls: { method: string; ok: boolean; error?: string }[] = []
  /** Every request that reached it, answered or not (a 429 or 500 included). */
  const requests: string[] = []
  let mode: SlackApiMode = 'ok'
  let retryAfter = '30'
  let seq = 0
  const hanging: ServerResponse[] = []
  const sockets = new Set<Socket>()

  const reply = (res: ServerResponse, method: string, body: Record<string, unknown>) => {
    calls.push({
      method,
      ok: body.ok === true,
      ...(typeof body.error === 'string' ? { error: body.error } : {}),
    })
    res
      .writeHead(200, { 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify(body))
  }

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const method = (req.url ?? '').replace(/^\/api\//, '')
      requests.push(method)
      if (mode === 'hang') return void hanging.push(res)
      if (mode === '500') return void res.writeHead(500).end('internal server error')
      if (mode === '429')
        return void res
          .writeHead(429, { 'retry-after': retryAfter })
          .end('{"ok":false,"error":"ratelimited"}')
      if (req.headers.authorization !== `Bearer ${opts.token}`)
        return reply(res, method, { ok: false, error: 'invalid_auth' })
      if (!String(req.headers['content-type']).startsWith('application/json'))
        return reply(res, method, { ok: false, error: 'invalid_form_data' })
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      } catch {
        return reply(res, method, { ok: false, error: 'invalid_json' })
      }
      const m = SlackApiMessageSchema.safeParse(body)
      if (!m.success) return reply(res, method, { ok: false, error: 'invalid_blocks' })
      const msg = m.data
      if (method === 'chat.postMessage') {
        const channel = ids.get(msg.channel) ?? (byId.has(msg.channel) ? msg.channel : undefined)
        if (!channel) return reply(res, method, { ok: false, error: 'channel_not_found' })
        if (msg.thread_ts && !messages.some((x) => x.channel === channel && x.ts === msg.thread_ts))
          return reply(res, method, { ok: false, error: 'thread_not_found' })
        const ts = `1764100000.${String(++seq).padStart(6, '0')}`
        messages.push({
          channel,
          ts,
          ...(msg.thread_ts ? { thread_ts: msg.thread_ts } : {}),
          text: msg.text,
          blocks: msg.blocks,
          versions: [{ text: msg.text, blocks: msg.blocks }],
        })
        return reply(res, method, { ok: true, channel, ts })
      }
      if (method === 'chat.update') {
        const target = messages.find((x) => x.channel === msg.channel && x.ts === msg.ts)
        if (!target) return reply(res, method, { ok: false, error: 'message_not_found' })
        target.text = msg.text
        target.blocks = msg.blocks
        target.versions.push({ text: msg.text, blocks: msg.blocks })
        return reply(res, method, { ok: true, channel: target.channel, ts: target.ts })
      }
      return reply(res, method, { ok: false, error: 'unknown_method' })
    })
  }

  const server = createServer(handle)
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  const port = await new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const a = server.address()
      resolve(typeof a === 'object' && a ? a.port : 0)
    }),
  )
  return {
    url: `http://127.0.0.1:${port}/api`,
    messages,
    calls,
    requests,
    hanging,
    channelId: (name: string) => ids.get(name) ?? '',
    /** The top-level messages (the living ones) of a channel, and the replies in a thread. */
    parents: (channel: string) =>
      messages.filter((m) => m.channel === ids.get(channel) && !m.thread_ts),
    replies: (ts: string) => messages.filter((m) => m.thread_ts === ts),
    setMode(m: SlackApiMode, o: { retryAfter?: string } = {}) {
      mode = m
      if (o.retryAfter) retryAfter = o.retryAfter
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  }
}

export type SlackApi = Awaited<ReturnType<typeof startSlackApi>>
