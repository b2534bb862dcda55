import { execFileSync } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  crashBatch,
  newAcks,
  postUntilAcked,
  ROOT,
  sleep,
  startServerProcess,
  type ServerProcess,
} from '../reliability/child.ts'
import { createDatabase } from './helpers.ts'

// test/reliability/crash.test.ts on PostgreSQL (#16): two `meshwatch serve` processes on one
// database, 4 clients streaming batches and OpenLineage run events at both, server A SIGKILLed
// mid-stream and restarted, again and again. A client whose server is down (or whose answer was
// lost) sends the same request to the other server: a load balancer's retry; its next request for
// that server waits until it is back (sticky sessions). Every acknowledged
// event must be stored after each kill, and at the end every event exactly once. The clients come
// in pairs sharing runs: one sends each run's START to one server while the other sends its
// COMPLETE to the other, so the two servers merge the same run rows at once: each run must end
// COMPLETE, started at its START's time and ended at its COMPLETE's.
//
// Bounded by counts, not time: each client sends EVENTS_PER_CLIENT events, and A is killed once a
// random number of further events (1..ACKS_PER_CYCLE) has been acknowledged.

const CLIENTS = 4
const CYCLES = 4
const EVENTS_PER_CLIENT = 30
const ACKS_PER_CYCLE = 6
const BASE = Date.parse('2026-12-01T00:00:00.000Z')

interface Event {
  marker: string
  kind: 'batch' | 'START' | 'COMPLETE'
  path: string
  body: string
}

interface SharedRun {
  runId: string
  job: string
  startAt: string
  completeAt: string
}

/** Each pair of clients' runs, one per event index. */
const runs: SharedRun[][] = Array.from({ length: CLIENTS / 2 }, (_, p) =>
  Array.from({ length: EVENTS_PER_CLIENT }, (_, k) => ({
    runId: randomUUID(),
    job: `crash-p${p}-k${k}`,
    startAt: new Date(BASE + (p * EVENTS_PER_CLIENT + k) * 1000).toISOString(),
    completeAt: new Date(BASE + (p * EVENTS_PER_CLIENT + k) * 1000 + 500).toISOString(),
  })),
)

function makeEvent(client: number, k: number): Event {
  if (k % 3 === 2) {
    const marker = `crash-c${client}-e${k}-${randomUUID()}`
    return crashBatch(client, marker)
  }
  const run = runs[client >> 1]![k]!
  const kind = client % 2 === 0 ? 'START' : 'COMPLETE'
  const event = {
    eventType: kind,
    eventTime: kind === 'START' ? run.startAt : run.completeAt,
    producer: 'https://github.com/meshwatch/test/crash',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: run.runId },
    job: { namespace: 'crash', name: run.job },
    inputs: [],
    outputs: [{ namespace: 'crash://ol', name: run.job }],
  }
  return {
    marker: `${run.runId}/${kind}`,
    kind,
    path: '/api/v1/lineage',
    body: JSON.stringify(event),
  }
}

let url: string
let pool: pg.Pool
const servers: ServerProcess[] = []

beforeAll(async () => {
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  url = await createDatabase()
  pool = new pg.Pool({ connectionString: url })
})
afterAll(async () => {
  for (const s of servers) await s.kill('SIGKILL')
  await pool.end()
})

async function storedCounts(events: Event[]): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  for (const e of events) {
    const r =
      e.kind === 'batch'
        ? await pool.query<{ n: string }>(
            `select greatest((select count(*) from batches where scope = $1),
                             (select count(*) from datasets where name = $1)) as n`,
            [e.marker],
          )
        : await pool.query<{ n: string }>(
            'select count(*) as n from raw_events where run_id = $1 and event_type = $2',
            [e.marker.split('/')[0], e.kind],
          )
    out.set(e.marker, Number(r.rows[0]?.n))
  }
  return out
}

