import { serve, type ServerType } from '@hono/node-server'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { sqliteStore, type Store } from '../../db/store.ts'
import { createApp } from '../../server/app.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { pruneRawEvents, replayStore } from '../../server/openlineage.ts'
import { createDatabase } from './helpers.ts'
import { demoDbtBatches, dumpPg, dumpSqlite } from './store-batch-fixtures.ts'

// #16: POST /api/v1/lineage (single and bulk) against a real HTTP server on 127.0.0.1, once on a
// SQLite store and once on a PostgreSQL one, with the demo's recorded dbt-ol events
// (fixtures/openlineage/dbt-ol/) after its recorded dbt builds: the same answers, then the same
// stored rows (every derived table by natural keys, and the raw events); then retention and
// replay on both, and again the same rows.

const NOW = new Date('2026-12-02T06:00:00.000Z')
const eventsOf = (file: string): Record<string, unknown>[] =>
  readFileSync(new URL(`../../fixtures/openlineage/dbt-ol/${file}.ndjson`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>)

interface Engine {
  store: Store
  url: string
  server: ServerType
  tokens: Record<'sales' | 'finance' | 'ci', string>
  dump: () => Promise<Record<string, unknown[]>>
  rawEvents: () => Promise<unknown[]>
}

const dir = mkdtempSync(join(tmpdir(), 'meshwatch-ol-pg-'))
const engines: Record<string, Engine> = {}
let db: Db
let pool: pg.Pool

async function start(store: Store, dump: Engine['dump'], raw: Engine['rawEvents']) {
  const deps = { store, now: () => NOW, wallNow: () => NOW }
  for (const b of await demoDbtBatches()) await ingestBatch(deps, b)
  const at = NOW.toISOString()
  const token = async (name: string, domain?: string) =>
    (
      await store.tokens.createToken({
        name,
        scope: 'ingest',
        now: at,
        ...(domain ? { domain } : {}),
      })
    ).token
  const tokens = {
    sales: await token('sales', 'sales'),
    finance: await token('finance', 'finance'),
    ci: await token('ci'),
  }
  const app = createApp(deps)
  const server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s))
  })
  const { port } = server.address() as AddressInfo
  return { store, server, tokens, url: `http://127.0.0.1:${port}`, dump, rawEvents: raw }
}

const RAW = `select event_hash, kind, run_id, job_namespace, job_name, event_type, event_time,
                   received_at, payload, domain from raw_events order by event_time, event_hash`

beforeAll(async () => {
  db = openDb(join(dir, 'store.db'))
  pool = await openPgPool(await createDatabase())
  engines.sqlite = await start(
    sqliteStore(db),
    async () => dumpSqlite(db),
    async () => db.$client.prepare(RAW).all(),
  )
  engines.postgresql = await start(
    pgStore(pool),
    () => dumpPg(pool),
    async () => (await pool.query(RAW)).rows,
  )
})
afterAll(async () => {
  for (const e of Object.values(engines)) {
    await new Promise((r) => e.server.close(r))
    await e.store.close()
  }
  rmSync(dir, { recursive: true, force: true })
})

const answers: Record<string, unknown[]> = { sqlite: [], postgresql: [] }

/**
 * A store's rows as the engines must agree on them. Compacted batches are named by the raw
 * events' ids, which PostgreSQL's identity does not keep dense (a duplicate's insert takes an id
 * too): compared without their content hash.
 */
const comparable = async (e: Engine) => {
  const d = await e.dump()
  return {
    ...d,
    batches: (d.batches as Record<string, unknown>[]).map(({ content_hash: _, ...b }) => b),
  }
}

/** Table by table, so a difference names its table. */
function expectSameTables(pgRows: Record<string, unknown[]>, lite: Record<string, unknown[]>) {
  expect(Object.keys(pgRows)).toEqual(Object.keys(lite))
  for (const t of Object.keys(lite)) expect(pgRows[t], t).toEqual(lite[t])
}

