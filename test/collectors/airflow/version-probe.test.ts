import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import { createAirflowClient } from '../../../collectors/airflow/index.ts'

// A fake in-process web server standing in for whatever answers at the URL a user gave (another
// app, an SSO proxy, a half-configured Airflow), reached through the client's injected fetch.
const URL_ = 'http://airflow.test'
const AUTH = { username: 'admin', password: 'admin' }
const FAST = { retries: 0, retryDelayMs: 1 }
const LOGIN_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>SSO</body></html>'

function served(app: Hono) {
  const paths: string[] = []
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const req = new Request(input, init)
    paths.push(new URL(req.url).pathname)
    return app.fetch(req)
  }
  return { fetch, paths }
}

const probe = async (app: Hono, url = URL_) => {
  const { fetch, paths } = served(app)
  const result = await createAirflowClient({ url, auth: AUTH, fetch, ...FAST }).catch(
    (e: unknown) => e,
  )
  return { result, paths }
}

const message = (e: unknown): string => {
  expect(e).toBeInstanceOf(CollectorError)
  return (e as Error).message
}

describe('the Airflow API version probe', () => {
  it('says there is no API here when both version endpoints are 404, naming each', async () => {
    const app = new Hono().get('/', (c) => c.html('<h1>Grafana</h1>'))
    const { result, paths } = await probe(app)
    const msg = message(result)
    expect(msg).toContain(`no Airflow REST API at ${URL_}`)
    expect(msg).toContain('GET /api/v2/version: HTTP 404; GET /api/v1/version: HTTP 404')
    expect(msg).not.toContain('answered, but')
    expect(paths).toEqual(['/api/v2/version', '/api/v1/version'])
  })

  it('tells a URL that already ends in /api/v2 to drop it', async () => {
    const app = new Hono().get('/api/v2/version', (c) => c.json({ version: '3.3.2' }))
    const msg = message((await probe(app, `${URL_}/api/v2`)).result)
    expect(msg).toContain(`no Airflow REST API at ${URL_}/api/v2`)
    expect(msg).toContain('drop the trailing /api/v2 from the URL')
  })

  it('says it answered, but not in a known shape, for an HTML page on every path', async () => {
    const app = new Hono().get('*', (c) => c.html(LOGIN_PAGE))
    const msg = message((await probe(app)).result)
    expect(msg).toContain(`${URL_} answered, but not in a shape meshwatch knows`)
    expect(msg).toContain(
      'GET /api/v2/version: HTTP 200 text/html, not JSON: "<!DOCTYPE html> <html>',
    )
    expect(msg).toContain('GET /api/v1/version: HTTP 200 text/html, not JSON')
    expect(msg).not.toContain('no Airflow REST API')
  })

  it('names the field when the JSON has no version, and shows which endpoint was a 404', async () => {
    const app = new Hono().get('/api/v2/version', (c) => c.json({ status: 'healthy', build: 7 }))
    const msg = message((await probe(app)).result)
    expect(msg).toContain('answered, but not in a shape meshwatch knows')
    expect(msg).toMatch(/GET \/api\/v2\/version: HTTP 200 JSON, but \$\.version: required/)
    expect(msg).toContain('{\\"status\\":\\"healthy\\",\\"build\\":7}')
    expect(msg).toContain('GET /api/v1/version: HTTP 404')
  })

  it('says an empty 200 is an answer it does not know', async () => {
    const app = new Hono().get('/api/v2/version', (c) => c.body(null, 200))
    const msg = message((await probe(app)).result)
    expect(msg).toContain('GET /api/v2/version: HTTP 200 no content-type, not JSON: (empty body)')
  })

  it('falls back to v1 when v2 answers in an unknown shape and v1 in the known one', async () => {
    const app = new Hono()
      .get('/api/v2/version', (c) => c.html(LOGIN_PAGE))
      .get('/api/v1/version', (c) => c.json({ version: '2.11.0', git_version: null }))
    const { result } = await probe(app)
    expect(result).not.toBeInstanceOf(Error)
    expect((result as { version: string }).version).toBe('v1')
  })

  it('takes a 401 on /api/v2/version as Airflow 3 wanting credentials', async () => {
    const app = new Hono().get('/api/v2/version', (c) =>
      c.json({ detail: 'Not authenticated' }, 401),
    )
    const { result, paths } = await probe(app)
    expect((result as { version: string }).version).toBe('v2')
    expect(paths).toEqual(['/api/v2/version'])
  })

  it('keeps a 5xx a failure of the request, not a missing API', async () => {
    const app = new Hono().get('/api/v2/version', (c) => c.text('upstream down', 502))
    const msg = message((await probe(app)).result)
    expect(msg).toMatch(/GET http:\/\/airflow\.test\/api\/v2\/version failed: HTTP 502/)
  })
})
