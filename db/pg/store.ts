import { setTimeout as sleep } from 'node:timers/promises'
import type pg from 'pg'
import { StoreBusyError } from '../errors.ts'
import { Mutex } from '../mutex.ts'
import {
  SQLITE_MODULES,
  StoreUnsupportedError,
  type RawEventRow,
  type RunEvent,
  type Store,
  type StoreModules,
} from '../store.ts'
import type { PgConn, PgModule } from './module.ts'
import { admin } from './queries/admin.ts'
import { alerts } from './queries/alerts.ts'
import { contracts } from './queries/contracts.ts'
import { incidentDeliveries } from './queries/incident-deliveries.ts'
import { incidentDigests } from './queries/incident-digests.ts'
import { incidents } from './queries/incidents.ts'
import { qualityStore } from './queries/quality-store.ts'
import { quality } from './queries/quality.ts'
import { tokens } from './queries/tokens.ts'
import { catalog } from './queries/catalog.ts'
import { collectors } from './queries/collectors.ts'
import { columnLineageInputs } from './queries/column-lineage-inputs.ts'
import { columnLineage } from './queries/column-lineage.ts'
import { contractFacts } from './queries/contract-facts.ts'
import { domainPage } from './queries/domain-page.ts'
import { exportReads } from './queries/export.ts'
import { gate } from './queries/gate.ts'
import { lineage } from './queries/lineage.ts'
import { orchestration } from './queries/orchestration.ts'
import { overview } from './queries/overview.ts'
import { qualityGraph } from './queries/quality-graph.ts'
import { replay } from './queries/replay.ts'
import { rootCauseColumns } from './queries/root-cause-columns.ts'
import { runTimeline } from './queries/run-timeline.ts'
import { runs } from './queries/runs.ts'
import { search } from './queries/search.ts'
import { storeBatch } from './queries/store-batch.ts'

// The PostgreSQL store: the query modules of db/pg/queries/ bound to the pool (each call its own
// statement-level transaction) or, inside store.transaction, to one client holding BEGIN … COMMIT.
// A module or function not yet written for PostgreSQL answers StoreUnsupportedError, never undefined.

type Modules = typeof SQLITE_MODULES

// export's iterators page PostgreSQL as async generators: not the SQLite signature (a sync Generator),
// so checked here without them; modulesOn offers the whole module (the Store's ExportModule)
const {
  iterateDatasets: _asyncDatasets,
  iterateJobsWithEdges: _asyncJobs,
  ...exportReadsCommon
} = exportReads

/** Where a PostgreSQL module is registered once it exists (db/pg/queries/X.ts, same name as SQLite's). */
const PG_MODULES: { [K in keyof Modules]?: Partial<PgModule<Modules[K]>> } = {
  admin,
  alerts,
  catalog,
  collectors,
  columnLineage,
  columnLineageInputs,
  contractFacts,
  contracts,
  domainPage,
  // its two iterators are async generators on PostgreSQL (a sync one cannot page): see modulesOn
  export: exportReadsCommon,
  gate,
  lineage,
  orchestration,
  overview,
  qualityGraph,
  replay,
  rootCauseColumns,
  runTimeline,
  runs,
  search,
  storeBatch,
  incidentDeliveries,
  incidentDigests,
  incidents,
  qualityStore,
  quality,
  tokens,
}

const RAW_COLUMNS = [
  'event_hash',
  'kind',
  'run_id',
  'job_namespace',
  'job_name',
  'event_type',
  'event_time',
  'received_at',
  'payload',
  'domain',
] as const

// A batch of events is one set-based insert (unnest of one array per column), deduplicated by the
// unique key with ON CONFLICT DO NOTHING.
const INSERT_RAW = `
insert into raw_events (${RAW_COLUMNS.join(', ')})
select ${RAW_COLUMNS.join(', ')}
  from unnest(${RAW_COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')})
       with ordinality as u(${RAW_COLUMNS.join(', ')}, ord)
 order by ord
    on conflict (event_time, event_hash) do nothing
returning event_time, event_hash`

type RunEventRow = Omit<RunEvent, 'event'> & { payload: string }

const rawEvents = {
  async keepRawEvents(q: PgConn, events: readonly RawEventRow[], now: string) {
    if (events.length === 0) return []
    const columns = [
      events.map((e) => e.eventHash),
      events.map((e) => e.kind),
      events.map((e) => e.runId),
      events.map((e) => e.jobNamespace),
      events.map((e) => e.jobName),
      events.map((e) => e.eventType),
      events.map((e) => e.eventTime),
      events.map(() => now),
      events.map((e) => e.payload),
      events.map((e) => e.domain),
    ]
    // One statement is one transaction; the same event twice in a batch is kept once (the first).
    const r = await q.query<{ event_time: string; event_hash: string }>(INSERT_RAW, columns)
    const fresh = new Set(r.rows.map((x) => `${x.event_time}\u0000${x.event_hash}`))
    return events.map((e) => fresh.delete(`${e.eventTime}\u0000${e.eventHash}`))
  },
  async listRunEvents(q: PgConn, runId: string) {
    const r = await q.query<RunEventRow>(
      `select id, event_hash as "eventHash", kind, run_id as "runId", job_namespace as "jobNamespace",
              job_name as "jobName", event_type as "eventType", event_time as "eventTime",
              received_at as "receivedAt", payload
         from raw_events where run_id = $1 order by id`,
      [runId],
    )
    return r.rows.map(({ payload, ...row }) => ({ ...row, event: JSON.parse(payload) as unknown }))
  },
  async pageRawEvents(q: PgConn, afterId: number, limit: number) {
    const r = await q.query<{
      id: number
      payload: string
      receivedAt: string
      domain: string | null
    }>(
      `select id, payload, received_at as "receivedAt", domain
         from raw_events where id > $1 order by id limit $2`,
      [afterId, limit],
    )
    return r.rows
  },
}

