import { AsyncLocalStorage } from 'node:async_hooks'
import { closeDb, type Db } from './client.ts'
import { storeErrorOf } from './errors.ts'
import { Mutex } from './mutex.ts'
import * as admin from './queries/admin.ts'
import * as alerts from './queries/alerts.ts'
import * as authorize from './queries/authorize.ts'
import * as catalog from './queries/catalog.ts'
import * as collectors from './queries/collectors.ts'
import * as columnLineageInputs from './queries/column-lineage-inputs.ts'
import * as columnLineage from './queries/column-lineage.ts'
import * as contractFacts from './queries/contract-facts.ts'
import * as contracts from './queries/contracts.ts'
import * as domainPage from './queries/domain-page.ts'
import * as exportQ from './queries/export.ts'
import * as gate from './queries/gate.ts'
import * as incidentDeliveries from './queries/incident-deliveries.ts'
import * as incidentDigests from './queries/incident-digests.ts'
import * as incidents from './queries/incidents.ts'
import * as lineage from './queries/lineage.ts'
import { storeMark } from './queries/node-cache.ts'
import * as orchestration from './queries/orchestration.ts'
import * as overview from './queries/overview.ts'
import * as qualityGraph from './queries/quality-graph.ts'
import * as qualityStore from './queries/quality-store.ts'
import * as quality from './queries/quality.ts'
import * as rawEventsQ from './queries/raw-events.ts'
import type { RawEventInput } from './queries/raw-events.ts'
import * as replay from './queries/replay.ts'
import * as rootCauseColumns from './queries/root-cause-columns.ts'
import * as runTimeline from './queries/run-timeline.ts'
import * as runs from './queries/runs.ts'
import * as search from './queries/search.ts'
import * as storeBatch from './queries/store-batch.ts'
import * as tokens from './queries/tokens.ts'
import { rawEvents } from './schema.ts'

// The async store interface of #16: everything above db/ awaits a Store and knows no dialect.
// Each query module is one property (`store.catalog.getDataset(id)`): on SQLite the sync
// functions of db/queries/X.ts bound to the connection, on PostgreSQL (db/pg/store.ts) the
// functions of db/pg/queries/X.ts bound to the pool (or to the transaction's client).
//
// The ratchet: code not yet moved onto the Store still takes the SQLite Db, from sqliteDbOf(store);
// on PostgreSQL there is none, and such code says what is not on PostgreSQL yet. Lint
// (.oxlintrc.json) keeps the list of server/ files that still import query values from growing.

/** The SQLite query modules a Store exposes, by the name of its property (the file name in camelCase). */
export const SQLITE_MODULES = {
  admin,
  alerts,
  authorize,
  catalog,
  collectors,
  columnLineage,
  columnLineageInputs,
  contractFacts,
  contracts,
  domainPage,
  export: exportQ,
  gate,
  incidentDeliveries,
  incidentDigests,
  incidents,
  lineage,
  orchestration,
  overview,
  qualityGraph,
  qualityStore,
  quality,
  rawEvents: rawEventsQ,
  replay,
  rootCauseColumns,
  runTimeline,
  runs,
  search,
  storeBatch,
  tokens,
} as const

/** True only for a function whose first parameter is a Db (not one taking any `object`, e.g. encodeBatch). */
type DbFirst<F> = F extends (...args: infer P) => unknown
  ? P extends [infer D, ...unknown[]]
    ? [D] extends [Db]
      ? [Db] extends [D]
        ? true
        : false
      : false
    : false
  : false

/** Every Db-first function of a sync query module, with the Db bound and the answer awaited. */
export type StoreModule<M> = {
  [K in keyof M as DbFirst<M[K]> extends true ? K : never]: M[K] extends (
    db: Db,
    ...args: infer A
  ) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never
}

/** One raw OpenLineage event to keep, deduplicated by (eventTime, eventHash): without its derived batch. */
export type RawEventRow = Omit<RawEventInput, 'batch' | 'reads' | 'domain'> & {
  domain: string | null
}

export type RunEvent = ReturnType<typeof rawEventsQ.listRunEvents>[number]

/** db/queries/raw-events.ts plus keepRawEvents, the raw events kept without derivation. */
export type RawEventsModule = StoreModule<typeof rawEventsQ> & {
  /** Keeps the events in order in one transaction; per event, true when it was new. */
  keepRawEvents(events: readonly RawEventRow[], now: string): Promise<boolean[]>
}

type Row<G> = G extends (db: Db) => Generator<infer T> ? T : never

/** db/queries/export.ts with its two whole-table iterators async on both engines (PostgreSQL pages). */
export type ExportModule = Omit<
  StoreModule<typeof exportQ>,
  'iterateDatasets' | 'iterateJobsWithEdges'
> & {
  iterateDatasets(): AsyncGenerator<Row<typeof exportQ.iterateDatasets>>
  iterateJobsWithEdges(): AsyncGenerator<Row<typeof exportQ.iterateJobsWithEdges>>
}

type Modules = typeof SQLITE_MODULES
export type StoreModules = {
  [K in Exclude<keyof Modules, 'rawEvents' | 'export'>]: StoreModule<Modules[K]>
} & {
  rawEvents: RawEventsModule
  export: ExportModule
}

export type Engine = 'sqlite' | 'postgres'

export interface Store extends StoreModules {
  readonly engine: Engine
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws (the
   * error passes through; a busy store is a StoreBusyError). `tx` is the store inside it; calls
   * inside it, and transactions nested in it (savepoints), are part of it. On PostgreSQL a
   * serialization failure or deadlock re-runs `fn`, so it must do nothing but store calls.
   */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>
  /** `fn()`'s answer for `key`, computed again only after the store changed (PostgreSQL: always computed). */
  cachedRead<T>(key: string, fn: () => Promise<T> | T): Promise<T>
  /** Resolves when the store answers a trivial query. */
  ping(): Promise<void>
  close(): Promise<void>
}

