import { gzipSync } from 'node:zlib'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { closeDb } from '../../db/client.ts'
import { SILENT } from '../../server/deps.ts'
import { handleError, notFoundOrMethod, redactErrors } from '../../server/fallback.ts'
import { createLogger } from '../../server/log.ts'
import { bearer, captureLog, domainBatch, rowCounts, setupApp } from './helpers.ts'

const SLACK = 'https://hooks.slack.com/services/T000/B000/XXXXSECRETXXXX'
const STACK_FRAME = /\bat .*(\(|\s)(\/|file:|node:)[^)]*:\d+:\d+/

type ErrorJson = { error: { code: string; message: string; path?: string } }

describe('error responses', () => {
  it.each([
    {
      name: 'bad JSON',
      path: '/api/batches',
      body: `{"url": "${SLACK}", `,
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'too deep JSON',
      path: '/api/batches',
      body: `${'['.repeat(100)}${']'.repeat(100)}`,
      status: 400,
      code: 'too_deep',
    },
    {
      name: 'a deep OL event',
      path: '/api/v1/lineage',
      body: `${'{"a":'.repeat(70)}1${'}'.repeat(70)}`,
      status: 400,
      code: 'too_deep',
    },
    {
      name: 'an oversized body',
      path: '/api/batches',
      body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'an oversized OL body',
      path: '/api/v1/lineage/batch',
      body: JSON.stringify([{ pad: 'x'.repeat(2 * 1024 * 1024) }]),
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'a gzip bomb',
      path: '/api/batches',
      body: gzipSync(Buffer.alloc(64 * 1024 * 1024, 32)),
      gzip: true,
      status: 413,
      code: 'payload_too_large',
    },
    {
      name: 'corrupt gzip',
      path: '/api/v1/lineage',
      body: 'not gzip at all',
      gzip: true,
      status: 400,
      code: 'invalid_encoding',
    },
    {
      name: 'an over-long dataset name',
      path: '/api/batches',
      body: JSON.stringify({
        ...domainBatch('s'),
        datasets: [{ namespace: 'n', name: 'x'.repeat(5000) }],
      }),
      status: 422,
      code: 'invalid_batch',
    },
    {
      // SQLite would store U+FFFD for it: what was acknowledged would not be what is read back
      name: 'a lone surrogate in a domain',
      path: '/api/batches',
      body: JSON.stringify({
        ...domainBatch('s'),
        datasets: [{ namespace: 'n', name: 'x', domain: '\ud800' }],
      }),
      status: 400,
      code: 'invalid_json',
    },
    {
      name: 'a lone low surrogate in an OL key, in a big body',
      path: '/api/v1/lineage',
      body: `{"pad": "${'x'.repeat(600 * 1024)}", "\\udc00": 1}`,
      status: 400,
      code: 'invalid_json',
    },
  ])(
    'answers $name with $status JSON, writing nothing',
    async ({ path, body, gzip, status, code }) => {
      const { post, db } = setupApp()
      const before = rowCounts(db)
      const res = await post(path, body, gzip ? { 'content-encoding': 'gzip' } : {})
      expect(res.status).toBe(status)
      expect(res.headers.get('content-type')).toContain('application/json')
      expect(((await res.json()) as ErrorJson).error.code).toBe(code)
      expect(rowCounts(db)).toEqual(before)
    },
  )

  it('names the limit in a 413', async () => {
    const { post } = setupApp()
    const res = await post('/api/batches', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }))
    expect(((await res.json()) as ErrorJson).error.message).toContain(String(1024 * 1024))
  })

  it('answers 404 for an unknown route and 405 with Allow for a wrong method, both JSON', async () => {
    const { app } = setupApp()
    const nf = await app.request('/api/nope', { method: 'POST' })
    expect(nf.status).toBe(404)
    expect(((await nf.json()) as ErrorJson).error.code).toBe('not_found')
    const na = await app.request('/api/batches', { method: 'GET' })
    expect(na.status).toBe(405)
    expect(na.headers.get('allow')).toBe('POST')
    expect(((await na.json()) as ErrorJson).error.code).toBe('method_not_allowed')
    const np = await app.request('/api/products/abc', { method: 'PUT' })
    expect(np.status).toBe(405)
    expect(np.headers.get('allow')).toContain('GET')
  })

  it("re-shapes Hono's own text HTTPExceptions to the JSON error shape", async () => {
    const app = new Hono().get('/x', () => {
      throw new HTTPException(400, { message: 'Malformed JSON in request body' })
    })
    app.onError(handleError(SILENT))
    const res = await app.request('/x')
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: { code: 'bad_request', message: 'Malformed JSON in request body' },
    })
  })

  it('never puts a token, a Slack webhook URL or a stack frame in a response or a log line', async () => {
    const lines: string[] = []
    const logger = createLogger('debug', (s) => lines.push(s) > 0)
    const captured = captureLog()
    const both = {
      info: (m: string, f?: Record<string, unknown>) => (
        logger.info(m, f),
        captured.log.info(m, f)
      ),
      warn: (m: string, f?: Record<string, unknown>) => (
        logger.warn(m, f),
        captured.log.warn(m, f)
      ),
      error: (m: string, f?: Record<string, unknown>) => (
        logger.error(m, f),
        captured.log.error(m, f)
      ),
    }
    const { app, db, token, post } = setupApp({ log: both })
    const t = token('ingest', 'sales').token
    const bodies: string[] = []
    const keep = async (r: Response | Promise<Response>) => {
      const res = await r
      bodies.push(`${res.status} ${[...res.headers].join(' ')} ${await res.text()}`)
      return res
    }
    await keep(post('/api/batches', `{"hook": "${SLACK}", "token": "${t}", `, bearer(t)))
    await keep(post('/api/batches', { ...domainBatch('sales'), kind: SLACK }, bearer(t)))
    await keep(post('/api/batches', domainBatch('finance'), bearer(t)))
    await keep(app.request(`/api/products/${encodeURIComponent(SLACK)}`, { headers: bearer(t) }))
    await keep(app.request('/api/products', { headers: bearer(`${t}x`) }))
    await keep(app.request('/api/products', { headers: { authorization: `Bearer ${SLACK}` } }))
    // An unexpected failure: the store goes away under the app.
    closeDb(db)
    const crash = await keep(
      post('/api/batches', { ...domainBatch('sales'), scope: SLACK }, bearer(t)),
    )
    expect([500, 503]).toContain(crash.status)
    expect(lines.length).toBeGreaterThan(0)
    const text = [...bodies, ...lines].join('\n')
    expect(text).not.toContain(t)
    expect(text).not.toContain('hooks.slack.com/services/T000')
    expect(text).not.toMatch(STACK_FRAME)
    expect(text).not.toContain('XXXXSECRETXXXX')
    // The raw fields handed to the logger still carry no stack either.
    expect(captured.lines.join('\n')).not.toMatch(STACK_FRAME)
  })

  it('redacts a quoted secret from a JSON error built by a route', async () => {
    const app = new Hono()
      .use('*', redactErrors)
      .get('/x', (c) =>
        c.json({ error: { code: 'bad', message: `bad ${SLACK} Bearer mw_abcdefghijkl` } }, 400),
      )
    app.notFound(notFoundOrMethod(() => app.routes))
    const text = await (await app.request('/x')).text()
    expect(text).not.toContain('XXXXSECRETXXXX')
    expect(text).not.toContain('mw_abcdefghijkl')
  })
})
