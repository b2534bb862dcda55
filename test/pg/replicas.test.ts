import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, inject, it } from 'vitest'
import { openLeader, type Leader } from '../../db/leader.ts'
import { openStore } from '../../db/open-store.ts'
import type { Store } from '../../db/store.ts'
import { collectorName, pollAirflow, startAirflowPollers } from '../../server/airflow-poll.ts'
import { createApp } from '../../server/app.ts'
import { FIXTURES } from '../../server/demo.ts'
import { startLedJobs } from '../../server/leader-jobs.ts'
import { startStub, type Stub } from '../collectors/airflow/stub.ts'
import { createDatabase } from './helpers.ts'

// Replicas of one PostgreSQL, in this process: each its own store (pool) and leader (session),
// as `meshwatch serve` opens them. Waits are bounded by what happened (polls, starts), never by
// how much happened in a time.

const journal: { entries: unknown[] } = JSON.parse(
  readFileSync(new URL('../../db/migrations-pg/meta/_journal.json', import.meta.url), 'utf8'),
)

const closing: (() => Promise<unknown>)[] = []
afterAll(async () => {
  for (const c of closing.reverse()) await c()
})

async function replicas(url: string, n: number): Promise<{ store: Store; leader: Leader }[]> {
  const out = []
  for (let i = 0; i < n; i++) {
    const store = await openStore(url)
    const leader = openLeader(store, url, { name: `replica-${i}` })
    closing.push(
      () => store.close(),
      () => leader.close(),
    )
    out.push({ store, leader })
  }
  return out
}

/** Resolves once `ok()` holds, checking every 50 ms; fails after `ms` naming `what`. */
async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000) {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('replicas on one PostgreSQL', () => {
  it('migrate an empty database once when five open it at once, and all open', async () => {
    const url = await createDatabase()
    const stores = await Promise.all([1, 2, 3, 4, 5].map(() => openStore(url)))
    closing.push(...stores.map((s) => () => s.close()))
    for (const s of stores) expect(await s.admin.isEmpty()).toBe(true)
    // the journal's migrations, each recorded once: none ran twice, none failed half way
    const pg = await import('pg')
    const client = new pg.default.Client({ connectionString: url })
    await client.connect()
    try {
      const r = await client.query<{ n: string; hashes: string }>(
        'select count(*) as n, count(distinct hash) as hashes from drizzle.__drizzle_migrations',
      )
      expect(r.rows).toEqual([
        { n: String(journal.entries.length), hashes: String(journal.entries.length) },
      ])
    } finally {
      await client.end()
    }
  })

  it('answer /api/health 200 while their store answers, 503 once it is gone', async () => {
    const url = await createDatabase()
    const [r] = await replicas(url, 1)
    const app = createApp({ store: r!.store })
    expect((await app.request('/api/health')).status).toBe(200)
    const pg = await import('pg')
    const admin = new pg.default.Client({ connectionString: inject('pgUrl') })
    await admin.connect()
    try {
      await admin.query(`drop database ${new URL(url).pathname.slice(1)} with (force)`)
    } finally {
      await admin.end()
    }
    const res = await app.request('/api/health')
    expect(res.status).toBe(503)
    const body = await res.text()
    expect(JSON.parse(body)).toEqual({
      error: { code: 'store_unavailable', message: expect.stringMatching(/store did not answer/) },
    })
    expect(body).not.toContain(new URL(url).host)
  })

  describe('polling one Airflow', () => {
    let stub: Stub
    afterAll(() => stub?.close())

    const source = () => ({
      url: stub.url,
      auth: { username: 'admin', password: 'admin' },
      apiVersion: 'v2' as const,
      intervalSeconds: 1,
      retries: 0,
      pageSize: 3,
    })

    it('one replica of three polls it, the others never, and each of its polls stores', async () => {
      stub = await startStub({ dir: join(FIXTURES, 'airflow', 'v2'), version: 'v2' })
      const url = await createDatabase()
      const rs = await replicas(url, 3)
      const polls: string[] = []
      const stops = rs.map((r, i) =>
        startAirflowPollers(
          {
            store: r.store,
            log: {
              info: (msg) => void (msg === 'polled Airflow' && polls.push(`replica-${i}`)),
              warn: (msg, f) => void polls.push(`replica-${i} failed: ${msg} ${JSON.stringify(f)}`),
              error: () => undefined,
            },
          },
          [source()],
          r.leader,
        ),
      )
      closing.push(async () => stops.forEach((s) => s()))
      await until('three polls', () => polls.length >= 3)
      expect(new Set(polls).size, polls.join('\n')).toBe(1)
      const state = await rs[0]!.store.collectors.getCollectorState(collectorName(stub.url))
      expect(state).toMatchObject({ lastError: null, cursor: expect.stringMatching(/^2026-/) })
    })

    it('stores only one of two polls that read the same cursor: the other is superseded and stores nothing', async () => {
      const url = await createDatabase()
      const [a, b] = await replicas(url, 2)
      // both read no cursor, then both store: the second finds the cursor moved
      const [ra, rb] = await Promise.all([
        pollAirflow({ store: a!.store }, source()),
        pollAirflow({ store: b!.store }, source()),
      ])
      const results = [ra, rb]
      expect(results.filter((r) => r.ok)).toHaveLength(1)
      const lost = results.find((r) => !r.ok)
      expect(lost).toMatchObject({ ok: false, superseded: true })
      expect(await a!.store.admin.isEmpty()).toBe(false)
      const state = await a!.store.collectors.getCollectorState(collectorName(stub.url))
      expect(state?.lastError).toBeNull()
    })
  })

  it("starts a led job's work on one replica and, when that replica's session dies, on another within one check", async () => {
    const url = await createDatabase()
    const rs = await replicas(url, 2)
    const started: number[] = []
    const stopped: number[] = []
    const led = rs.map((r, i) =>
      startLedJobs(r.leader, [
        {
          job: 'evaluate',
          checkMs: 200,
          start: () => {
            started.push(i)
            return () => void stopped.push(i)
          },
        },
      ]),
    )
    closing.push(() => Promise.all(led.map((l) => l.stop())))
    await until('a first start', () => started.length === 1)
    const first = started[0]!
    // the leader's session dies (its backend terminated): the other replica takes the job
    const pg = await import('pg')
    const admin = new pg.default.Client({ connectionString: url })
    await admin.connect()
    try {
      const killed = await admin.query<{ ok: boolean }>(
        `select pg_terminate_backend(pid) as ok from pg_stat_activity
          where application_name = $1 and datname = current_database()`,
        [`meshwatch-leader replica-${first}`],
      )
      expect(killed.rows).toEqual([{ ok: true }])
    } finally {
      await admin.end()
    }
    await until('the other replica to start it', () => started.length === 2)
    expect(started).toEqual([first, 1 - first])
    await until('the first replica to stop it', () => stopped.length === 1)
    expect(stopped).toEqual([first])
  })
})