describe('crash safety of two servers on one PostgreSQL', () => {
  it('keeps every acknowledged event across SIGKILLs of one server, stored once, runs merged', async () => {
    // Started at once: both migrate (an advisory lock makes one wait). Each is stopped at the end
    // even when the other did not start.
    const started = await Promise.allSettled([startServerProcess(url), startServerProcess(url)])
    for (const s of started) if (s.status === 'fulfilled') servers.push(s.value)
    for (const s of started) if (s.status === 'rejected') throw s.reason
    const sent: Event[] = []
    const acks = newAcks()
    const { acked, unexpected } = acks
    // Resolved while that server is up: a client's first attempt at its server waits for it.
    const up: Promise<void>[] = [Promise.resolve(), Promise.resolve()]
    let finished = false

    const client = async (id: number) => {
      for (let k = 0; k < EVENTS_PER_CLIENT; k++) {
        const ev = makeEvent(id, k)
        sent.push(ev)
        // The two clients of a pair start on different servers: a run's START and COMPLETE
        // reach different servers. Until acknowledged, retried on the other server.
        await up[(id + k) % 2]
        await postUntilAcked(ev, (attempt) => servers[attempt % 2]!.url, acks, {
          firstAttempt: (id + k) % 2,
          timeoutMs: 15_000,
        })
      }
    }
    const clients = Promise.all(Array.from({ length: CLIENTS }, (_, id) => client(id))).finally(
      () => (finished = true),
    )

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // CYCLES × ACKS_PER_CYCLE < CLIENTS × EVENTS_PER_CLIENT: killed well before the end.
      const target = acked.size + 1 + Math.floor(Math.random() * ACKS_PER_CYCLE)
      while (acked.size < target) {
        if (finished) throw new Error(`the clients were done before kill ${cycle + 1}`)
        await sleep(2)
      }
      await sleep(Math.random() * 30)
      const ackedBefore = [...acked]
      let restarted = () => {}
      up[0] = new Promise((r) => (restarted = r))
      await servers[0]!.kill('SIGKILL')
      const counts = await storedCounts(sent)
      const lost = ackedBefore.filter((m) => counts.get(m) !== 1)
      expect(lost, `cycle ${cycle}: acknowledged but not stored once`).toEqual([])
      servers[0] = await startServerProcess(url)
      restarted()
    }
    await clients
    for (const s of servers) await s.kill('SIGTERM')

    expect(unexpected).toEqual([])
    expect(sent.length).toBe(CLIENTS * EVENTS_PER_CLIENT)
    expect(acked.size).toBe(sent.length)
    const counts = await storedCounts(sent)
    const notOnce = sent
      .filter((e) => counts.get(e.marker) !== 1)
      .map((e) => `${e.marker}: ${counts.get(e.marker)}`)
    expect(notOnce).toEqual([])
    // A retry whose first attempt was stored (its answer lost in a kill) is a duplicate.
    expect(acks.duplicates).toBeLessThanOrEqual(CLIENTS * CYCLES)
    expect(sent.length).toBeGreaterThan(CYCLES * (ACKS_PER_CYCLE + 2 * CLIENTS))

    const shared = runs.flat().filter((_, i) => (i % EVENTS_PER_CLIENT) % 3 !== 2)
    const stored = await pool.query<{
      runId: string
      state: string
      startedAt: string | null
      endedAt: string | null
      job: string
    }>(
      `select r.run_id as "runId", r.state, r.started_at as "startedAt", r.ended_at as "endedAt",
              j.name as job
         from runs r join jobs j on j.id = r.job_id where r.run_id = any($1::text[])`,
      [shared.map((r) => r.runId)],
    )
    const byId = new Map(stored.rows.map((r) => [r.runId, r]))
    expect(stored.rows.length).toBe(shared.length)
    const wrong = shared.filter((r) => {
      const s = byId.get(r.runId)
      return (
        s?.state !== 'COMPLETE' ||
        s.job !== r.job ||
        Date.parse(s.startedAt ?? '') !== Date.parse(r.startAt) ||
        Date.parse(s.endedAt ?? '') !== Date.parse(r.completeAt)
      )
    })
    expect(
      wrong.map((r) => ({ want: r, got: byId.get(r.runId) })),
      'runs not merged to COMPLETE',
    ).toEqual([])
  }, 300_000)
})
