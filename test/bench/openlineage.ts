// OpenLineage ingestion bench. Alone: `npx tsx test/bench/openlineage.ts [--events N] [--http N]`;
// in `npm run bench` through benchOpenLineage(). Counts also from BENCH_OL_EVENTS / BENCH_OL_HTTP.
import { hash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import Database from 'better-sqlite3'
import { Hono } from 'hono'
import { closeDb, openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { readJsonBody } from '../../server/body.ts'
import { importEvents } from '../../server/openlineage.ts'
import type { BenchRow } from './run.ts'
import { sqliteStore, type Store } from '../../db/store.ts'

const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python'
const F = {
  _producer: PRODUCER,
  _schemaURL: 'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json',
}

/** Event i of a synthetic Airflow-like workload: 1000 tasks over 3000 tables, START/COMPLETE pairs. */
export function syntheticEvent(i: number): Record<string, unknown> {
  const run = Math.floor(i / 2)
  const task = run % 1000
  const done = i % 2 === 1
  return {
    eventType: done ? 'COMPLETE' : 'START',
    eventTime: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString(),
    run: { runId: `00000000-0000-7000-8000-${run.toString(16).padStart(12, '0')}` },
    job: { namespace: 'airflow', name: `dag_${task % 50}.task_${task}` },
    inputs: [{ namespace: 'postgres://db:5432', name: `shop.public.t${task}` }],
    outputs: [
      {
        namespace: 'duckdb://mesh.duckdb',
        name: `mesh.raw.t${task}`,
        facets: done
          ? {
              schema: {
                ...F,
                fields: [
                  { name: 'id', type: 'INTEGER' },
                  { name: 'v', type: 'TEXT' },
                ],
              },
            }
          : {},
        ...(done
          ? { outputFacets: { outputStatistics: { ...F, rowCount: 100 + (run % 7) } } }
          : {}),
      },
    ],
    producer: PRODUCER,
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  }
}

function listen(
  fetch: (r: Request) => Response | Promise<Response>,
): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    )
  })
}

async function postAll(url: string, bodies: string[], concurrency: number): Promise<number> {
  let next = 0
  const started = performance.now()
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++] ?? ''
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      if (res.status >= 300) throw new Error(`${url} answered ${res.status}: ${await res.text()}`)
      await res.arrayBuffer()
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return bodies.length / ((performance.now() - started) / 1000)
}

/**
 * Single-event POSTs at concurrency 50 through our app on `store` vs a bare Hono route that only
 * parses the same bodies, one after the other in this process: events/s of each. Shared with the
 * store bench (#16), which runs it on SQLite and PostgreSQL.
 */
export async function postsVsBare(
  store: Store,
  bodies: string[],
): Promise<{ stored: number; baseline: number }> {
  const bare = new Hono().post('/api/v1/lineage', async (c) => {
    await readJsonBody(c)
    return c.json({ status: 'created' }, 201)
  })
  const ours = createApp({ store })
  const a = await listen(bare.fetch)
  const b = await listen(ours.fetch)
  try {
    await postAll(`${a.url}/api/v1/lineage`, bodies.slice(0, 500), 50) // warm-up
    const baseline = await postAll(`${a.url}/api/v1/lineage`, bodies, 50)
    const stored = await postAll(`${b.url}/api/v1/lineage`, bodies, 50)
    return { stored, baseline }
  } finally {
    a.server.close()
    b.server.close()
  }
}

/** (a) single-event POSTs over HTTP, stored durably, vs a bare Hono route that only parses. */
async function benchHttp(tmp: string, n: number): Promise<BenchRow[]> {
  const bodies = Array.from({ length: n }, (_, i) => JSON.stringify(syntheticEvent(i)))
  const db = openDb(join(tmp, 'http.db'))
  try {
    const { stored, baseline } = await postsVsBare(sqliteStore(db), bodies)
    const ratio = stored / baseline
    return [
      {
        name: 'openlineage: POST /api/v1/lineage vs bare parse route (c=50)',
        value: ratio,
        unit: '×',
        goal: '≥ 0.5×',
        ok: ratio >= 0.5,
        detail: `${stored.toFixed(0)} vs ${baseline.toFixed(0)} events/s, ${n} events, WAL synchronous=FULL`,
      },
    ]
  } finally {
    closeDb(db)
  }
}

const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/**
 * (b) bulk import through collect openlineage's path vs raw better-sqlite3 inserts of the same
 * events: each event's JSON text and its sha256 into a table with a unique hash index (what any
 * deduplicating store does), same durability (WAL, synchronous=FULL), a larger page cache than
 * ours (64 vs 16 MB), same chunk per transaction. The goal is a throughput ratio, events/s
 * over wall time, as in (a); both run on this thread, one after the other. The CPU-time ratio
 * (SQLite runs on this thread too, so it is all the work) is in the detail: it is the stricter
 * one, about 0.5× at 1M events, because the wall time of both includes the same fsyncs.
 *
 * At 1M events the baseline's unique index on a random hash is ~100 MB and every insert lands on
 * a random page, which costs it ~19 µs/event vs ~11 at 100k. Ours dedupes on (event time, hash),
 * which grows at its end: that is a design choice of ours the baseline does not make, and most of
 * why the ratio is higher at 1M than at 100k (~0.3×).
 *
 * Both sides include generating the events (syntheticEvent, a few µs each); the detail also gives
 * the ratio with that generator's own CPU time, measured in the same run, taken off both sides.
 */
