import type pg from 'pg'
import type { Batch, Ref } from '../../../collectors/batch.ts'
import {
  dropForeignBatchReads,
  findForeignWrite,
  ForeignWriteError,
} from '../../queries/authorize.ts'
import { encodeBatch } from '../../queries/batch-codec.ts'
import type * as lite from '../../queries/store-batch.ts'
import type { StoreOptions, StoreResult } from '../../queries/store-batch.ts'
import { schemasOf } from '../../queries/store-versions.ts'
import type { Absent } from '../ingest/absent.ts'
import { readLookups } from '../ingest/authorize.ts'
import { resolveDatasets } from '../ingest/datasets.ts'
import { resolveJobs } from '../ingest/jobs.ts'
import { storeColumnLineage, storeDomains, storeEdges } from '../ingest/lineage.ts'
import { storeAssertions, storeChecks, storeMetrics, storeProducts } from '../ingest/quality.ts'
import { withRetry } from '../ingest/retry.ts'
import { storeRuns } from '../ingest/runs.ts'
import { storeVersions } from '../ingest/versions.ts'
import { Writes } from '../ingest/writes.ts'
import type { PgConn, PgModule } from '../module.ts'
import { inTransaction, isPool } from '../rows.ts'

// db/queries/store-batch.ts on PostgreSQL: one batch in one transaction, each table written by
// one set-based statement (unnest arrays, ON CONFLICT … DO UPDATE … WHERE … IS DISTINCT FROM, so
// a row whose values do not change is not rewritten), rows locked in key order so replicas
// storing overlapping batches at once wait for each other instead of deadlocking; a transaction
// PostgreSQL still aborts (40001, 40P01) runs again. No cache: other replicas write too
// (`opts.cache` is SQLite's). updated_at is when a row last changed, not when it was last seen.

/** Stores one batch in one transaction: all of it, or (on any error) none of it. */
async function storeBatchPg(q: PgConn, batch: Batch, opts: StoreOptions): Promise<StoreResult> {
  const run = (tx: pg.PoolClient) => storeIn(tx, batch, opts)
  // Inside a caller's transaction its caller retries it; a transaction of our own is retried here.
  return isPool(q) ? withRetry(() => inTransaction(q, run)) : run(q)
}

async function storeIn(tx: pg.PoolClient, batch: Batch, opts: StoreOptions): Promise<StoreResult> {
  if (opts.domain == null) return writeBatchPg(tx, batch, opts)
  // Authorized inside the transaction that writes it: a refused batch writes nothing.
  // The rows it reads stay locked until commit; rows it did not find are guarded (absent.ts).
  const { lookups, absent } = await readLookups(tx, batch)
  const { batch: own, warnings } = dropForeignBatchReads(lookups, opts.domain, batch)
  const denial = findForeignWrite(lookups, opts.domain, own)
  if (denial) throw new ForeignWriteError(denial)
  // What is kept for replay is what was applied (the redelivery hash stays the request's).
  const payload = own === batch ? opts.payload : encodeBatch(own).payload
  const r = await writeIn(tx, own, { ...opts, ...(payload ? { payload } : {}) }, absent)
  return warnings.length > 0 ? { ...r, notApplied: warnings } : r
}

/** storeBatch's writes, for a caller that already holds a transaction (a client inside one). */
async function writeBatchPg(q: PgConn, batch: Batch, opts: StoreOptions): Promise<StoreResult> {
  if (isPool(q)) throw new Error('writeBatch needs a transaction: use storeBatch')
  return writeIn(q, batch, opts)
}

/**
 * writeBatch for a batch authorized on `tx` by readLookups (storeRawEvents' scoped events): the
 * rows it found absent are guarded as storeBatch's own are.
 */
export async function writeIn(
  tx: pg.PoolClient,
  batch: Batch,
  opts: StoreOptions,
  absent?: Absent,
): Promise<StoreResult> {
  return writeHeld(new Writes(tx), batch, opts, absent)
}

