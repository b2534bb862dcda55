import { sql } from 'drizzle-orm'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createToken, type TokenScope } from '../../db/queries/tokens.ts'
import { createApp } from '../../server/app.ts'
import type { AuthSettings } from '../../server/auth.ts'
import type { Logger } from '../../server/deps.ts'
import { sqliteStore } from '../../db/store.ts'

export const NS = 'duckdb://mesh'
export const NOW = new Date('2026-01-01T00:00:00Z')

/** A one-domain batch: the domain's dataset, a job writing it, and a product on it. */
export function domainBatch(domain: string, opts: { reads?: string } = {}): Batch {
  const b = emptyBatch('dbt', `dbt:${domain}`)
  const ds = { namespace: NS, name: `mesh.${domain}.orders` }
  const job = { namespace: 'default', name: `${domain}.orders` }
  b.domains.push({ name: domain })
  b.datasets.push({ ...ds, domain })
  b.jobs.push({ ...job, type: 'dbt_model', domain })
  b.edges.push({ job, dataset: ds, direction: 'output' })
  if (opts.reads)
    b.edges.push({ job, dataset: { namespace: NS, name: opts.reads }, direction: 'input' })
  b.products.push({
    id: `${domain}.orders`,
    name: 'orders',
    domain,
    origin: 'dbt_public',
    outputs: [ds],
  })
  return b
}

export interface Captured {
  lines: string[]
  log: Logger
}

/** A logger that keeps every line (as the real one would print it) for leak checks. */
export function captureLog(): Captured {
  const lines: string[] = []
  const push = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    lines.push(JSON.stringify({ level, msg, ...fields }))
  return { lines, log: { info: push('info'), warn: push('warn'), error: push('error') } }
}

export function setupApp(opts: { auth?: AuthSettings; log?: Logger; db?: Db } = {}) {
  const db = opts.db ?? openDb(':memory:')
  const app = createApp({
    store: sqliteStore(db),
    now: () => NOW,
    auth: opts.auth,
    log: opts.log,
    limits: { maxBytes: 1024 * 1024, maxDecompressedBytes: 4 * 1024 * 1024, maxDepth: 64 },
  })
  const token = (scope: TokenScope, domain?: string, extra: { expiresAt?: string } = {}) =>
    createToken(db, {
      name: `${scope}${domain ?? ''}`,
      scope,
      domain,
      now: NOW.toISOString(),
      ...extra,
    })
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    })
  return { app, db, token, post }
}

export const bearer = (t: string) => ({ authorization: `Bearer ${t}` })

const TABLES = [
  'domains',
  'datasets',
  'dataset_aliases',
  'dataset_versions',
  'jobs',
  'runs',
  'lineage_edges',
  'column_edges',
  'checks',
  'assertions',
  'metrics',
  'products',
  'product_outputs',
  'batches',
  'raw_events',
] as const

/** Row counts of every data table, to prove a rejected request wrote nothing. */
export function rowCounts(db: Db): Record<string, number> {
  const out: Record<string, number> = {}
  for (const t of TABLES) {
    out[t] = db.get<{ n: number }>(sql.raw(`select count(*) as n from "${t}"`)).n
  }
  return out
}
