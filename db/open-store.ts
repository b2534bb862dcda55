import { openDb } from './client.ts'
import { openPgPool } from './pg/client.ts'
import { pgStore } from './pg/store.ts'
import { sqliteStore, type Store } from './store.ts'

/** Where the store's address came from, so an error says what to fix. */
export type StoreSource = '--db' | 'MESHWATCH_DB'

export interface OpenStoreOptions {
  /** Named in errors; default "--db (or MESHWATCH_DB)". */
  source?: StoreSource
}

const EXPECTED =
  "a SQLite file path (or ':memory:') or a PostgreSQL URL postgres://user@host:port/database"

/** The store could not be opened: a message for a person naming --db / MESHWATCH_DB, no password. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError'
}

const isPgUrl = (spec: string) => /^postgres(ql)?:\/\//i.test(spec)

/** `spec` as it may be printed: a URL's password is ***. */
export function redactStoreSpec(spec: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) return spec
  return spec.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@')
}

function passwordOf(spec: string): string | undefined {
  try {
    const p = new URL(spec).password
    return p ? decodeURIComponent(p) : undefined
  } catch {
    return undefined
  }
}

/**
 * Opens the store `spec` names, migrated: a file path or ':memory:' is SQLite (created if
 * missing), a postgres:// or postgresql:// URL is PostgreSQL (migrations under an advisory lock,
 * so replicas starting together migrate once). Anything else is a StoreOpenError.
 */
export async function openStore(spec: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const from = opts.source ?? '--db (or MESHWATCH_DB)'
  const shown = redactStoreSpec(spec)
  const problem = (what: string, cause?: unknown): StoreOpenError => {
    const secret = passwordOf(spec)
    let text = `${from} ${JSON.stringify(shown)}: ${what}`
    if (secret) text = text.split(secret).join('***')
    return new StoreOpenError(text, cause === undefined ? undefined : { cause })
  }
  if (spec.trim() === '') throw problem(`is empty; expected ${EXPECTED}`)
  if (isPgUrl(spec)) {
    let url: URL
    try {
      url = new URL(spec)
    } catch (e) {
      throw problem(`is not a valid PostgreSQL URL; expected ${EXPECTED}`, e)
    }
    if (!url.hostname && !url.searchParams.has('host'))
      throw problem(`names no host; expected ${EXPECTED}`)
    try {
      return pgStore(await openPgPool(spec))
    } catch (e) {
      throw problem(`cannot open the PostgreSQL store: ${messageOf(e)}`, e)
    }
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec))
    throw problem(`is a URL of a store meshwatch does not know; expected ${EXPECTED}`)
  try {
    return sqliteStore(openDb(spec))
  } catch (e) {
    throw problem(`cannot open the SQLite store: ${messageOf(e)}`, e)
  }
}

function messageOf(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return messageOf(e.errors[0])
  if (e instanceof Error) return e.message || (e as { code?: string }).code || e.name
  return String(e)
}
