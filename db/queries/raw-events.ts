import { encodeBatch } from './batch-codec.ts'
import {
  dropForeignReads,
  emptyPending,
  findForeignWrite,
  ForeignWriteError,
  notePending,
  type NotApplied,
  type Pending,
  type ReadRef,
} from './authorize.ts'
import { and, asc, eq, gt, gte, inArray, lt } from 'drizzle-orm'
import { emptyBatch, type Batch, type Ref } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import { batches, productOutputs, rawEvents } from '../schema.ts'
import { findDataset } from './catalog.ts'
import {
  accumulateMeta,
  keepKnownProducts,
  nameDbtJobsByNode,
  resolveAssertionKeys,
  sqliteDeriveReads,
  type AssertionMemo,
} from './derive-event.ts'
import { chunk } from './merge.ts'
import { foldBatches } from './fold-batches.ts'
import { beginNodeCache, type NodeCache } from './node-cache.ts'
import { statementsOf } from './statements.ts'
import { writeBatch } from './store-batch.ts'

export type { AssertionMemo }

/** One validated OpenLineage event, ready to keep: its raw body and the batch it implies. */
export interface RawEventInput {
  eventHash: string
  kind: string
  runId: string | null
  jobNamespace: string | null
  jobName: string | null
  eventType: string | null
  /** The producer's eventTime verbatim (its precision and zone kept). */
  eventTime: string
  payload: string
  batch: Batch
  /**
   * The domain of the token that posted it: the event is authorized (findForeignWrite) inside the
   * transaction that stores it, and what it says about another domain's inputs is dropped.
   */
  domain?: string | null | undefined
  /** The event's inputs that are not also its outputs (only read), with their JSON paths. */
  reads?: readonly ReadRef[] | undefined
}

export interface RawStoreResult {
  /** Per input, in order: true when it was new, false when the same event was already kept. */
  stored: boolean[]
  counts: Record<string, number>
  datasetIds: number[]
  /** Per input: what was not applied of it (a domain-scoped event's claims on foreign inputs). */
  warnings: NotApplied[][]
}

/**
 * Keeps the raw events (deduplicated by hash, append-only) and stores the lineage they imply,
 * all in ONE transaction: either every new event and its derivations are kept, or none.
 */
export function storeRawEvents(
  db: Db,
  items: readonly RawEventInput[],
  now: string,
): RawStoreResult {
  const s = statementsOf(db)
  // Any domain-scoped event: every event is resolved and checked one by one, in order, each
  // against the store and what the group's earlier events will have written (pending).
  const scoped = items.some((i) => i.domain != null)
  let committed = () => {}
  const result = db.transaction(
    () => {
      const nodes = beginNodeCache(db)
      const stored: boolean[] = []
      const warnings: NotApplied[][] = []
      const fresh: Batch[] = []
      const pending = emptyPending()
      const memo: AssertionMemo = new Map()
      for (const [index, i] of items.entries()) {
        // One prepared statement per event: a multi-row insert rebuilt by the query builder for
        // every chunk cost more than SQLite spends inserting. The same event twice is kept once.
        const isNew =
          s.insertRawEvent.run({
            eventHash: i.eventHash,
            kind: i.kind,
            runId: i.runId,
            jobNamespace: i.jobNamespace,
            jobName: i.jobName,
            eventType: i.eventType,
            eventTime: i.eventTime,
            receivedAt: now,
            payload: i.payload,
            domain: i.domain ?? null,
          }) > 0
        stored.push(isNew)
        if (!isNew || !scoped) {
          warnings.push([])
          if (isNew) fresh.push(i.batch)
          continue
        }
        const d = deriveEvent(db, i, memo, pending)
        if (i.domain != null) {
          const denial = findForeignWrite(db, i.domain, d.batch, pending)
          if (denial) throw new ForeignWriteError(denial, index)
        }
        notePending(db, d.batch, pending)
        fresh.push(d.batch)
        warnings.push(d.warnings)
      }
      const r =
        fresh.length === 0
          ? undefined
          : storeDerived(db, fresh, now, nodes.cache, { resolved: scoped })
      committed = nodes.seal()
      return { stored, counts: r?.counts ?? {}, datasetIds: r?.datasetIds ?? [], warnings }
      // IMMEDIATE: the write lock from the start, so no other connection commits while the node
      // cache is checked and used (and a busy store is waited for instead of failing at once).
    },
    { behavior: 'immediate' },
  )
  committed()
  return result
}

/**
 * Stores the derived rows of batches already kept elsewhere (raw events, replay), folded into
 * one batch: the store ends as if each had been stored on its own, in order. Runs inside the
 * caller's transaction.
 */
export function storeDerived(
  db: Db,
  list: readonly Batch[],
  now: string,
  cache?: NodeCache,
  opts: { resolved?: boolean } = {},
) {
  const { batch, schemas } = foldBatches(list)
  // `resolved`: each batch already went through deriveEvent (its writer's assertion keys).
  const reads = sqliteDeriveReads(db)
  if (!opts.resolved) resolveAssertionKeys(reads, batch.assertions, null, new Map())
  const extraOutputs = batch.kind === 'openlineage' ? keepKnownProducts(reads, batch) : []
  // A domain-scoped writer's events were renamed by deriveEvent, before they were authorized.
  if (batch.kind === 'openlineage' && !opts.resolved) nameDbtJobsByNode(reads, batch)
  if (batch.kind === 'openlineage') accumulateMeta(reads, batch)
  const written = writeBatch(db, batch, {
    contentHash: '',
    now,
    keepRaw: false,
    ...(schemas ? { schemas } : {}),
    ...(cache ? { cache } : {}),
  })
  addProductOutputs(db, extraOutputs)
  return written
}

