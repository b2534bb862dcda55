import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import {
  crashBatch,
  newAcks,
  postUntilAcked,
  sleep,
  startServerProcess,
  type ServerProcess,
} from './child.ts'

// SIGKILL the server at random points while several clients stream batches and OpenLineage
// events at it; clients retry whatever was not acknowledged. Every acknowledged event must be in
// the store after each crash, and at the end every event is stored exactly once.
//
// Bounded by counts, not time: each client sends EVENTS_PER_CLIENT events, and the server is
// killed once a random number of further events (1..ACKS_PER_CYCLE) has been acknowledged, so a
// slow machine takes longer but tests the same thing.

const CLIENTS = 4
const CYCLES = 5
const EVENTS_PER_CLIENT = 15
const ACKS_PER_CYCLE = 6
const work = mkdtempSync(join(tmpdir(), 'mw-crash-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

interface Event {
  marker: string
  kind: 'batch' | 'ol'
  path: string
  body: string
}

function makeEvent(client: number, i: number): Event {
  const marker = `crash-c${client}-e${i}-${randomUUID()}`
  if (i % 2 === 0) {
    return crashBatch(client, marker)
  }
  const event = {
    eventType: 'COMPLETE',
    eventTime: new Date().toISOString(),
    producer: 'https://github.com/meshwatch/test/crash',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId: randomUUID() },
    job: { namespace: 'crash', name: marker },
    inputs: [],
    outputs: [{ namespace: 'crash://ol', name: marker }],
  }
  return {
    marker: event.run.runId,
    kind: 'ol',
    path: '/api/v1/lineage',
    body: JSON.stringify(event),
  }
}

function storedCounts(dbFile: string, events: Event[]): Map<string, number> {
  const db = openDb(dbFile)
  try {
    const c = db.$client
    const batchQ = c.prepare('select count(*) as n from batches where scope = ?')
    const dsQ = c.prepare('select count(*) as n from datasets where name = ?')
    const olQ = c.prepare('select count(*) as n from raw_events where run_id = ?')
    const out = new Map<string, number>()
    for (const e of events) {
      const n =
        e.kind === 'batch'
          ? Math.max(
              (batchQ.get(e.marker) as { n: number }).n,
              (dsQ.get(e.marker) as { n: number }).n,
            )
          : (olQ.get(e.marker) as { n: number }).n
      out.set(e.marker, n)
    }
    expect(c.pragma('integrity_check', { simple: true })).toBe('ok')
    return out
  } finally {
    closeDb(db)
  }
}

describe('crash safety', () => {
  it('keeps every acknowledged event across SIGKILLs, and stores each exactly once despite retries', async () => {
    const dbFile = join(work, 'crash.db')
    let server: ServerProcess = await startServerProcess(dbFile)
    const sent: Event[] = []
    const acks = newAcks()
    const { acked, unexpected } = acks
    // Retries whose event was already stored (the response was lost in a crash): answered as duplicates.

    const client = async (id: number) => {
      for (let i = 0; i < EVENTS_PER_CLIENT; i++) {
        const ev = makeEvent(id, i)
        sent.push(ev)
        // Retry this event until the server acknowledges it, across crashes and restarts.
        await postUntilAcked(ev, () => server.url, acks, { timeoutMs: 10_000 })
      }
    }
    const clients = Array.from({ length: CLIENTS }, (_, id) => client(id))

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // Killed after 1..ACKS_PER_CYCLE more acknowledgements (well before the clients are done:
      // CYCLES × ACKS_PER_CYCLE < CLIENTS × EVENTS_PER_CLIENT), then 0–30 ms into what follows.
      const target = acked.size + 1 + Math.floor(Math.random() * ACKS_PER_CYCLE)
      while (acked.size < target) await sleep(2)
      await sleep(Math.random() * 30)
      const ackedBefore = [...acked]
      await server.kill('SIGKILL')
      const counts = storedCounts(dbFile, sent)
      const lost = ackedBefore.filter((m) => counts.get(m) !== 1)
      expect(lost, `cycle ${cycle}: acknowledged but not stored once`).toEqual([])
      server = await startServerProcess(dbFile)
    }
    await Promise.all(clients)
    await server.kill('SIGTERM')

    expect(unexpected).toEqual([])
    expect(acked.size).toBe(sent.length)
    expect(sent.length).toBe(CLIENTS * EVENTS_PER_CLIENT)
    expect(sent.length).toBeGreaterThan(CLIENTS * CYCLES)
    const counts = storedCounts(dbFile, sent)
    const notOnce = sent
      .filter((e) => counts.get(e.marker) !== 1)
      .map((e) => `${e.marker}: ${counts.get(e.marker)}`)
    expect(notOnce).toEqual([])
    expect(acks.duplicates).toBeLessThanOrEqual(CLIENTS * CYCLES)
  }, 180_000)
})