async function post(e: Engine, path: string, body: unknown, token: string) {
  const res = await fetch(`${e.url}/api/v1/lineage${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}

describe.each(['sqlite', 'postgresql'])('POST /api/v1/lineage on %s', (name) => {
  const e = () => {
    const x = engines[name]
    if (!x) throw new Error(`${name} not started`)
    return x
  }
  const note = (x: unknown) => answers[name]?.push(x)

  it('stores single events, each answered 201 once committed', async () => {
    const sales = eventsOf('sales')
    // One after another: what a run's events leave (its schema versions' times) follows their order.
    const r = []
    for (const ev of sales) r.push(await post(e(), '', ev, e().tokens.sales))
    expect(r.map((x) => x.status)).toEqual(sales.map(() => 201))
    expect((await e().rawEvents()).length).toBe(sales.length)
    note(r)
  })

  it('answers a redelivered event 200 duplicate, and stores nothing', async () => {
    const [first] = eventsOf('sales')
    const r = await post(e(), '', first, e().tokens.sales)
    expect(r).toMatchObject({ status: 200, body: { status: 'duplicate' } })
    expect((await e().rawEvents()).length).toBe(eventsOf('sales').length)
    note(r)
  })

  it('stores a bulk POST in one transaction; its redelivery is all duplicates', async () => {
    const finance = eventsOf('finance')
    const r = await post(e(), '/batch', finance, e().tokens.finance)
    expect(r.status).toBe(200)
    expect(r.body.summary).toMatchObject({ received: finance.length, successful: finance.length })
    expect(r.body.summary).toMatchObject({ failed: 0, duplicates: 0 })
    const again = await post(e(), '/batch', finance, e().tokens.finance)
    expect(again.body.summary).toMatchObject({ duplicates: finance.length })
    const rest = await post(
      e(),
      '/batch',
      [...eventsOf('marketing'), ...eventsOf('product')],
      e().tokens.ci,
    )
    expect(rest.body).toMatchObject({ status: 'success', summary: { failed: 0, duplicates: 0 } })
    note([r, again, rest])
  })

  it('refuses bad input with a 4xx naming the field, storing nothing', async () => {
    const before = (await e().rawEvents()).length
    const [ev] = eventsOf('product')
    const { eventTime: _, ...noTime } = ev ?? {}
    const bad = [
      await post(e(), '', '{"eventType": ', e().tokens.ci),
      await post(e(), '', [ev], e().tokens.ci),
      await post(e(), '', { ...noTime, run: { runId: 'r-missing-time' } }, e().tokens.ci),
      await post(e(), '/batch', { events: [ev] }, e().tokens.ci),
    ]
    expect(bad.map((b) => b.status)).toEqual([400, 400, 422, 400])
    expect(bad[1]?.body).toMatchObject({ error: { path: '$' } })
    expect(bad[2]?.body).toMatchObject({ error: { code: 'invalid_event', path: '$.eventTime' } })
    expect((await e().rawEvents()).length).toBe(before)
    note(bad)
  })

  it("refuses another domain's token writing a sales dataset (403 naming the field), whole", async () => {
    const before = await e().dump()
    const raw = (await e().rawEvents()).length
    // A sales model's run, with a new run id so it is not a duplicate: finance may not write it.
    const ev = eventsOf('sales').find((x) => Array.isArray(x.outputs) && x.outputs.length > 0)
    const run = { ...(ev?.run as object), runId: '01900000-0000-7000-8000-00000000f1ce' }
    const single = await post(e(), '', { ...ev, run }, e().tokens.finance)
    expect(single.status).toBe(403)
    expect(single.body).toMatchObject({
      error: { code: 'forbidden', path: expect.stringMatching(/^\$\.outputs\[0\]$/) },
    })
    expect(String((single.body.error as { message: string }).message)).toMatch(/domain sales/)
    const bulk = await post(
      e(),
      '/batch',
      [eventsOf('finance')[0], { ...ev, run }],
      e().tokens.finance,
    )
    expect(bulk.status).toBe(403)
    expect(bulk.body).toMatchObject({ error: { path: '$[1].outputs[0]' } })
    expect((await e().rawEvents()).length).toBe(raw)
    expect(await e().dump()).toEqual(before)
    note([single, bulk])
  })
})

describe('the two engines', () => {
  it('answered the same and stored the same rows for the same events', async () => {
    expect(answers.sqlite?.length).toBe(5)
    expect(answers.postgresql).toEqual(answers.sqlite)
    const [lite, onPg] = [engines.sqlite!, engines.postgresql!]
    expect((await lite.dump()).runs?.length).toBeGreaterThan(10)
    expectSameTables(await comparable(onPg), await comparable(lite))
    expect(await onPg.rawEvents()).toEqual(await lite.rawEvents())
  })

  it('prune the raw events alike, keeping what they implied', async () => {
    const [lite, onPg] = [engines.sqlite!, engines.postgresql!]
    const before = await comparable(lite)
    const cutoff = new Date(NOW.getTime() + 1000)
    const pruned = [
      await pruneRawEvents(lite.store, cutoff),
      await pruneRawEvents(onPg.store, cutoff),
    ]
    expect(pruned[0]?.pruned).toBeGreaterThan(50)
    expect(pruned[1]).toEqual(pruned[0])
    expect(await onPg.rawEvents()).toEqual([])
    const after = await comparable(lite)
    expect({ ...after, batches: [] }).toEqual({ ...before, batches: [] })
    expect(after.batches.length).toBe(before.batches.length + 1)
    expectSameTables(await comparable(onPg), after)
  })

  it('replay alike into the same rows', async () => {
    const [lite, onPg] = [engines.sqlite!, engines.postgresql!]
    const at = new Date(NOW.getTime() + 2000).toISOString()
    const r = [await replayStore(lite.store, at), await replayStore(onPg.store, at)]
    expect(r[0]?.batches).toBeGreaterThan(8)
    expect(r[1]).toEqual(r[0])
    expectSameTables(await comparable(onPg), await comparable(lite))
  })
})
