import { hash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { sqliteStore, type RawEventRow, type Store } from '../../db/store.ts'
import { createDatabase } from './helpers.ts'

// The same assertions on both engines (db/store.ts contract), on the demo mesh's recorded dbt-ol
// events; then the two engines' answers are compared.

const NOW = '2026-12-02T06:00:00.000Z'
const FILES = ['sales', 'finance', 'marketing', 'product']

function rowsOf(file: string): RawEventRow[] {
  const text = readFileSync(
    new URL(`../../fixtures/openlineage/dbt-ol/${file}.ndjson`, import.meta.url),
    'utf8',
  )
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((payload) => {
      const e = JSON.parse(payload) as {
        eventTime: string
        eventType?: string
        run?: { runId?: string }
        job?: { namespace?: string; name?: string }
      }
      return {
        eventHash: hash('sha256', payload, 'hex'),
        kind: 'run',
        runId: e.run?.runId ?? null,
        jobNamespace: e.job?.namespace ?? null,
        jobName: e.job?.name ?? null,
        eventType: e.eventType ?? null,
        eventTime: e.eventTime,
        payload,
        domain: file,
      }
    })
}

const EVENTS = FILES.flatMap(rowsOf)
const dir = mkdtempSync(join(tmpdir(), 'meshwatch-contract-'))
const engines: { name: string; store: Store }[] = []

beforeAll(async () => {
  engines.push({ name: 'sqlite', store: sqliteStore(openDb(join(dir, 'store.db'))) })
  engines.push({ name: 'postgresql', store: pgStore(await openPgPool(await createDatabase())) })
})
afterAll(async () => {
  await Promise.all(engines.map((e) => e.store.close()))
  rmSync(dir, { recursive: true, force: true })
})

const answers: Record<string, unknown[]> = { sqlite: [], postgresql: [] }

describe.each(['sqlite', 'postgresql'])('raw events on %s', (name) => {
  const store = () => {
    const e = engines.find((x) => x.name === name)
    if (!e) throw new Error(`${name} store not open`)
    return e.store
  }

  it('keeps each new event once, in order; a redelivery and a duplicate in one batch are no-ops', async () => {
    expect(EVENTS.length).toBeGreaterThan(20)
    const first = await store().rawEvents.keepRawEvents(EVENTS, NOW)
    expect(first).toEqual(EVENTS.map(() => true))
    const again = await store().rawEvents.keepRawEvents([EVENTS[0]!, EVENTS[0]!, EVENTS[1]!], NOW)
    expect(again).toEqual([false, false, false])
    const page = await store().rawEvents.pageRawEvents(0, EVENTS.length + 10)
    expect(page.map((r) => r.payload)).toEqual(EVENTS.map((e) => e.payload))
    expect(page.every((r) => typeof r.id === 'number')).toBe(true)
    answers[name]!.push(page)
  })

  it('pages after an id and lists a run in received order, parsed', async () => {
    const tail = await store().rawEvents.pageRawEvents(5, 3)
    expect(tail.map((r) => r.id)).toEqual([6, 7, 8])
    const runId = EVENTS[0]!.runId!
    const run = await store().rawEvents.listRunEvents(runId)
    expect(run.length).toBe(EVENTS.filter((e) => e.runId === runId).length)
    expect(run[0]).toMatchObject({ runId, eventTime: EVENTS[0]!.eventTime, receivedAt: NOW })
    answers[name]!.push(tail, run)
  })
})

describe('the two engines', () => {
  it('give the same answers to the same calls', () => {
    expect(answers.sqlite!.length).toBe(3)
    expect(answers.postgresql).toEqual(answers.sqlite)
  })
})
