import { expect } from 'vitest'
import type { Db } from '../../db/client.ts'
import type { PgConn } from '../../db/pg/module.ts'

// One contract test, two engines: a module's functions bound to a store, awaited alike, so the
// same call runs on SQLite and PostgreSQL and the answers are compared.

type Fn = (...args: never[]) => unknown
/** A module's functions with the connection bound: what a test calls on either engine. */
export type Bound<M> = {
  [K in keyof M]: M[K] extends (q: PgConn, ...args: infer A) => infer R
    ? (...args: A) => Promise<Awaited<R>>
    : never
}

/** The SQLite module's functions on `db`, answering promises as the PostgreSQL ones do. */
export function bindSqlite<M>(mod: Record<string, unknown>, db: Db): Bound<M> {
  const out: Record<string, Fn> = {}
  for (const [k, f] of Object.entries(mod))
    if (typeof f === 'function')
      out[k] = (...args: unknown[]) =>
        Promise.resolve((f as (db: Db, ...a: unknown[]) => unknown)(db, ...args))
  return out as unknown as Bound<M>
}

/** The PostgreSQL module's functions on `q`. */
export function bindPg<M extends object>(mod: M, q: PgConn): Bound<M> {
  const out: Record<string, Fn> = {}
  for (const [k, f] of Object.entries(mod))
    out[k] = (...args: unknown[]) => (f as (q: PgConn, ...a: unknown[]) => unknown)(q, ...args)
  return out as unknown as Bound<M>
}

/** Runs `call` on both engines, SQLite first, expects JSON-equal answers and returns SQLite's. */
export async function onBoth<M, T>(
  engines: { sqlite: Bound<M>; pg: Bound<M> },
  call: (m: Bound<M>) => Promise<T>,
): Promise<T> {
  const a = await call(engines.sqlite)
  const b = await call(engines.pg)
  expect(normal(b)).toEqual(normal(a))
  return a
}

/** A Map or Set as sorted entries, so answers compare by content (JSON.stringify drops both). */
function normal(v: unknown): unknown {
  if (v instanceof Map) return [...v].map(([k, x]) => [k, normal(x)]).sort(byJson)
  if (v instanceof Set) return [...v].map(normal).sort(byJson)
  if (Array.isArray(v)) return v.map(normal)
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normal(x)]))
  return v
}

const byJson = (a: unknown, b: unknown) => {
  const x = JSON.stringify(a)
  const y = JSON.stringify(b)
  return x < y ? -1 : x > y ? 1 : 0
}
