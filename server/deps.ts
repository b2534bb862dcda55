import type { Db } from '../db/client.ts'
import { sqliteDbOf, StoreUnsupportedError, type Store } from '../db/store.ts'
import type { AuthSettings } from './auth.ts'
import type { BodyLimits } from './body.ts'
import type { MeshwatchConfig } from './config-file.ts'

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

/** Everything the app needs from outside; tests pass their own (a fresh in-memory DB, a fixed clock). */
export interface Deps {
  /** The store (SQLite or PostgreSQL): everything that is moved onto it awaits it. */
  store: Store
  /** The scoring clock: the demo's (the recording's time) once the demo was loaded. */
  now?: () => Date
  /** The real time, for what must never follow the demo clock (token expiry); default the system clock. */
  wallNow?: () => Date
  log?: Logger
  /**
   * What happens after a write is stored (not for duplicates), given when the app is built
   * (main.ts: the evaluator re-scores what it touched). Runs on the writer's connection: inside
   * its transaction when the writer holds one (collect --db, an Airflow poll).
   */
  afterWrite?: AfterWrite
  /** Request body limits (bytes, decompressed bytes, JSON depth); defaults in body.ts. */
  limits?: Partial<BodyLimits>
  /** Token enforcement (MESHWATCH_AUTH, MESHWATCH_PUBLIC_READ); default: required once a token exists. */
  auth?: AuthSettings
  /** Where secrets meshwatch.yml names by variable are read (Slack's signing secret); main.ts: process.env. */
  env?: Record<string, string | undefined>
  /** meshwatch.yml (domains, SLAs, policies); default: empty. */
  meshwatch?: MeshwatchConfig
}

/** What a stored write touched, as an afterWrite hook sees it. */
export interface StoredWrite {
  /** Dataset ids the write touched, so evaluators can re-score the products that own them. */
  datasetIds: number[]
}

/** May be async: ingest awaits it inside the write's transaction, `tx` the store of that transaction. */
export type AfterWrite = (write: StoredWrite, tx?: Store) => unknown

export const SILENT: Logger = { info() {}, warn() {}, error() {} }

export const nowOf = (deps: Deps): Date => (deps.now ? deps.now() : new Date())

export const wallNowOf = (deps: Deps): Date => (deps.wallNow ? deps.wallNow() : new Date())

/**
 * The ratchet of #16: the SQLite connection under deps.store, for code not yet moved onto the
 * Store (`what` names it). On PostgreSQL there is none: a StoreUnsupportedError saying `what` is
 * not on PostgreSQL yet. New code awaits deps.store instead.
 */
export function sqliteDb(deps: { store: Store }, what: string): Db {
  const db = sqliteDbOf(deps.store)
  if (!db) throw new StoreUnsupportedError(what)
  return db
}