/** Adds outputs to known products, once the batch that names their datasets is written. */
function addProductOutputs(db: Db, list: { productId: string; dataset: Ref }[]): void {
  for (const { productId, dataset } of list) {
    const datasetId = findDataset(db, dataset)
    if (datasetId !== undefined)
      db.insert(productOutputs).values({ productId, datasetId }).onConflictDoNothing().run()
  }
}

/** Concatenates batches in order; storeBatch applies their rows in that order (later wins). */
export function mergeBatches(list: readonly Batch[]): Batch {
  const [first] = list
  if (list.length === 1 && first) return first
  const out = emptyBatch(first?.kind ?? 'openlineage', first?.scope ?? 'openlineage')
  for (const b of list) {
    if (b.producedAt) out.producedAt = b.producedAt
    for (const key of [
      'domains',
      'datasets',
      'jobs',
      'runs',
      'edges',
      'columnEdges',
      'columnLineageInputs',
      'checks',
      'assertions',
      'metrics',
      'products',
      'warnings',
    ] as const) {
      const src = b[key] as unknown[]
      const dst = out[key] as unknown[]
      for (const x of src) dst.push(x)
    }
  }
  return out
}

/**
 * One OpenLineage event's batch as its writer may store it: its results filed under the checks
 * they report (resolveAssertionKeys), and, for a domain-scoped writer, nothing applied of what it
 * says about another domain's inputs (dropForeignReads). Authorizing the rest is the caller's.
 */
export function deriveEvent(
  db: Db,
  e: { batch: Batch; domain?: string | null | undefined; reads?: readonly ReadRef[] | undefined },
  memo: AssertionMemo,
  pending?: Pending,
): { batch: Batch; warnings: NotApplied[] } {
  const reads = sqliteDeriveReads(db)
  if (e.batch.kind === 'openlineage') nameDbtJobsByNode(reads, e.batch)
  resolveAssertionKeys(reads, e.batch.assertions, e.domain ?? null, memo)
  if (e.domain == null) return { batch: e.batch, warnings: [] }
  return dropForeignReads(db, e.domain, e.batch, e.reads ?? [], pending)
}

export function listRunEvents(db: Db, runId: string) {
  return (
    db
      .select()
      .from(rawEvents)
      .where(eq(rawEvents.runId, runId))
      .orderBy(asc(rawEvents.id))
      .all()
      // Which domain's token posted an event is the store's business, not the run view's.
      .map(({ payload, domain: _domain, ...r }) => ({
        ...r,
        event: JSON.parse(payload) as unknown,
      }))
  )
}

/**
 * Raw events received before `olderThan`, oldest first, `limit` at a time after `afterId`. Ids
 * follow receipt, so this stops at the first event received since, scanning only what it prunes.
 */
export function listRawEventsBefore(db: Db, olderThan: string, afterId: number, limit: number) {
  const newer = db
    .select({ id: rawEvents.id })
    .from(rawEvents)
    .where(and(gt(rawEvents.id, afterId), gte(rawEvents.receivedAt, olderThan)))
    .orderBy(asc(rawEvents.id))
    .limit(1)
    .get()
  return db
    .select({
      id: rawEvents.id,
      payload: rawEvents.payload,
      receivedAt: rawEvents.receivedAt,
      domain: rawEvents.domain,
    })
    .from(rawEvents)
    .where(and(gt(rawEvents.id, afterId), newer ? lt(rawEvents.id, newer.id) : undefined))
    .orderBy(asc(rawEvents.id))
    .limit(limit)
    .all()
}

/** Raw events in received order, `limit` at a time after `afterId`. */
export function pageRawEvents(db: Db, afterId: number, limit: number) {
  return db
    .select({
      id: rawEvents.id,
      payload: rawEvents.payload,
      receivedAt: rawEvents.receivedAt,
      domain: rawEvents.domain,
    })
    .from(rawEvents)
    .where(gt(rawEvents.id, afterId))
    .orderBy(asc(rawEvents.id))
    .limit(limit)
    .all()
}

export function deleteRawEvents(db: Db, ids: readonly number[]): void {
  for (const part of chunk(ids, 5000)) db.delete(rawEvents).where(inArray(rawEvents.id, part)).run()
}

/** Keeps a compacted batch (what pruned raw events implied) so a replay still rebuilds it. */
export function keepCompactedBatch(
  db: Db,
  batch: Batch,
  opts: { contentHash: string; receivedAt: string },
): void {
  db.insert(batches)
    .values({
      kind: batch.kind,
      scope: batch.scope,
      contentHash: opts.contentHash,
      receivedAt: opts.receivedAt,
      summary: {
        datasets: batch.datasets.length,
        jobs: batch.jobs.length,
        runs: batch.runs.length,
      },
      payload: encodeBatch(batch).payload,
    })
    .onConflictDoNothing()
    .run()
}
