// Store bench (#16): SQLite and PostgreSQL side by side, same data, one run. Alone:
// `npx tsx test/bench/store.ts [--events N]`; in `npm run bench -- store [--events N]` through
// benchStore(). PostgreSQL is a throwaway cluster started as the PG suite starts it
// (test/pg/global-setup.ts → cluster.sh) and stopped at the end, also when a row fails.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import type { TestProject } from 'vitest/node'
import type { Batch } from '../../collectors/batch.ts'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import { closeDb, openDb } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import { foldBatches } from '../../db/queries/fold-batches.ts'
import { sqliteStore, type Store } from '../../db/store.ts'
import { encodeBatch } from '../../db/queries/batch-codec.ts'
import { hashBatch } from '../../server/ingest.ts'
import { setup as startCluster } from '../pg/global-setup.ts'
import { syntheticEvent } from './openlineage.ts'
import { chunkBatch, DATASETS, ds } from './quality.ts'
import type { BenchRow } from './run.ts'

const NOW = '2026-12-03T00:00:00.000Z'
// Events per storeBatch: the chunk collect openlineage folds into one transaction.
const CHUNK = 1000
// Events generated and held at once: a segment of the bulk import, all of the writers' run.
const SEGMENT = 50_000
const WRITER_EVENTS = 100_000
// The issue's goals (#16).
const PG_EVENTS_PER_S = 10_000
const TWO_WRITERS = 1.6
const LINEAGE_P99_MS = 50
const WALKS = 300

const flag = (name: string): number | undefined => {
  const i = process.argv.indexOf(`--${name}`)
  const v = i >= 0 ? process.argv[i + 1] : undefined
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} ${v}: expected a positive integer`)
  return n
}

/** CPU ms of this process. */
const selfCpu = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
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

/** The generated events from..to, parsed and folded CHUNK at a time: what storeBatch is given. */
function eventBatches(from: number, to: number): Folded[] {
  const out: Folded[] = []
  for (let i = from; i < to; i += CHUNK) {
    const list: Batch[] = []
    for (let j = i; j < Math.min(to, i + CHUNK); j++) {
      const p = parseEvent(syntheticEvent(j))
      if (!p.ok) throw new Error(`generated event ${j}: ${p.path}: ${p.reason}`)
      list.push(p.batch)
    }
    out.push(foldBatches(list))
  }
  return out
}

type Folded = ReturnType<typeof foldBatches>

/** Wall and CPU ms (this process) of the storeBatch calls alone. */
interface Spent {
  wall: number
  cpu: number
}

/** Stores the chunks as ingest does (server/ingest.ts storeOptionsOf: encoded once, for its hash and its payload). */
async function storeAll(store: Store, batches: readonly Folded[], spent?: Spent): Promise<void> {
  for (const { batch, schemas } of batches) {
    const c = selfCpu()
    const t = performance.now()
    const encoded = encodeBatch(batch)
    const r = await store.storeBatch.storeBatch(batch, {
      contentHash: hashBatch(batch, encoded),
      payload: encoded.payload,
      now: NOW,
      ...(schemas ? { schemas } : {}),
    })
    if (spent) {
      spent.wall += performance.now() - t
      spent.cpu += selfCpu() - c
    }
    if (r.duplicate) throw new Error('a generated chunk was stored as a duplicate')
  }
}

/**
 * Events 0..n generated and stored a segment at a time, so 1M events never sit in memory at once;
 * only the storeBatch calls are timed (generating is the same for both engines).
 */
async function importEvents(store: Store, n: number): Promise<Spent> {
  const spent = { wall: 0, cpu: 0 }
  for (let from = 0; from < n; from += SEGMENT)
    await storeAll(store, eventBatches(from, Math.min(n, from + SEGMENT)), spent)
  return spent
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

/** (a) bulk import, both engines, same folded chunks; events/s over storeBatch's time and CPU µs/event. */
async function benchBulk(tmp: string, cluster: Cluster, n: number): Promise<BenchRow[]> {
  const db = openDb(join(tmp, 'bulk.db'))
  const lite = sqliteStore(db)
  let sqlite: Spent
  try {
    sqlite = await importEvents(lite, n)
  } finally {
    closeDb(db)
  }

  const pool = await openPgPool(await cluster.database())
  const server = await clusterCpu(pool)
  const store = pgStore(pool)
  try {
    const s = server()
    const own = await importEvents(store, n)
    const postgres = { ...own, server: server() - s }
    const perS = (w: number) => n / (w / 1000)
    const us = (ms: number) => ((ms * 1000) / n).toFixed(1)
    const note = `${n} events, ${CHUNK} folded per storeBatch${n < 1_000_000 ? "; fewer than the goal's 1M (--events 1000000)" : ''}`
    const pgPerS = perS(postgres.wall)
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
        detail: `CPU ${us(postgres.cpu + postgres.server)} µs/event (${us(postgres.cpu)} node + ${us(postgres.server)} server, which also counts its background work while chunks are generated); ${(pgPerS / perS(sqlite.wall)).toFixed(2)}× SQLite's events/s; ${note}`,
      },
    ]
  } finally {
    await store.close()
  }
}

