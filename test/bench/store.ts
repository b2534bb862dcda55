// Store bench (#16): SQLite and PostgreSQL side by side, same data, one run. Alone:
// `npx tsx test/bench/store.ts [--events N]`; in `npm run bench -- store [--events N]` through
// benchStore(). PostgreSQL is a throwaway cluster started as the PG suite starts it
// (test/pg/global-setup.ts → cluster.sh) and stopped at the end, also when a row fails.
import { fork } from 'node:child_process'
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import { closeDb, openDb } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { sqliteStore, type Store } from '../../db/store.ts'
import { evaluateProducts } from '../../server/evaluate.ts'
import { setup as startCluster } from '../pg/global-setup.ts'
import { postsVsBare, syntheticEvent } from './openlineage.ts'
import {
  chunkBatch,
  DATASETS,
  ds,
  NOW as GRAPH_NOW,
  readFactsPlain,
  FACT_QUERIES,
} from './quality.ts'
import type { BenchRow } from './run.ts'
import {
  CHUNK,
  eventBatches,
  NOW,
  selfCpu,
  storeAll,
  type Spent,
  type WriterMessage,
} from './store-writer.ts'

// Events generated and held at once: a segment of the bulk import (both engines store it in
// turn), all of the writers' run.
const SEGMENT = 10_000
const WRITER_EVENTS = 100_000
// The issue's goals (#16).
const PG_EVENTS_PER_S = 10_000
const TWO_WRITERS = 1.6
const LINEAGE_P99_MS = 50
const WALKS = 300
const POST_RATIO = 0.5
const POSTS = 10_000
const EVAL_MS = 2000
const EVAL_ROUNDS = 3

const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? process.argv[i + 1] : undefined
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${v}: expected a positive integer`)
  return n
}

const TICK_MS = 10 // USER_HZ 100 on Linux
const statOf = (pid: number): string[] | undefined => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return s.slice(s.lastIndexOf(')') + 2).split(' ') // fields from state (3) on
  } catch {
    return undefined
  }
}

/**
 * CPU ms of one PostgreSQL cluster: its postmaster (with its reaped children) and every live
 * child (backends, WAL writer, checkpointer), from /proc. Other clusters on the machine are not
 * its children, so not counted.
 */
async function clusterCpu(pool: pg.Pool): Promise<() => number> {
  const r = await pool.query<{ pid: number }>('select pg_backend_pid() as pid')
  const backend = r.rows[0]?.pid ?? 0
  const postmaster = Number(statOf(backend)?.[1])
  if (!Number.isInteger(postmaster)) return () => Number.NaN
  return () => {
    const own = statOf(postmaster)
    if (!own) return Number.NaN
    // utime, stime, cutime, cstime are fields 14..17 (index 11..14 here)
    let ticks = [11, 12, 13, 14].reduce((s, k) => s + Number(own[k]), 0)
    const pids = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
    for (const p of pids) {
      const st = statOf(Number(p))
      if (st) ticks += Number(st[11]) + Number(st[12])
    }
    return ticks * TICK_MS
  }
}

interface Cluster {
  url: string
  /** A new empty database on the cluster: its URL. */
  database(): Promise<string>
}

async function newDatabase(admin: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: admin })
  await c.connect()
  try {
    await c.query(`create database ${name}`)
  } finally {
    await c.end()
  }
  const u = new URL(admin)
  u.pathname = `/${name}`
  return u.toString()
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN
}

/**
 * (a) bulk import, both engines, same folded chunks, events/s over storeBatch's time and CPU
 * µs/event. The events are generated a segment at a time (so 1M never sit in memory at once),
 * each segment stored by SQLite then by PostgreSQL: both engines see the machine's load alike.
 */
async function benchBulk(tmp: string, cluster: Cluster, n: number): Promise<BenchRow[]> {
  const db = openDb(join(tmp, 'bulk.db'))
  const lite = sqliteStore(db)
  const pool = await openPgPool(await cluster.database())
  const server = await clusterCpu(pool)
  const store = pgStore(pool)
  try {
    const sqlite: Spent = { wall: 0, cpu: 0 }
    const postgres = { wall: 0, cpu: 0, server: 0 }
    for (let from = 0; from < n; from += SEGMENT) {
      const segment = eventBatches(from, Math.min(n, from + SEGMENT))
      await storeAll(lite, segment, sqlite)
      const s = server()
      await storeAll(store, segment, postgres)
      postgres.server += server() - s
    }
    const perS = (w: number) => n / (w / 1000)
    const us = (ms: number) => ((ms * 1000) / n).toFixed(1)
    const note = `${n} events, ${CHUNK} folded per storeBatch${n < 1_000_000 ? "; fewer than the goal's 1M (--events 1000000)" : ''}`
    const pgPerS = perS(postgres.wall)
    const bound = 1e6 / ((1000 * (postgres.cpu + postgres.server)) / n)
    return [
      {
        name: `store: bulk import, SQLite (events/s)`,
        value: perS(sqlite.wall),
        unit: 'ev/s',
        goal: '—',
        ok: true,
        detail: `CPU ${us(sqlite.cpu)} µs/event (all in this process); ${note}`,
      },
      {
        name: `store: bulk import, PostgreSQL (events/s)`,
        value: pgPerS,
        unit: 'ev/s',
        goal: `≥ ${PG_EVENTS_PER_S}`,
        ok: pgPerS >= PG_EVENTS_PER_S,
        detail: `CPU ${us(postgres.cpu + postgres.server)} µs/event (${us(postgres.cpu)} node + ${us(postgres.server)} server), so ${bound.toFixed(0)} events/s for one writer on idle cores; ${(pgPerS / perS(sqlite.wall)).toFixed(2)}× SQLite's events/s; ${note}`,
      },
    ]
  } finally {
    closeDb(db)
    await store.close()
  }
}