/** Serialization failure and deadlock: the transaction is re-run. */
const RETRY = new Set(['40001', '40P01'])
/** Lock not available, too many connections, cannot connect now (starting up): 503 + Retry-After. */
const BUSY = new Set(['55P03', '53300', '57P03', '55006'])
const MAX_ATTEMPTS = 5

const sqlStateOf = (e: unknown): string | undefined =>
  e && typeof e === 'object' && 'code' in e && typeof e.code === 'string' ? e.code : undefined

/** An error from PostgreSQL as the rest of the app sees it: a busy store is a StoreBusyError. */
export function pgErrorOf(e: unknown): unknown {
  const code = sqlStateOf(e)
  if (code && (BUSY.has(code) || RETRY.has(code))) return new StoreBusyError(code, { cause: e })
  return e
}

type Fn = (...args: unknown[]) => unknown

async function* pagesOf<T>(pages: AsyncGenerator<T>): AsyncGenerator<T> {
  try {
    yield* pages
  } catch (e) {
    throw pgErrorOf(e)
  }
}

function moduleOn(name: string, mod: Record<string, unknown> | undefined, q: PgConn): object {
  const bound = new Map<string, Fn>()
  return new Proxy(
    {},
    {
      get(_, fn) {
        // Not a store function: so the module is not taken for a promise (then) or printed oddly.
        if (typeof fn !== 'string' || fn === 'then' || fn === 'toJSON') return undefined
        let f = bound.get(fn)
        if (!f) {
          const pgFn = mod?.[fn]
          f =
            typeof pgFn === 'function'
              ? (...args) => {
                  const r = (pgFn as (q: PgConn, ...a: unknown[]) => unknown)(q, ...args)
                  // export's iterators: an async generator, not a promise
                  if (!(r instanceof Promise)) return pagesOf(r as AsyncGenerator<unknown>)
                  return r.catch((e: unknown) => Promise.reject(pgErrorOf(e)))
                }
              : () => Promise.reject(new StoreUnsupportedError(`${name}.${fn}`))
          bound.set(fn, f)
        }
        return f
      },
    },
  )
}

function modulesOn(q: PgConn): StoreModules {
  const out: Record<string, object> = {}
  const registered = PG_MODULES as Record<string, Record<string, unknown> | undefined>
  for (const name of Object.keys(SQLITE_MODULES))
    out[name] = moduleOn(
      name,
      name === 'rawEvents' ? rawEvents : name === 'export' ? exportReads : registered[name],
      q,
    )
  return out as StoreModules
}

const conns = new WeakMap<Store, PgConn>()

/**
 * The connection under a PostgreSQL store (the pool, or inside store.transaction the client that
 * holds it), for db/pg code that is not a query module (cursor, leader); undefined on SQLite.
 */
export function pgConnOf(store: Store): PgConn | undefined {
  return conns.get(store)
}

/** The Store on a PostgreSQL pool (db/pg/client.ts openPgPool: migrated). */
export function pgStore(pool: pg.Pool): Store {
  return storeOn(pool, pool, undefined)
}

function storeOn(pool: pg.Pool, q: PgConn, tx: { depth: number; nested: Mutex } | undefined) {
  const store: Store = {
    ...modulesOn(q),
    engine: 'postgres',
    async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
      if (tx) return savepoint(q as pg.PoolClient, tx, fn)
      for (let attempt = 1; ; attempt++) {
        let client: pg.PoolClient
        try {
          client = await pool.connect()
        } catch (e) {
          throw pgErrorOf(e)
        }
        let broken = false
        try {
          await client.query('begin')
          const r = await fn(storeOn(pool, client, { depth: 1, nested: new Mutex() }))
          await client.query('commit')
          return r
        } catch (e) {
          await client.query('rollback').catch(() => (broken = true))
          const code = sqlStateOf(e)
          if (code && RETRY.has(code) && attempt < MAX_ATTEMPTS) {
            // Jittered backoff so two retrying writers do not meet again at once.
            await sleep(Math.random() * 20 * 2 ** attempt)
            continue
          }
          throw pgErrorOf(e)
        } finally {
          client.release(broken)
        }
      }
    },
    async cachedRead<T>(_key: string, fn: () => Promise<T> | T): Promise<T> {
      // Several replicas write: no cache that assumes a single writer (yet).
      return fn()
    },
    async ping() {
      await q.query('select 1')
    },
    async close() {
      if (!tx) await pool.end()
    },
  }
  async function savepoint<T>(
    client: pg.PoolClient,
    ctx: { depth: number; nested: Mutex },
    fn: (tx: Store) => Promise<T>,
  ): Promise<T> {
    const release = await ctx.nested.lock()
    const name = `store_sp${ctx.depth}`
    try {
      await client.query(`savepoint ${name}`)
      try {
        const r = await fn(storeOn(pool, client, { depth: ctx.depth + 1, nested: new Mutex() }))
        await client.query(`release savepoint ${name}`)
        return r
      } catch (e) {
        await client.query(`rollback to savepoint ${name}`)
        throw e
      }
    } catch (e) {
      throw pgErrorOf(e)
    } finally {
      release()
    }
  }
  conns.set(store, q)
  return store
}
