import { createHmac, timingSafeEqual } from 'node:crypto'
import { createRequire } from 'node:module'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import { SMTPServer } from 'smtp-server'

export type Mode = 'ok' | '429' | '500' | 'hang'

/** Microsoft's own Adaptive Cards parser (npm adaptivecards): the problems it reports for a card. */
export function adaptiveCardProblems(card: unknown): string[] {
  const AC = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as {
    AdaptiveCard: new () => {
      parse(j: unknown, c: unknown): void
      validateProperties(): { validationEvents: { message: string }[] }
    }
    SerializationContext: new () => {
      eventCount: number
      getEventAt(i: number): { message: string }
    }
  }
  const c = new AC.AdaptiveCard()
  const ctx = new AC.SerializationContext()
  c.parse(card, ctx)
  const out = Array.from({ length: ctx.eventCount }, (_, i) => ctx.getEventAt(i).message)
  return [...out, ...c.validateProperties().validationEvents.map((e) => e.message)]
}

const PD_ACTIONS = ['trigger', 'acknowledge', 'resolve']
const PD_SEVERITIES = ['critical', 'error', 'warning', 'info']

/** The documented fields of a PagerDuty Events API v2 event (developer.pagerduty.com/docs/events-api-v2/overview), as its API checks them. */
export function pagerDutyProblems(e: Record<string, any>): string[] {
  const p: string[] = []
  if (typeof e.routing_key !== 'string' || e.routing_key.length !== 32)
    p.push('routing_key must be 32 characters')
  if (!PD_ACTIONS.includes(e.event_action)) p.push('event_action')
  if (typeof e.dedup_key !== 'string' || e.dedup_key.length > 255) p.push('dedup_key')
  if (e.event_action === 'trigger') {
    const pl = e.payload ?? {}
    if (typeof pl.summary !== 'string' || pl.summary.length < 1 || pl.summary.length > 1024)
      p.push('payload.summary')
    if (typeof pl.source !== 'string' || pl.source.length < 1) p.push('payload.source')
    if (!PD_SEVERITIES.includes(pl.severity)) p.push('payload.severity')
    if (pl.timestamp !== undefined && Number.isNaN(Date.parse(pl.timestamp)))
      p.push('payload.timestamp')
  }
  return p
}

/**
 * One HTTP receiver on 127.0.0.1 for the Teams Workflows webhook (/teams/<sig>, 202), the PagerDuty
 * Events API (/v2/enqueue, 202 `{status: success}` or 400 `invalid event`) and a generic webhook
 * (/hook, which recomputes X-Meshwatch-Signature with the shared secret and answers 401 on a mismatch).
 */
export async function startReceivers(opts: { webhookSecret: string }) {
  const got: {
    teams: any[]
    pagerduty: any[]
    hook: { body: any; headers: IncomingMessage['headers'] }[]
  } = {
    teams: [],
    pagerduty: [],
    hook: [],
  }
  const refused: string[] = []
  let mode: Mode = 'ok'
  const hanging: ServerResponse[] = []
  const sockets = new Set<Socket>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (mode === 'hang') return void hanging.push(res)
      if (mode === '500') return void res.writeHead(500).end('down')
      if (mode === '429') return void res.writeHead(429, { 'retry-after': '20' }).end('slow down')
      const raw = Buffer.concat(chunks).toString('utf8')
      const body = JSON.parse(raw)
      const url = req.url ?? ''
      if (url.startsWith('/teams/')) {
        const card = body.attachments?.[0]
        const problems =
          body.type !== 'message' || card?.contentType !== 'application/vnd.microsoft.card.adaptive'
            ? ['not a Workflows message']
            : adaptiveCardProblems(card.content)
        if (problems.length > 0)
          return void (refused.push(...problems), res.writeHead(400).end(problems.join('; ')))
        got.teams.push(body)
        return void res.writeHead(202).end()
      }
      if (url === '/v2/enqueue') {
        const problems = pagerDutyProblems(body)
        if (problems.length > 0)
          return void (
            refused.push(...problems),
            res.writeHead(400).end(JSON.stringify({ status: 'invalid event', errors: problems }))
          )
        got.pagerduty.push(body)
        return void res.writeHead(202, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'success',
            message: 'Event processed',
            dedup_key: body.dedup_key,
          }),
        )
      }
      if (url === '/hook') {
        const want = Buffer.from(
          `sha256=${createHmac('sha256', opts.webhookSecret).update(raw).digest('hex')}`,
        )
        const sig = Buffer.from(String(req.headers['x-meshwatch-signature'] ?? ''))
        if (want.length !== sig.length || !timingSafeEqual(want, sig))
          return void (refused.push('signature'), res.writeHead(401).end('bad signature'))
        got.hook.push({ body, headers: req.headers })
        return void res.writeHead(204).end()
      }
      res.writeHead(404).end()
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.address() as { port: number }).port)),
  )
  return {
    url: `http://127.0.0.1:${port}`,
    got,
    refused,
    hanging,
    setMode: (m: Mode) => void (mode = m),
    close: () =>
      new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  }
}

/** A local SMTP server (npm smtp-server) that requires the login and keeps each message whole. */
export async function startSmtp(auth: { user: string; pass: string }) {
  const mails: { raw: string; from: string; to: string[] }[] = []
  let failing = false
  const server = new SMTPServer({
    authOptional: false,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    onAuth(a, _s, cb) {
      if (a.username === auth.user && a.password === auth.pass)
        return cb(null, { user: a.username })
      cb(new Error('Invalid username or password'))
    },
    onData(stream, session, cb) {
      const parts: Buffer[] = []
      stream.on('data', (c: Buffer) => parts.push(c))
      stream.on('end', () => {
        if (failing) {
          const e = Object.assign(new Error('Try again later'), { responseCode: 451 })
          return cb(e)
        }
        mails.push({
          raw: Buffer.concat(parts).toString('utf8'),
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
        })
        cb()
      })
    },
  })
  const port = await new Promise<number>((r) =>
    server.listen(0, '127.0.0.1', () => r((server.server.address() as { port: number }).port)),
  )
  return {
    port,
    mails,
    setFailing: (f: boolean) => void (failing = f),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
