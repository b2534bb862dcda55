import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { recordedAirflowFetch, recordedPolls } from '../../fixtures/airflow/replay.ts'
import { airflowSourcesOf, pollAirflow, type AirflowSource } from '../../server/airflow-poll.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import { FIXTURES } from '../../server/demo.ts'
import { sqliteStore } from '../../db/store.ts'

const DIR = join(FIXTURES, 'airflow', 'v2')
const { url, pageSize } = recordedPolls(DIR)
const replay = recordedAirflowFetch(DIR)

const source = (fetchImpl: typeof fetch): AirflowSource & { pageSize: number } => ({
  url,
  auth: { username: 'admin', password: 's3cret-pw' },
  apiVersion: 'v2',
  intervalSeconds: 60,
  retries: 0,
  fetch: fetchImpl,
  pageSize,
})

const count = (db: ReturnType<typeof openDb>, table: string) =>
  (db.$client.prepare(`select count(*) n from ${table}`).get() as { n: number }).n

type Collectors = {
  collectors: { name: string; cursor: string | null; lastError: string | null; ok: boolean }[]
}

describe('Airflow polling', () => {
  it('stores a poll with its cursor and shows it at /api/collectors', async () => {
    const db = openDb(':memory:')
    const r = await pollAirflow({ store: sqliteStore(db) }, source(replay))
    expect(r.ok).toBe(true)
    expect(count(db, 'jobs')).toBeGreaterThan(5)
    const res = await createApp({ store: sqliteStore(db) }).request('/api/collectors')
    const body = (await res.json()) as Collectors
    expect(body.collectors).toEqual([
      expect.objectContaining({
        name: `airflow:${url}`,
        ok: true,
        lastError: null,
        cursor: expect.stringMatching(/^2026-/),
      }),
    ])
  })

  it('stores nothing of a poll that fails mid-pagination, keeps the cursor and reports the error without secrets', async () => {
    const db = openDb(':memory:')
    await pollAirflow({ store: sqliteStore(db) }, source(replay))
    const before = {
      jobs: count(db, 'jobs'),
      runs: count(db, 'runs'),
      batches: count(db, 'batches'),
    }
    const cursor = (
      db.$client.prepare('select cursor from collector_state').get() as { cursor: string }
    ).cursor
    const failing: typeof fetch = async (input, init) => {
      const u = String(input instanceof Request ? input.url : input)
      if (u.includes('offset=3')) return new Response('{"detail":"boom"}', { status: 503 })
      return replay(input, init)
    }
    const r = await pollAirflow(
      { store: sqliteStore(db) },
      { ...source(failing) },
      { since: '2026-01-01T00:00:00Z' },
    )
    expect(r.ok).toBe(false)
    expect({
      jobs: count(db, 'jobs'),
      runs: count(db, 'runs'),
      batches: count(db, 'batches'),
    }).toEqual(before)
    const state = db.$client.prepare('select cursor, last_error from collector_state').get() as {
      cursor: string
      last_error: string
    }
    expect(state.cursor).toBe(cursor)
    expect(state.last_error).toMatch(/503/)
    expect(state.last_error).not.toContain('s3cret-pw')
  })

  it.each([
    {
      name: 'a token from its env var',
      env: { AF_TOKEN: 't' },
      cfg: { token_env: 'AF_TOKEN' },
      auth: { token: 't' },
    },
    {
      name: 'user + password from its env var',
      env: { AF_PW: 'p' },
      cfg: { username: 'u', password_env: 'AF_PW' },
      auth: { username: 'u', password: 'p' },
    },
  ])('builds a source with $name', ({ env, cfg, auth }) => {
    const r = airflowSourcesOf([{ url: 'http://af:8080', interval_seconds: 60, ...cfg }], env)
    expect(r.problems).toEqual([])
    expect(r.sources[0]?.auth).toEqual(auth)
  })

  it('names the missing env var when a source has no credentials', () => {
    const r = airflowSourcesOf(
      [{ url: 'http://af:8080', interval_seconds: 60, username: 'u', password_env: 'AF_PW' }],
      {},
    )
    expect(r.sources).toEqual([])
    expect(r.problems[0]).toContain('AF_PW')
  })
})

describe('an Airflow URL with credentials in it', () => {
  const withCreds = url.replace('//', '//admin:s3cret-in-url@')

  it('is refused by the poller: nothing polled, and the password is in no collector name or error', async () => {
    const db = openDb(':memory:')
    const seen: string[] = []
    const r = await pollAirflow(
      { store: sqliteStore(db) },
      { ...source((u, i) => (seen.push(String(u)), replay(u, i))), url: withCreds },
    )
    expect(r.ok).toBe(false)
    expect(seen).toEqual([])
    const text = await (
      await createApp({ store: sqliteStore(db) }).request('/api/collectors')
    ).text()
    expect(text).not.toContain('s3cret-in-url')
    expect((JSON.parse(text) as Collectors).collectors.map((c) => c.name)).toEqual([
      `airflow:${url}`,
    ])
    expect((JSON.parse(text) as Collectors).collectors[0]?.lastError).toMatch(
      /credentials in the URL are refused/,
    )
  })

  it('in MESHWATCH_AIRFLOW_URL is a problem naming the variables to use, without the password', () => {
    const r = airflowSourcesOf([], {
      MESHWATCH_AIRFLOW_URL: withCreds,
      MESHWATCH_AIRFLOW_PASSWORD: 'x',
    })
    expect(r.sources).toEqual([])
    expect(r.problems).toHaveLength(1)
    expect(r.problems[0]).toMatch(/MESHWATCH_AIRFLOW_USERNAME and MESHWATCH_AIRFLOW_PASSWORD/)
    expect(r.problems[0]).not.toContain('s3cret-in-url')
  })

  it('in meshwatch.yml collectors.airflow[].url is a config error naming the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-afurl-'))
    const file = join(dir, 'meshwatch.yml')
    writeFileSync(
      file,
      `collectors:\n  airflow:\n    - url: ${withCreds}\n      username: admin\n      password_env: AF_PW\n`,
    )
    let message = ''
    try {
      loadConfigFile(file)
    } catch (e) {
      message = (e as Error).message
    }
    expect(message).toMatch(/collectors\.airflow\[0\]\.url/)
    expect(message).toMatch(/username and password_env/)
    expect(message).not.toContain('s3cret-in-url')
  })
})