/** A store call on an engine that does not have it yet (the ratchet of #16): never an undefined function. */
export class StoreUnsupportedError extends Error {
  override name = 'StoreUnsupportedError'
  readonly what: string
  constructor(what: string) {
    super(`${what} is not on PostgreSQL yet`)
    this.what = what
  }
}

interface TxContext {
  db: Db
  depth: number
  /** Nested transactions of this one, one after another (savepoints do not interleave). */
  nested: Mutex
}

const inside = new AsyncLocalStorage<TxContext>()
const stores = new WeakMap<Db, Store>()
const dbs = new WeakMap<Store, Db>()

/**
 * The ratchet: the SQLite connection under a store, for code not yet moved onto the Store
 * (evaluate.ts, openlineage.ts, incidents, contracts, …); undefined on PostgreSQL. New code awaits
 * the Store instead.
 */
export function sqliteDbOf(store: Store): Db | undefined {
  return dbs.get(store)
}

const READ_CACHE_ENTRIES = 32

/**
 * The Store on a SQLite connection (one per connection: the same Db gives the same Store). A call
 * outside a transaction waits while another async caller holds one, so it is never part of it.
 */
export function sqliteStore(db: Db): Store {
  const known = stores.get(db)
  if (known) return known
  const mutex = new Mutex()
  const cache = { mark: undefined as string | undefined, answers: new Map<string, unknown>() }
  const markOf = storeMark(db)

  const call = <R>(run: () => R): Promise<R> => {
    const ctx = inside.getStore()
    if (ctx?.db === db || !mutex.held) {
      try {
        return Promise.resolve(run())
      } catch (e) {
        return Promise.reject(storeErrorOf(e))
      }
    }
    return mutex.lock().then((release) => {
      try {
        return run()
      } catch (e) {
        throw storeErrorOf(e)
      } finally {
        release()
      }
    })
  }

  const bind = (mod: Record<string, unknown>): Record<string, unknown> => {
    const out: Record<string, unknown> = {}
    for (const [name, f] of Object.entries(mod))
      if (typeof f === 'function')
        out[name] = (...args: unknown[]) =>
          call(() => (f as (db: Db, ...a: unknown[]) => unknown)(db, ...args))
    return out
  }
  const modules: Record<string, unknown> = {}
  for (const [name, mod] of Object.entries(SQLITE_MODULES)) modules[name] = bind(mod)
  modules.rawEvents = {
    ...(modules.rawEvents as object),
    keepRawEvents: (events: readonly RawEventRow[], now: string) =>
      call(() =>
        db.transaction(
          (tx) =>
            events.map(
              (e) =>
                tx
                  .insert(rawEvents)
                  .values({ ...e, receivedAt: now })
                  .onConflictDoNothing()
                  .run().changes > 0,
            ),
          { behavior: 'immediate' },
        ),
      ),
  }

  // Each page is read under the store's mutex, as any call is (never inside another's transaction).
  const paged = <T>(open: (db: Db) => Generator<T>) =>
    async function* (): AsyncGenerator<T> {
      const it = open(db)
      for (;;) {
        const next = await call(() => it.next())
        if (next.done) return
        yield next.value
      }
    }
  modules.export = {
    ...(modules.export as object),
    iterateDatasets: paged(exportQ.iterateDatasets),
    iterateJobsWithEdges: paged(exportQ.iterateJobsWithEdges),
  }

  const exec = (sql: string) => {
    try {
      db.$client.exec(sql)
    } catch (e) {
      throw storeErrorOf(e)
    }
  }

  async function transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const ctx = inside.getStore()
    if (ctx?.db === db) {
      const release = await ctx.nested.lock()
      const name = `store_sp${ctx.depth}`
      try {
        exec(`savepoint ${name}`)
        try {
          const r = await inside.run({ db, depth: ctx.depth + 1, nested: new Mutex() }, () =>
            fn(store),
          )
          exec(`release ${name}`)
          return r
        } catch (e) {
          exec(`rollback to ${name}`)
          exec(`release ${name}`)
          throw storeErrorOf(e)
        }
      } finally {
        release()
      }
    }
    const release = await mutex.lock()
    try {
      // IMMEDIATE: take the write lock up front, so busy_timeout applies (a deferred transaction
      // that reads first cannot wait for another process's write lock).
      exec('begin immediate')
      try {
        const r = await inside.run({ db, depth: 1, nested: new Mutex() }, () => fn(store))
        exec('commit')
        return r
      } catch (e) {
        if (db.$client.inTransaction) db.$client.exec('rollback')
        throw storeErrorOf(e)
      }
    } finally {
      release()
    }
  }

  const store = {
    ...(modules as StoreModules),
    engine: 'sqlite',
    transaction,
    async cachedRead<T>(key: string, fn: () => Promise<T> | T): Promise<T> {
      // Inside a transaction the mark counts uncommitted writes: not cached.
      if (inside.getStore()?.db === db) return fn()
      const mark = markOf()
      if (mark !== cache.mark) {
        cache.answers.clear()
        cache.mark = mark
      }
      if (cache.answers.has(key)) return cache.answers.get(key) as T
      const answer = await fn()
      if (markOf() !== mark) return answer
      if (cache.answers.size >= READ_CACHE_ENTRIES)
        cache.answers.delete(cache.answers.keys().next().value ?? '')
      cache.answers.set(key, answer)
      return answer
    },
    ping: () => call(() => void db.$client.prepare('select 1').get()),
    async close() {
      closeDb(db)
    },
  } satisfies Store
  stores.set(db, store)
  dbs.set(store, db)
  return store
}
