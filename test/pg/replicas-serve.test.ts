import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES } from '../../server/demo.ts'
import { startStub, type Stub } from '../collectors/airflow/stub.ts'
import { ROOT, startServerProcess, type ServerProcess } from '../reliability/child.ts'
import { startReceiver, type Receiver } from '../server/alerts/receiver.ts'
import { createDatabase } from './helpers.ts'

// Three `meshwatch serve` processes (the built CLI) on one PostgreSQL, as a company runs them
// behind a load balancer: one Airflow to poll (the recorded v2 REST API over real HTTP) and one
// Slack webhook (a receiver on 127.0.0.1), both named by environment variables. Each wait is
// bounded by what the replicas did (polls logged, jobs taken, posts received) with a generous
// timeout; nothing is asserted on how much happened in a time.

const INTERVAL_SECONDS = 1
const HOOK = '/hooks/finance-1234'

let stub: Stub
let receiver: Receiver
let url: string
let replicas: ServerProcess[] = []
let admin: pg.Client

beforeAll(async () => {
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  stub = await startStub({ dir: join(FIXTURES, 'airflow', 'v2'), version: 'v2' })
  receiver = await startReceiver()
  url = await createDatabase()
  admin = new pg.Client({ connectionString: url })
  await admin.connect()
  const dir = mkdtempSync(join(tmpdir(), 'meshwatch-replicas-'))
  const config = join(dir, 'meshwatch.yml')
  // finance's ledger, written by the recorded finance_ledger DAG, was last written days before
  // any clock this test runs on: a freshness breach, one alert to finance's webhook.
  writeFileSync(
    config,
    [
      'version: 1',
      'evaluation: { interval_seconds: 5 }',
      'domains:',
      '  finance:',
      '    owner: finance-analytics@meshwatch.example',
      "    slack: { webhook_env: SLACK_WEBHOOK_FINANCE, channel: '#finance-analytics' }",
      'products:',
      '  finance.ledger:',
      '    domain: finance',
      '    outputs: [finance.ledger.entries]',
      '    sla:',
      '      freshness: { max_age_hours: 1 }',
      '',
    ].join('\n'),
  )
  const env = {
    MESHWATCH_CONFIG: config,
    MESHWATCH_AIRFLOW_URL: stub.url,
    MESHWATCH_AIRFLOW_USERNAME: 'admin',
    MESHWATCH_AIRFLOW_PASSWORD: 'admin',
    MESHWATCH_AIRFLOW_INTERVAL_SECONDS: String(INTERVAL_SECONDS),
    // the recording's page size
    MESHWATCH_AIRFLOW_PAGE_SIZE: '3',
    SLACK_WEBHOOK_FINANCE: `${receiver.url}${HOOK}`,
  }
  // all three at once: they migrate the empty database together
  replicas = await Promise.all([0, 1, 2].map(() => startServerProcess(url, env)))
}, 120_000)

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.kill()))
  await admin?.end()
  await receiver?.close()
  await stub?.close()
})

interface LogLine {
  msg: string
  job?: string
}

/** The JSON log lines of a replica (one per line on stderr). */
function logOf(r: ServerProcess): LogLine[] {
  return r
    .stderr()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)
}

const polls = (r: ServerProcess) => logOf(r).filter((l) => l.msg === 'polled Airflow').length
const failedPolls = (r: ServerProcess) =>
  logOf(r).filter((l) => l.msg.startsWith('Airflow poll failed')).length
/** The jobs a replica started (took the lead of), in order. */
const started = (r: ServerProcess) =>
  logOf(r)
    .filter((l) => l.msg === 'this replica leads a job: starting it')
    .map((l) => l.job)