/** (b) PostgreSQL: the same events by one writer, then split between two writers (two pools) at once. */
async function benchWriters(cluster: Cluster, events: number): Promise<BenchRow[]> {
  // generated before the clock starts, so at most WRITER_EVENTS of them (memory)
  const n = Math.min(events, WRITER_EVENTS)
  const half = Math.floor(n / 2 / CHUNK) * CHUNK
  const a = eventBatches(0, half)
  const b = eventBatches(half, n)
  const one = pgStore(await openPgPool(await cluster.database()))
  let single: number
  try {
    const t = performance.now()
    await storeAll(one, [...a, ...b])
    single = performance.now() - t
  } finally {
    await one.close()
  }
  const url = await cluster.database()
  const w1 = pgStore(await openPgPool(url))
  const w2 = pgStore(await openPgPool(url))
  let double: number
  try {
    const t = performance.now()
    await Promise.all([storeAll(w1, a), storeAll(w2, b)])
    double = performance.now() - t
  } finally {
    await w1.close()
    await w2.close()
  }
  const ratio = single / double
  const perS = (ms: number) => (n / (ms / 1000)).toFixed(0)
  return [
    {
      name: 'store: PostgreSQL, 2 concurrent writers vs 1 (events/s)',
      value: ratio,
      unit: '×',
      goal: `≥ ${TWO_WRITERS}×`,
      ok: ratio >= TWO_WRITERS,
      detail: `${perS(double)} vs ${perS(single)} events/s; ${n} events${events > n ? ` (at most ${WRITER_EVENTS}: held in memory)` : ''}, each writer its own pool and half of them (same jobs and tables, disjoint runs); node and PostgreSQL share this machine's cores`,
    },
  ]
}

/** (c) 3-hop lineage of the quality bench's 100k-node graph through each store's lineage module. */
async function benchLineage(tmp: string, cluster: Cluster): Promise<BenchRow[]> {
  const seed = async (store: Store) => {
    for (let from = 0; from < DATASETS; from += 5000)
      await store.storeBatch.storeBatch(chunkBatch(from, from + 5000), {
        contentHash: `bench-${from}`,
        now: NOW,
      })
  }
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
  const db = openDb(join(tmp, 'lineage.db'))
  const lite = sqliteStore(db)
  const pool = await openPgPool(await cluster.database())
  const store = pgStore(pool)
  try {
    await seed(lite)
    await seed(store)
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
  } finally {
    closeDb(db)
    await store.close()
  }
}

const notYet = (name: string, why: string): BenchRow => ({
  name: `store: ${name}`,
  value: Number.NaN,
  unit: '',
  goal: '',
  ok: false,
  detail: `not on PostgreSQL yet: ${why}`,
})

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
      ...(await run('lineage', () => benchLineage(tmp, cluster))),
      notYet('single POSTs through serve', 'serve ingests through the SQLite Db (ingestEvents)'),
      notYet(
        'evaluation of 10k products',
        'the evaluator (server/evaluate.ts) reads the SQLite Db',
      ),
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