async function benchBulk(tmp: string, n: number): Promise<BenchRow[]> {
  const rawDb = new Database(join(tmp, 'raw.db'))
  rawDb.pragma('journal_mode = WAL')
  rawDb.pragma('synchronous = FULL')
  rawDb.pragma('cache_size = -65536')
  rawDb.exec('create table raw (id integer primary key, hash text not null, payload text not null)')
  rawDb.exec('create unique index raw_hash on raw (hash)')
  const insert = rawDb.prepare(
    'insert into raw (hash, payload) values (?, ?) on conflict do nothing',
  )
  const CHUNK = Number(process.env.BENCH_OL_CHUNK ?? 5000)
  let c = cpuMs()
  let t = performance.now()
  for (let i = 0; i < n; i += CHUNK) {
    rawDb.transaction(() => {
      for (let j = i; j < Math.min(n, i + CHUNK); j++) {
        const text = JSON.stringify(syntheticEvent(j))
        insert.run(hash('sha256', text, 'hex'), text)
      }
    })()
  }
  const raw = { cpu: cpuMs() - c, wall: performance.now() - t }
  rawDb.close()

  c = cpuMs()
  let sink = 0
  for (let i = 0; i < n; i++) sink += syntheticEvent(i).eventType === 'START' ? 1 : 0
  const gen = cpuMs() - c
  if (sink !== Math.ceil(n / 2)) throw new Error('generator')

  const db = openDb(join(tmp, 'bulk.db'))
  function* records() {
    for (let i = 0; i < n; i++) yield { where: `#${i}`, event: syntheticEvent(i) }
  }
  c = cpuMs()
  t = performance.now()
  const r = await importEvents({ store: sqliteStore(db) }, records(), { chunk: CHUNK })
  const ours = { cpu: cpuMs() - c, wall: performance.now() - t }
  const rss = process.memoryUsage().rss
  closeDb(db)
  if (r.stored !== n) throw new Error(`bulk import stored ${r.stored} of ${n}`)
  const ratio = raw.wall / ours.wall
  const us = (ms: number) => ((ms * 1000) / n).toFixed(1)
  const perSecond = (ms: number) => `${((n / ms) * 1000).toFixed(0)}`
  const net = (raw.cpu - gen) / (ours.cpu - gen)
  return [
    {
      name: `openlineage: bulk import of ${n} events vs raw inserts (events/s)`,
      value: ratio,
      unit: '×',
      goal: '≥ 0.5×',
      ok: ratio >= 0.5,
      detail: `${perSecond(ours.wall)} vs ${perSecond(raw.wall)} events/s; CPU ${(raw.cpu / ours.cpu).toFixed(2)}× (${us(ours.cpu)} vs ${us(raw.cpu)} µs/event), ${net.toFixed(2)}× without the generator's ${us(gen)} µs on both sides; ${CHUNK} per transaction${n < 1_000_000 ? "; fewer than the goal's 1M events" : ''}`,
    },
    {
      name: 'openlineage: bulk import events/s (wall)',
      value: n / (ours.wall / 1000),
      unit: 'ev/s',
      goal: '',
      ok: true,
    },
    {
      name: 'openlineage: RSS after bulk import',
      value: rss / 2 ** 20,
      unit: 'MiB',
      goal: '',
      ok: true,
    },
  ]
}

// The goal's count. The bulk part takes ~1 min here (both sides); BENCH_OL_EVENTS=100000 for a
// quick look (the ratio is lower there: the baseline's random hash index is still small).
const DEFAULT_EVENTS = 1_000_000

const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? process.argv[i + 1] : undefined
  return v === undefined ? undefined : Number(v)
}

export async function benchOpenLineage(
  opts: { events?: number; http?: number } = {},
): Promise<BenchRow[]> {
  const events =
    opts.events ?? flag('events') ?? Number(process.env.BENCH_OL_EVENTS ?? DEFAULT_EVENTS)
  const http = opts.http ?? flag('http') ?? Number(process.env.BENCH_OL_HTTP ?? 10_000)
  const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-bench-ol-'))
  try {
    return [
      ...(http > 0 ? await benchHttp(tmp, http) : []),
      ...(events > 0 ? await benchBulk(tmp, events) : []),
    ]
  } finally {
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await benchOpenLineage()
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(64)} ${r.value.toFixed(2).padStart(10)} ${r.unit.padEnd(5)} ${r.goal.padEnd(7)} ${r.ok ? 'yes' : 'NO'}${r.detail ? `  (${r.detail})` : ''}\n`,
    )
  }
}