/** A poll begins with GET /version: what the fake Airflow saw of polls. */
const pollsSeen = () => stub.requests.filter((q) => q.path === '/api/v2/version').length

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 45_000) {
  const end = Date.now() + ms
  while (!(await ok())) {
    if (Date.now() > end)
      throw new Error(
        `timed out waiting for ${what}\n${replicas.map((r, i) => `--- replica ${i}\n${r.stderr()}`).join('\n')}`,
      )
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('three replicas of meshwatch serve on one PostgreSQL', () => {
  it('answer /api/health, each of them', async () => {
    for (const r of replicas) {
      const res = await fetch(`${r.url}/api/health`)
      expect(res.status).toBe(200)
    }
  })

  it('poll the Airflow from one replica only: the fake Airflow sees one poll per interval', async () => {
    await until('four polls', () => replicas.reduce((n, r) => n + polls(r), 0) >= 4)
    const by = replicas.map(polls)
    expect(
      by.filter((n) => n > 0),
      `polls by replica: ${by}`,
    ).toHaveLength(1)
    expect(replicas.map(failedPolls)).toEqual([0, 0, 0])
    // every poll the Airflow saw is one a replica logged, but the one in flight now
    const logged = by.reduce((a, b) => a + b, 0)
    expect(pollsSeen() - logged).toBeGreaterThanOrEqual(0)
    expect(pollsSeen() - logged).toBeLessThanOrEqual(1)
  })

  it('post one Slack message per alert dedupe key', async () => {
    await until('a Slack post', () => receiver.accepted.length >= 1)
    await until('every alert delivered', async () => {
      const r = await admin.query(
        "select count(*)::int as n from alerts where status <> 'delivered'",
      )
      return r.rows[0].n === 0
    })
    const alerts = await admin.query<{ dedupe_key: string; product_id: string }>(
      'select dedupe_key, product_id from alerts order by id',
    )
    expect(alerts.rows.map((a) => a.product_id)).toEqual(['finance.ledger'])
    // each led job was started once, by one replica, all of the time
    for (const job of ['evaluate', 'dispatch'])
      expect(
        replicas.filter((r) => started(r).includes(job)),
        job,
      ).toHaveLength(1)
    expect(receiver.accepted.map((a) => a.path)).toEqual(alerts.rows.map(() => HOOK))
    expect(JSON.stringify(receiver.accepted[0]?.body)).toContain('finance.ledger')
  })

  it("hand the dead leader's work to one other replica: polls, evaluation and dispatch go on", async () => {
    const leader = replicas.findIndex((r) => polls(r) > 0)
    const jobs = [...started(replicas[leader]!), `airflow`]
    await replicas[leader]!.kill('SIGKILL')
    const rest = replicas.filter((_, i) => i !== leader)
    const seenAtKill = pollsSeen()
    await until('two polls by another replica', () => rest.reduce((n, r) => n + polls(r), 0) >= 2)
    expect(
      rest.map(polls).filter((n) => n > 0),
      `polls by replica: ${rest.map(polls)}`,
    ).toHaveLength(1)
    expect(pollsSeen() - seenAtKill).toBeGreaterThanOrEqual(2)
    for (const job of jobs.filter((j) => j !== 'airflow'))
      await until(`another replica to take ${job}`, () =>
        rest.some((r) => started(r).includes(job)),
      )
    // the alert it already posted is not posted again by the new dispatcher
    expect(receiver.accepted).toHaveLength(1)
    for (const r of rest) expect((await fetch(`${r.url}/api/health`)).status).toBe(200)
  })

  it('hand the work over at once when the leader is stopped (SIGTERM): the last replica polls on', async () => {
    const alive = replicas.filter((r) => r.proc.exitCode === null && r.proc.signalCode === null)
    expect(alive).toHaveLength(2)
    const [leader, last] = polls(alive[0]!) > 0 ? [alive[0]!, alive[1]!] : [alive[1]!, alive[0]!]
    const before = polls(last)
    await leader.kill('SIGTERM')
    expect(leader.proc.exitCode, leader.stderr().slice(-3000)).toBe(0)
    await until('two polls by the last replica', () => polls(last) >= before + 2)
    for (const job of ['evaluate', 'dispatch'])
      await until(`the last replica to take ${job}`, () => started(last).includes(job))
    expect(failedPolls(last)).toBe(0)
  })
})
