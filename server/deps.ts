import type { Db } from '../db/client.ts'
import type { AuthSettings } from './auth.ts'
import type { BodyLimits } from './body.ts'
import type { MeshwatchConfig } from './config-file.ts'
import type { IngestResult } from './ingest.ts'

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void
  warn(msg: string, fields?: Record<string, unknown>): void
  error(msg: string, fields?: Record<string, unknown>): void
}

/** Everything the app needs from outside; tests pass their own (a fresh in-memory DB, a fixed clock). */
export interface Deps {
  db: Db
  /** The scoring clock: the demo's (the recording's time) once the demo was loaded. */
  now?: () => Date
  /** The real time, for what must never follow the demo clock (token expiry); default the system clock. */
  wallNow?: () => Date
  log?: Logger
  /** Called after a batch is stored (not for duplicates): evaluators re-score what it touched. */
  onIngest?: (result: IngestResult) => void
  /** Request body limits (bytes, decompressed bytes, JSON depth); defaults in body.ts. */
  limits?: Partial<BodyLimits>
  /** Token enforcement (MESHWATCH_AUTH, MESHWATCH_PUBLIC_READ); default: required once a token exists. */
  auth?: AuthSettings
  /** meshwatch.yml (domains, SLAs, policies); default: empty. */
  meshwatch?: MeshwatchConfig
}

export const SILENT: Logger = { info() {}, warn() {}, error() {} }

export const nowOf = (deps: Deps): Date => (deps.now ? deps.now() : new Date())

export const wallNowOf = (deps: Deps): Date => (deps.wallNow ? deps.wallNow() : new Date())
