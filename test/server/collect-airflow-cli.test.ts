import { execFile } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { startStub, type Stub } from '../collectors/airflow/stub.ts'
import { FIXTURES } from '../../server/demo.ts'
import { sqliteStore } from '../../db/store.ts'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../dist/cli.js')

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const r = await run(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

describe('meshwatch collect airflow', () => {
  let stub: Stub
  beforeAll(async () => {
    stub = await startStub({ dir: join(FIXTURES, 'airflow', 'v2'), version: 'v2' })
  })
  afterAll(() => stub.close())

  it('collects into a store over real HTTP and keeps the cursor; a second run reads from it', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mw-af-')), 'x.db')
    const args = [
      'collect',
      'airflow',
      '--url',
      stub.url,
      '--user',
      'admin',
      '--db',
      db,
      '--retries',
      '0',
      '--page-size',
      '3',
    ]
    const first = await cli(args, { AIRFLOW_PASSWORD: 'admin' })
    expect(first.stderr).not.toContain('    at ')
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/jobs, \d+ runs/)
    // scored in the poll's transaction, as serve's poller does (no products here: none to score)
    expect(first.stdout).toMatch(/\nevaluated 0 products \(0 stored\), 0 alerts queued\n$/)
    const cursor = /cursor (\S+)/.exec(first.stdout)?.[1]
    expect(cursor).toMatch(/^2026-/)
    const before = stub.requests.length
    const second = await cli(args, { AIRFLOW_PASSWORD: 'admin' })
    expect(second.code).toBe(0)
    const runQueries = stub.requests.slice(before).filter((q) => q.path.endsWith('/dags/~/dagRuns'))
    expect(runQueries.some((q) => q.query.get('updated_at_gte') !== null)).toBe(true)
  })

  it('exits 2 naming the URL and auth mode on bad credentials, without the password', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mw-af-')), 'x.db')
    const r = await cli(
      ['collect', 'airflow', '--url', stub.url, '--user', 'admin', '--db', db, '--retries', '0'],
      { AIRFLOW_PASSWORD: 'wrong-pw-123' },
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(stub.url)
    expect(r.stderr).not.toContain('wrong-pw-123')
  })

  it('exits 2 with what to give when no credentials are given', async () => {
    const r = await cli(['collect', 'airflow', '--url', stub.url], {
      AIRFLOW_PASSWORD: '',
      AIRFLOW_TOKEN: '',
    })
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--user.*--password/)
  })

  it('refuses a URL with credentials naming --user/--password: nothing stored, the password nowhere', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'mw-af-')), 'x.db')
    const url = stub.url.replace('//', '//admin:s3cret-in-url@')
    const r = await cli(
      ['collect', 'airflow', '--url', url, '--user', 'admin', '--db', db, '--retries', '0'],
      { AIRFLOW_PASSWORD: 'admin' },
    )
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/credentials in the URL are refused.*--user and --password/)
    expect(r.stderr + r.stdout).not.toContain('s3cret-in-url')
    const store = openDb(db)
    try {
      const res = await createApp({ store: sqliteStore(store) }).request('/api/collectors')
      expect(await res.text()).not.toContain('s3cret-in-url')
    } finally {
      closeDb(store)
    }
  })
})