async function writeHeld(
  tx: Writes,
  batch: Batch,
  opts: StoreOptions,
  absent: Absent | undefined,
): Promise<StoreResult> {
  const keepRaw = opts.keepRaw ?? true
  const now = opts.now
  let batchId: number | null = null
  if (keepRaw) {
    const duplicate = (id: number | undefined): StoreResult => ({
      duplicate: true,
      batchId: id ?? null,
      counts: {},
      datasetIds: [],
    })
    // Not encoded (for replay) when it is a redelivery.
    let payload = opts.payload
    if (payload === undefined) {
      const seen = await batchByHash(tx, opts.contentHash)
      if (seen !== undefined) return duplicate(seen)
      payload = encodeBatch(batch).payload
    }
    // The batch's row first, in the statement that looks for it: a replica storing the same
    // batch at once waits here for this transaction, then finds it stored.
    const r = await tx.query<{ id: number; fresh: boolean }>(
      `with fresh as (
         insert into batches (kind, scope, content_hash, received_at, summary, payload)
         values ($1, $2, $3, $4, '{}', $5) on conflict (content_hash) do nothing returning id)
       select id, true as fresh from fresh
       union all
       select id, false from batches where content_hash = $3`,
      [batch.kind, batch.scope, opts.contentHash, now, payload],
    )
    const row = r.rows[0]
    // stored by another transaction that committed while this statement waited for it
    if (!row) return duplicate(await batchByHash(tx, opts.contentHash))
    if (!row.fresh) return duplicate(row.id)
    batchId = row.id
  }
  const counts: Record<string, number> = {}

  await storeDomains(tx, batch.domains, now)
  counts.domains = batch.domains.length

  const {
    ids: dsIds,
    datasetIds,
    latest,
  } = await resolveDatasets(tx, batch, now, absent, opts.columnsJson)
  const dsId = (r: Ref): number => {
    const id = dsIds.get(r)
    if (id === undefined) throw new Error(`dataset ${r.namespace} ${r.name} was not resolved`)
    return id
  }
  counts.datasets = batch.datasets.length
  await storeVersions(tx, opts.schemas ?? schemasOf(batch), dsId, now, latest)

  const jobIds = await resolveJobs(tx, batch, now, absent)
  const jobId = (r: Ref): number => {
    const id = jobIds.get(r)
    if (id === undefined) throw new Error(`job ${r.namespace} ${r.name} was not resolved`)
    return id
  }
  counts.jobs = batch.jobs.length
  counts.runs = await storeRuns(tx, batch.runs, jobId, now, absent?.runs)

  await storeEdges(tx, batch, jobId, dsId, now)
  counts.edges = batch.edges.length
  counts.columnLineageKept = await storeColumnLineage(tx, batch, dsId, now)
  counts.columnEdges = batch.columnEdges.length

  await storeChecks(tx, batch.checks, dsId, opts.domain ?? null, now, absent?.checks)
  counts.checks = batch.checks.length
  await storeAssertions(tx, batch.assertions, dsId)
  counts.assertions = batch.assertions.length
  await storeMetrics(tx, batch.metrics, dsId)
  counts.metrics = batch.metrics.length
  await storeProducts(tx, batch.products, dsId, now, absent?.products)
  counts.products = batch.products.length

  if (batchId !== null)
    tx.hold('update batches set summary = $2 where id = $1', [batchId, JSON.stringify(counts)])
  await tx.flush()
  return { duplicate: false, batchId, counts, datasetIds }
}

async function batchByHash(tx: Writes, hash: string): Promise<number | undefined> {
  const r = await tx.query<{ id: number }>('select id from batches where content_hash = $1', [hash])
  return r.rows[0]?.id
}

export const storeBatch = {
  storeBatch: storeBatchPg,
  writeBatch: writeBatchPg,
} satisfies PgModule<typeof lite>
