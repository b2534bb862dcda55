import type { Context } from 'hono'
import { ForeignWriteError } from '../db/queries/authorize.ts'
import type { Principal } from './auth.ts'
import { fail } from './errors.ts'

// Who may write what is decided in the store, inside each write's transaction
// (db/queries/authorize.ts): a check made here, before the write, could be made stale by another
// request's write in between. This file only says who is asking and how a refusal answers.

/** The domain a domain-scoped ingest token may write; null for an unscoped token (or no auth). */
export function writerDomain(c: Context): string | null {
  const p: Principal | undefined = c.get('principal')
  return p?.domain ?? null
}

/**
 * Answers a refused write with 403 naming the resource, its owner and the JSON path of the field
 * that named it (`path`, when the request's shape differs from the batch's: an OpenLineage event).
 * Rethrows anything else.
 */
export function rethrowForbidden(e: unknown, path?: (e: ForeignWriteError) => string): never {
  if (e instanceof ForeignWriteError)
    fail(403, 'forbidden', e.denial.message, path ? path(e) : e.denial.path)
  throw e
}