const WRITER = fileURLToPath(new URL('./store-writer.ts', import.meta.url))

/**
 * One writer process (store-writer.ts) storing the events from..to on `url` (warmed up on
 * `warm`), with `domain`'s token if given.
 */
function forkWriter(url: string, warm: string, from: number, to: number, domain?: string) {
  const child = fork(WRITER, [url, warm, String(from), String(to), ...(domain ? [domain] : [])], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  // Messages in order; `close` (after the IPC channel's last message) ends the queue.
  const queue: WriterMessage[] = []
  const waiters: ((m: WriterMessage) => void)[] = []
  let ended: string | undefined
  const push = (m: WriterMessage) => {
    const w = waiters.shift()
    if (w) w(m)
    else queue.push(m)
  }
  child.on('message', push)
  child.on('close', (code, signal) => {
    ended = `writer ${from}..${to} exited (${signal ?? code})`
    for (const w of waiters.splice(0)) w({ error: ended })
  })
  child.on('error', (e) => push({ error: `writer ${from}..${to}: ${e.message}` }))
  const next = () =>
    new Promise<WriterMessage>((resolve) => {
      const m = queue.shift()
      if (m) resolve(m)
      else if (ended !== undefined) resolve({ error: ended })
      else waiters.push(resolve)
    })
  return { child, next }
}

/** A writer's next message, which must be of kind `k`. */
async function expect<K extends 'ready' | 'done'>(
  w: ReturnType<typeof forkWriter>,
  k: K,
): Promise<Extract<WriterMessage, Record<K, true>>> {
  const m = await w.next()
  if ('error' in m) throw new Error(m.error)
  if (!(k in m)) throw new Error(`a writer said ${JSON.stringify(m)}, expected ${k}`)
  return m as Extract<WriterMessage, Record<K, true>>
}

/** What one run of writers spent: wall from the start signal to the last one done, CPU of each part. */
interface Writers {
  wall: number
  node: number
  server: number
  /** Samples of the writers' backends (pg_stat_activity, every WAIT_SAMPLE_MS) and those waiting on a lock. */
  samples: number
  lockWaits: number
}

const WAIT_SAMPLE_MS = 20
/** The domain of the scoped writers' token (the generated events name no domain: all unowned). */
const SCOPE = 'sales'

const none = (): Writers => ({ wall: 0, node: 0, server: 0, samples: 0, lockWaits: 0 })
const add = (to: Writers, w: Writers) => {
  for (const k of Object.keys(to) as (keyof Writers)[]) to[k] += w[k]
}

/**
 * The events 0..n split into `shares` consecutive parts (whole chunks), each stored by its own
 * writer process on a new database: each generates and folds its part, warms up on a database of
 * its own, opens its pool, and all start on one signal once all are ready.
 */
async function runWriters(
  cluster: Cluster,
  n: number,
  shares: number,
  domain?: string,
): Promise<Writers> {
  const url = await cluster.database()
  const pool = await openPgPool(url) // migrated here, so the writers' pools find it ready
  const server = await clusterCpu(pool)
  const size = Math.ceil(n / shares / CHUNK) * CHUNK
  const warm: string[] = []
  // one after the other: CREATE DATABASE copies template1, which must have no other session
  for (let k = 0; k < shares; k++) warm.push(await cluster.database())
  const kids = warm.map((w, k) => forkWriter(url, w, k * size, Math.min(n, (k + 1) * size), domain))
  try {
    await Promise.all(kids.map((w) => expect(w, 'ready')))
    const name = new URL(url).pathname.slice(1)
    let sampling = true
    let samples = 0
    let lockWaits = 0
    const sampler = (async () => {
      while (sampling) {
        const r = await pool.query<{ wait: string | null }>(
          `select wait_event_type as wait from pg_stat_activity
            where datname = $1 and pid <> pg_backend_pid() and state = 'active'`,
          [name],
        )
        samples += r.rows.length
        lockWaits += r.rows.filter((x) => x.wait === 'Lock').length
        await new Promise((s) => setTimeout(s, WAIT_SAMPLE_MS))
      }
    })()
    const s = server()
    const t = performance.now()
    for (const w of kids) w.child.send('go')
    const done = await Promise.all(kids.map((w) => expect(w, 'done')))
    const wall = performance.now() - t
    const spent = server() - s
    sampling = false
    await sampler
    return {
      wall,
      node: done.reduce((x, d) => x + d.cpu, 0),
      server: spent,
      samples,
      lockWaits,
    }
  } finally {
    for (const w of kids) if (w.child.exitCode === null) w.child.kill()
    await pool.end()
  }
}

/**
 * (b) PostgreSQL: the same events stored by one writer process, then split between two at once
 * (replicas: each its own process and pool), timed from the start signal to the last one done.
 */
async function benchWriters(cluster: Cluster, events: number): Promise<BenchRow[]> {
  // generated before the start signal, so at most WRITER_EVENTS of them (memory)
  const n = Math.min(events, WRITER_EVENTS)
  const load = loadavg()[0] ?? Number.NaN
  // 1, 2, 2, 1: what the machine's other load does to the first and last minutes hits both alike
  const rounds = async (domain?: string) => {
    const sum = { 1: none(), 2: none() }
    for (const shares of [1, 2, 2, 1] as const)
      add(sum[shares], await runWriters(cluster, n, shares, domain))
    return sum
  }
  const { 1: one, 2: two } = await rounds()
  // the same with a domain token: each batch's ownership checked, its rows locked, in its transaction
  const { 1: scopedOne, 2: scopedTwo } = await rounds(SCOPE)
  const ratio = one.wall / two.wall
  const perS = (w: Writers) => ((2 * n) / (w.wall / 1000)).toFixed(0)
  const us = (ms: number) => ((ms * 1000) / (2 * n)).toFixed(1)
  const cpu = (w: Writers) => `${us(w.node)} node + ${us(w.server)} server`
  const waits = (w: Writers) =>
    `${w.samples > 0 ? ((100 * w.lockWaits) / w.samples).toFixed(0) : '—'}%`
  // What the cores allow: all of them busy at two writers' CPU per event (node + server), as a
  // ratio to one writer's events/s. A ratio near it is the machine's bound, not the store's.
  const bound = (cpus().length * 1000 * 2 * n) / (two.node + two.server)
  const ceiling = bound / ((2 * n) / (one.wall / 1000))
  return [
    {
      name: 'store: PostgreSQL, 2 concurrent writers vs 1 (events/s)',
      value: ratio,
      unit: '×',
      goal: `≥ ${TWO_WRITERS}×`,
      ok: ratio >= TWO_WRITERS,
      detail: `${perS(two)} vs ${perS(one)} events/s; the cores allow at most ${ceiling.toFixed(2)}× (${bound.toFixed(0)} events/s: ${cpus().length} cores at two writers' CPU per event); ${n} events${events > n ? ` (at most ${WRITER_EVENTS}: held in memory)` : ''} on a new database, 1, 2, 2 then 1 writers (summed); each writer its own process and pool (as a replica) storing its half (same jobs and datasets, disjoint runs), generated and folded, and the writer warmed up on a database of its own, before the start; CPU µs/event ${cpu(two)} vs ${cpu(one)}; active backends waiting on a lock ${waits(two)} vs ${waits(one)} of samples; with a domain token (ownership checked and its rows locked in each transaction; not this row's value) ${(scopedOne.wall / scopedTwo.wall).toFixed(2)}×, ${perS(scopedTwo)} vs ${perS(scopedOne)} events/s, waiting on a lock ${waits(scopedTwo)} vs ${waits(scopedOne)}; load ${load.toFixed(1)}, writers and PostgreSQL share this machine's ${cpus().length} cores`,
    },
  ]
}

/** The quality bench's 100k-node graph (and its 10k products), seeded on both engines. */
interface Graph {
  db: ReturnType<typeof openDb>
  lite: Store
  pool: pg.Pool
  store: Store
}

async function withGraph<T>(
  tmp: string,
  cluster: Cluster,
  fn: (g: Graph) => Promise<T>,
): Promise<T> {
  const seed = async (store: Store) => {
    for (let from = 0; from < DATASETS; from += 5000)
      await store.storeBatch.storeBatch(chunkBatch(from, from + 5000), {
        contentHash: `bench-${from}`,
        now: NOW,
      })
  }
  const db = openDb(join(tmp, 'graph.db'))
  const lite = sqliteStore(db)
  const pool = await openPgPool(await cluster.database())
  const store = pgStore(pool)
  try {
    await seed(lite)
    await seed(store)
    return await fn({ db, lite, pool, store })
  } finally {
    closeDb(db)
    await store.close()
  }
}

/** (c) 3-hop lineage of the quality bench's 100k-node graph through each store's lineage module. */
async function benchLineage({ db, lite, pool, store }: Graph): Promise<BenchRow[]> {
  const walk = async (store: Store, ids: number[]) => {
    const ms: number[] = []
    const sizes: number[] = []
    for (const direction of ['up', 'down'] as const)
      for (const i of ids) {
        const t = performance.now()
        const r = await store.lineage.lineageNeighbourhood({
          node: `dataset:${i}`,
          depth: 3,
          direction,
        })
        ms.push(performance.now() - t)
        sizes.push(r.nodes.length)
      }
    return { ms, sizes }
  }
  // The same datasets on both (by name: ids are each engine's own), spread over the graph.
  const names = Array.from(
    { length: WALKS },
    (_, k) => ds(1000 + ((k * 7919) % (DATASETS - 2000))).name,
  )
  const byName = (rows: { id: number; name: string }[]) => {
    const m = new Map(rows.map((r) => [r.name, Number(r.id)]))
    return names.map((n) => {
      const id = m.get(n)
      if (id === undefined) throw new Error(`dataset ${n} was not stored`)
      return id
    })
  }
  const liteIds = byName(
    db.$client.prepare('select id, name from datasets').all() as { id: number; name: string }[],
  )
  const pgIds = byName(
    (await pool.query<{ id: number; name: string }>('select id, name from datasets')).rows,
  )
  await walk(lite, liteIds) // warm-up, both
  await walk(store, pgIds)
  const a = await walk(lite, liteIds)
  const b = await walk(store, pgIds)
  // Same graph, same walks (by position in id order): the answers must be the same size.
  const differs = a.sizes.findIndex((s, k) => s !== b.sizes[k])
  if (differs >= 0)
    throw new Error(
      `lineage walk ${differs}: SQLite finds ${a.sizes[differs]} nodes, PostgreSQL ${b.sizes[differs]}`,
    )
  const nodes = a.sizes.reduce((s, x) => s + x, 0) / a.sizes.length
  const rows: BenchRow[] = []
  for (const [engine, r] of [
    ['SQLite', a],
    ['PostgreSQL', b],
  ] as const) {
    const p99 = pct(r.ms, 99)
    rows.push({
      name: `store: 3-hop lineage, ${engine} (p99, 100k-node graph)`,
      value: p99,
      unit: 'ms',
      goal: `< ${LINEAGE_P99_MS} ms`,
      ok: p99 < LINEAGE_P99_MS,
      detail: `p50 ${pct(r.ms, 50).toFixed(2)} ms; ${r.ms.length} walks (${WALKS} up, ${WALKS} down), ${nodes.toFixed(0)} nodes each on average`,
    })
  }
  return rows
}

// FACT_QUERIES' two with SQLite's bare columns beside max() (the row holding the max), as distinct on.
const PG_FACTS: Record<number, string> = {
  2: `select distinct on (a.key, a.dataset_id) a.dataset_id, a.key, a.name, a.status, a.severity,
            a.observed_at, a."column", a.message
       from product_outputs o join assertions a on a.dataset_id = o.dataset_id
       order by a.key, a.dataset_id, a.observed_at desc`,
  6: `select distinct dataset_id from (
       select distinct on (key, dataset_id) dataset_id, status from assertions
        order by key, dataset_id, observed_at desc
     ) latest where status in ('fail', 'error', 'warn')`,
}

/**
 * readFactsPlain (quality.ts) on PostgreSQL: the same facts, the same joins, in plain SQL on the
 * pool (PG_FACTS for the two that differ).
 */
async function readFactsPlainPg(pool: pg.Pool, since: string): Promise<number> {
  const queries = FACT_QUERIES.map((q, k) => PG_FACTS[k] ?? q.replace('?', '$1'))
  let rows = 0
  for (const q of queries)
    rows += (q.includes('$1') ? await pool.query(q, [since]) : await pool.query(q)).rowCount ?? 0
  return rows
}

/**
 * (d) evaluateProducts (load and score the 10k products, root causes; not stored) on each engine
 * through its Store, each against the same facts read in plain SQL on that engine, in turn, so
 * load on the machine hits all four alike. Median of EVAL_ROUNDS after a warm-up of each.
 */
async function benchEvaluation({ db, lite, pool, store }: Graph): Promise<BenchRow[]> {
  const since = new Date(GRAPH_NOW.getTime() - 30 * 86_400_000).toISOString()
  const server = await clusterCpu(pool)
  const evaluate = (s: Store) =>
    evaluateProducts({ store: s, now: () => GRAPH_NOW }, { store: false })
  const timed = async <T>(fn: () => Promise<T> | T) => {
    const c = selfCpu()
    const sv = server()
    const t = performance.now()
    const value = await fn()
    return {
      value,
      wall: performance.now() - t,
      cpu: selfCpu() - c,
      server: server() - sv,
    }
  }
  await evaluate(lite) // warm-up: caches, prepared statements
  await evaluate(store)
  readFactsPlain(db, since)
  await readFactsPlainPg(pool, since)
  const runs = { lite: [], pg: [], litePlain: [], pgPlain: [] } as Record<
    'lite' | 'pg' | 'litePlain' | 'pgPlain',
    Awaited<ReturnType<typeof timed<unknown>>>[]
  >
  let liteBreaches = 0
  let pgBreaches = 0
  let liteRows = 0
  let pgRows = 0
  for (let k = 0; k < EVAL_ROUNDS; k++) {
    const a = await timed(() => evaluate(lite))
    runs.lite.push(a)
    liteBreaches = a.value.evaluations.filter((e) => e.status === 'breach').length
    const b = await timed(() => evaluate(store))
    runs.pg.push(b)
    pgBreaches = b.value.evaluations.filter((e) => e.status === 'breach').length
    const c = await timed(() => readFactsPlain(db, since))
    runs.litePlain.push(c)
    liteRows = c.value
    const d = await timed(() => readFactsPlainPg(pool, since))
    runs.pgPlain.push(d)
    pgRows = d.value
  }
  const med = (k: keyof typeof runs, f: 'wall' | 'cpu' | 'server') =>
    pct(
      runs[k].map((r) => r[f]),
      50,
    )
  const ms = (x: number) => `${Math.round(x)} ms`
  const same =
    liteBreaches === pgBreaches
      ? `${pgBreaches} breaches with root cause, as on SQLite`
      : `${pgBreaches} breaches, SQLite ${liteBreaches}: DIFFERS`
  const liteWall = med('lite', 'wall')
  const pgWall = med('pg', 'wall')
  return [
    {
      name: 'store: evaluate 10k products, SQLite (wall, 100k-node graph)',
      value: liteWall,
      unit: 'ms',
      goal: `< ${EVAL_MS} ms`,
      ok: liteWall < EVAL_MS,
      detail: `median of ${EVAL_ROUNDS}; ${(liteWall / med('litePlain', 'wall')).toFixed(2)}× reading their facts in plain SQL (${ms(med('litePlain', 'wall'))}, ${liteRows} rows); CPU ${ms(med('lite', 'cpu'))}; ${liteBreaches} breaches with root cause`,
    },
    {
      name: 'store: evaluate 10k products, PostgreSQL (wall, 100k-node graph)',
      value: pgWall,
      unit: 'ms',
      goal: `< ${EVAL_MS} ms`,
      ok: pgWall < EVAL_MS,
      detail: `median of ${EVAL_ROUNDS}; ${(pgWall / med('pgPlain', 'wall')).toFixed(2)}× reading their facts in plain SQL on PostgreSQL (${ms(med('pgPlain', 'wall'))}, ${pgRows} rows); ${(pgWall / liteWall).toFixed(2)}× SQLite's; CPU ${ms(med('pg', 'cpu'))} node + ${ms(med('pg', 'server'))} server; ${same}`,
    },
  ]
}

/**
 * (e) single OpenLineage POSTs at concurrency 50 through the app (createApp, as serve builds it)
 * on each engine vs a bare Hono route parsing the same bodies (openlineage.ts postsVsBare), the
 * same POSTS events on a fresh store of each, one engine after the other.
 */
async function benchPosts(tmp: string, cluster: Cluster): Promise<BenchRow[]> {
  const bodies = Array.from({ length: POSTS }, (_, i) => JSON.stringify(syntheticEvent(i)))
  const db = openDb(join(tmp, 'posts.db'))
  let lite: { stored: number; baseline: number }
  try {
    lite = await postsVsBare(sqliteStore(db), bodies)
  } finally {
    closeDb(db)
  }
  const store = pgStore(await openPgPool(await cluster.database()))
  let pgr: { stored: number; baseline: number }
  try {
    pgr = await postsVsBare(store, bodies)
  } finally {
    await store.close()
  }
  return (
    [
      ['SQLite', lite, 'WAL synchronous=FULL'],
      [
        'PostgreSQL',
        pgr,
        `${(pgr.stored / lite.stored).toFixed(2)}× SQLite's events/s; pool of 10`,
      ],
    ] as const
  ).map(([engine, r, note]) => {
    const ratio = r.stored / r.baseline
    return {
      name: `store: POST /api/v1/lineage, ${engine}, vs bare parse route (c=50)`,
      value: ratio,
      unit: '×',
      goal: `≥ ${POST_RATIO}×`,
      ok: ratio >= POST_RATIO,
      detail: `${r.stored.toFixed(0)} vs ${r.baseline.toFixed(0)} events/s, ${POSTS} single-event POSTs; ${note}`,
    }
  })
}

export async function benchStore(opts: { events?: number } = {}): Promise<BenchRow[]> {
  const events = opts.events ?? flag('events') ?? Number(process.env.BENCH_STORE_EVENTS ?? 50_000)
  const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-bench-store-'))
  let url = ''
  let stop: (() => void) | undefined
  const onSignal = () => {
    stop?.()
    rmSync(tmp, { recursive: true, force: true })
    process.exit(130)
  }
  try {
    // The PG suite's global setup, given what it provides to: it starts the cluster and
    // returns the teardown that stops it.
    stop = startCluster({
      provide: (_key: string, value: string) => {
        url = value
      },
    } as unknown as TestProject)
    // Interrupted (Ctrl-C, a CI timeout): the cluster is stopped too, not left running.
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    let k = 0
    const cluster: Cluster = { url, database: () => newDatabase(url, `bench_${k++}`) }
    const run = async (what: string, fn: () => Promise<BenchRow[]>): Promise<BenchRow[]> => {
      process.stderr.write(`  store: ${what}…\n`)
      try {
        return await fn()
      } catch (e) {
        return [
          {
            name: `store: ${what}: failed`,
            value: Number.NaN,
            unit: '',
            goal: '',
            ok: false,
            detail: (e as Error).message.split('\n')[0],
          },
        ]
      }
    }
    return [
      ...(await run('bulk import', () => benchBulk(tmp, cluster, events))),
      ...(await run('writers', () => benchWriters(cluster, events))),
      ...(await run('lineage and evaluation', () =>
        withGraph(tmp, cluster, async (g) => [
          ...(await run('lineage', () => benchLineage(g))),
          ...(await run('evaluation', () => benchEvaluation(g))),
        ]),
      )),
      ...(await run('single POSTs', () => benchPosts(tmp, cluster))),
    ]
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    stop?.()
    rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows = await benchStore()
  for (const r of rows) {
    process.stdout.write(
      `${r.name.padEnd(64)} ${r.value.toFixed(2).padStart(10)} ${r.unit.padEnd(5)} ${r.goal.padEnd(9)} ${r.ok ? 'yes' : 'NO'}${r.detail ? `  (${r.detail})` : ''}\n`,
    )
  }
}
