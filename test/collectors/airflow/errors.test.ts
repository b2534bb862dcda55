import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import { collectAirflow, createAirflowClient } from '../../../collectors/airflow/index.ts'
import { startStub, type Stub, type StubOptions } from './stub.ts'

const FIXTURES = join(import.meta.dirname, '../../../fixtures/airflow')
const HAVE = (v: string) => existsSync(join(FIXTURES, v, '_polls.json'))
const AUTH = { username: 'admin', password: 'admin' }
const FAST = { pageSize: 3, retries: 1, retryDelayMs: 1 }

let stub: Stub | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})
const start = async (version: 'v1' | 'v2', override?: StubOptions['override']) => {
  stub = await startStub({
    dir: join(FIXTURES, version),
    version,
    ...(override ? { override } : {}),
  })
  return stub
}
const secondDagPage = (path: string, q: URLSearchParams) =>
  path.endsWith('/dags') && q.get('offset') === '3'

describe.skipIf(!HAVE('v2'))('Airflow collector failures (v2 stub)', () => {
  it('names the URL and the auth mode on 401, never the password', async () => {
    const { url } = await start('v2')
    const err = await collectAirflow({
      url,
      auth: { username: 'admin', password: 's3cret-pw' },
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CollectorError)
    const msg = String((err as Error).message)
    expect(msg).toContain(url)
    expect(msg).toContain('HTTP 401')
    expect(msg).toContain(`username/password via POST ${url}/auth/token as user 'admin'`)
    expect(msg).not.toContain('s3cret-pw')
  })

  it('names the bearer token mode when a token is refused', async () => {
    const { url } = await start('v2')
    await expect(collectAirflow({ url, auth: { token: 'expired' } })).rejects.toThrow(
      /refused the credentials \(HTTP 401\) using a bearer token/,
    )
  })

  it('throws when a page fails with 5xx mid-pagination, after retrying', async () => {
    const s = await start('v2', (req) =>
      secondDagPage(req.path, req.query) ? { status: 503, body: { detail: 'down' } } : undefined,
    )
    await expect(collectAirflow({ url: s.url, auth: AUTH, ...FAST })).rejects.toThrow(
      /GET .*\/api\/v2\/dags\?limit=3&offset=3 failed: HTTP 503/,
    )
    expect(s.requests.filter((r) => secondDagPage(r.path, r.query))).toHaveLength(2)
  })

  it('recovers when a retry succeeds', async () => {
    let failures = 0
    const s = await start('v2', (req) =>
      secondDagPage(req.path, req.query) && failures++ === 0
        ? { status: 502, body: 'bad gateway' }
        : undefined,
    )
    const { batch } = await collectAirflow({ url: s.url, auth: AUTH, ...FAST })
    expect(batch.jobs.filter((j) => j.type === 'airflow_dag')).toHaveLength(4)
  })

  it('throws on a timeout mid-pagination', async () => {
    const s = await start('v2', (req, rec) =>
      secondDagPage(req.path, req.query) && rec ? { ...rec, delayMs: 400 } : undefined,
    )
    await expect(
      collectAirflow({ url: s.url, auth: AUTH, ...FAST, timeoutMs: 100 }),
    ).rejects.toThrow(/offset=3 failed: timed out after 100 ms/)
  })

  it('names the endpoint and the field of a malformed response', async () => {
    const s = await start('v2', (req, rec) => {
      if (!(req.path.endsWith('/dags') && req.query.get('offset') === '0') || !rec) return undefined
      const body = JSON.parse(JSON.stringify(rec.body))
      body.dags[1].dag_id = 42
      return { status: 200, body }
    })
    const err = await collectAirflow({ url: s.url, auth: AUTH, ...FAST }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CollectorError)
    expect(String((err as Error).message)).toMatch(
      /GET .*\/api\/v2\/dags\?limit=3&offset=0: unexpected response[\s\S]*dags\[1\]\.dag_id/,
    )
  })

  it('refuses a body that is not JSON', async () => {
    const s = await start('v2', (req) =>
      req.path.endsWith('/importErrors') ? { status: 200, body: '<html>' } : undefined,
    )
    await expect(collectAirflow({ url: s.url, auth: AUTH, ...FAST })).rejects.toThrow(
      /importErrors.*response is not JSON/,
    )
  })

  it('skips detection when apiVersion is forced', async () => {
    const s = await start('v2')
    const client = await createAirflowClient({ url: s.url, auth: AUTH, apiVersion: 'v2' })
    expect(client.version).toBe('v2')
    expect(s.requests).toHaveLength(0)
  })

  it('says so when there is no Airflow API at the URL', async () => {
    const s = await start('v2', () => ({ status: 404, body: { detail: 'Not Found' } }))
    await expect(createAirflowClient({ url: `${s.url}/`, auth: AUTH })).rejects.toThrow(
      `no Airflow REST API at ${s.url}`,
    )
  })
})

describe.skipIf(!HAVE('v1'))('Airflow collector failures (v1 stub)', () => {
  it('names HTTP basic auth on 401', async () => {
    const { url } = await start('v1')
    const err = await collectAirflow({
      url,
      auth: { username: 'admin', password: 'nope-pw' },
    }).catch((e: unknown) => e)
    expect(String((err as Error).message)).toMatch(
      new RegExp(
        `Airflow at ${url} refused the credentials \\(HTTP 401\\) using HTTP basic auth as user 'admin'`,
      ),
    )
    expect(String((err as Error).message)).not.toContain('nope-pw')
  })

  it('throws when a v1 page fails with 5xx mid-pagination', async () => {
    const s = await start('v1', (req) =>
      secondDagPage(req.path, req.query) ? { status: 500, body: {} } : undefined,
    )
    await expect(collectAirflow({ url: s.url, auth: AUTH, ...FAST })).rejects.toThrow(
      /api\/v1\/dags\?limit=3&offset=3 failed: HTTP 500/,
    )
  })
})
