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
import { and, asc, eq, gt, gte, inArray, lt, ne } from 'drizzle-orm'
import {
  emptyBatch,
  UNPLACED_TEST,
  type Assertion,
  type Batch,
  type Ref,
} from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import { batches, checks, datasets, jobs, productOutputs, products, rawEvents } from '../schema.ts'
import { findDataset } from './catalog.ts'
import { chunk } from './merge.ts'
import { foldBatches } from './fold-batches.ts'
import { beginNodeCache, type NodeCache } from './node-cache.ts'
import { statementsOf } from './statements.ts'
import { writeBatch } from './store-batch.ts'

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
  if (!opts.resolved) resolveAssertionKeys(db, batch.assertions, null, new Map())
  const extraOutputs = batch.kind === 'openlineage' ? keepKnownProducts(db, batch) : []
  // A domain-scoped writer's events were renamed by deriveEvent, before they were authorized.
  if (batch.kind === 'openlineage' && !opts.resolved) nameDbtJobsByNode(db, batch)
  if (batch.kind === 'openlineage') accumulateMeta(db, batch)
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

/**
 * A data product an OpenLineage event implies (dbt-ol's public model, or a model's
 * meta.data_product) only adds what is not known yet: the product collect dbt or meshwatch.yml
 * describes (owner, SLA) is left as it is, and a known product of a data_product gains the
 * event's model as an output (each event names one of its models).
 */
function keepKnownProducts(db: Db, batch: Batch): { productId: string; dataset: Ref }[] {
  const extra: { productId: string; dataset: Ref }[] = []
  if (batch.products.length === 0) return extra
  const fresh = new Map<string, Batch['products'][number]>()
  batch.products = batch.products.filter((p) => {
    // Two events of one fold naming one new data product: one product, both outputs.
    const first = fresh.get(p.id)
    if (first) {
      for (const o of p.outputs)
        if (!first.outputs.some((x) => x.namespace === o.namespace && x.name === o.name))
          first.outputs.push(o)
      return false
    }
    const known = db
      .select({ id: products.id, origin: products.origin })
      .from(products)
      .where(eq(products.id, p.id))
      .get()
    if (!known) {
      fresh.set(p.id, p)
      return true
    }
    if (known.origin === 'dbt_meta' && p.origin === 'dbt_meta')
      for (const o of p.outputs) extra.push({ productId: p.id, dataset: o })
    return false
  })
  return extra
}

/**
 * dbt-ol's structured-log jobs named by a dbt unique id (`model.pkg.name`, a statement's
 * `model.pkg.name.sql.3`) that their event could not name as the node's job: they take the name
 * of the job whose external id is that unique id (collect dbt's, or dbt-ol's node event's), so one
 * dbt model is one job whichever mode named it. Jobs, parents, runs and edges are renamed alike.
 */
/** A dbt-ol structured-log statement sub-job: `<unique id>.sql.<n>` (collectors/openlineage/facets.ts). */
const DBT_STATEMENT_JOB =
  /^((?:model|snapshot|seed|function|test)\.[^.]+\.[^.]+(?:\.v\d+)?)(\.sql\.\d+)$/

function nameDbtJobsByNode(db: Db, batch: Batch): void {
  const byId = new Map<string, string>()
  for (const j of batch.jobs)
    if (j.externalId && j.name !== j.externalId)
      byId.set(`${j.namespace}\u0000${j.externalId}`, j.name)
  const rename = (r: { namespace: string; name: string }): void => {
    const m = DBT_STATEMENT_JOB.exec(r.name)
    const uid =
      m?.[1] ??
      (/^(model|snapshot|seed|function)\.[^.]+\.[^.]+(\.v\d+)?$/.test(r.name) ? r.name : undefined)
    if (!uid) return
    const k = `${r.namespace}\u0000${uid}`
    let name = byId.get(k)
    if (name === undefined && !byId.has(k)) {
      const row = db
        .select({ name: jobs.name })
        .from(jobs)
        .where(and(eq(jobs.namespace, r.namespace), eq(jobs.externalId, uid), ne(jobs.name, uid)))
        .get()
      name = row?.name
      byId.set(k, name ?? '')
    }
    if (name) r.name = `${name}${m?.[2] ?? ''}`
  }
  if (
    ![...batch.jobs, ...batch.runs.map((x) => x.job)].some((r) =>
      /^(model|snapshot|seed|function|test)\./.test(r.name),
    )
  )
    return
  for (const j of batch.jobs) {
    rename(j)
    if (j.parent) rename(j.parent)
  }
  for (const r of batch.runs) rename(r.job)
  for (const e of batch.edges) rename(e.job)
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
 * OpenLineage describes a node piecemeal, so its meta adds keys to what is known (a dbt model's
 * meta, an earlier event's) instead of replacing it the way a full dbt snapshot does.
 */
function accumulateMeta(db: Db, batch: Batch): void {
  const fold = <
    T extends { namespace: string; name: string; meta?: Record<string, unknown> | undefined },
  >(
    list: T[],
    existing: (r: T) => Record<string, unknown> | null | undefined,
  ) => {
    const merged = new Map<string, Record<string, unknown>>()
    for (const x of list) {
      if (!x.meta) continue
      const k = `${x.namespace}\u0000${x.name}`
      merged.set(k, { ...(merged.get(k) ?? existing(x)), ...x.meta })
    }
    for (const x of list) {
      const m = merged.get(`${x.namespace}\u0000${x.name}`)
      if (m) x.meta = m
    }
  }
  fold(batch.datasets, (d) => {
    const id = findDataset(db, d)
    return id === undefined
      ? undefined
      : db.select({ meta: datasets.meta }).from(datasets).where(eq(datasets.id, id)).get()?.meta
  })
  fold(
    batch.jobs,
    (j) =>
      db
        .select({ meta: jobs.meta })
        .from(jobs)
        .where(and(eq(jobs.namespace, j.namespace), eq(jobs.name, j.name)))
        .get()?.meta,
  )
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
  if (e.batch.kind === 'openlineage') nameDbtJobsByNode(db, e.batch)
  resolveAssertionKeys(db, e.batch.assertions, e.domain ?? null, memo)
  if (e.domain == null) return { batch: e.batch, warnings: [] }
  return dropForeignReads(db, e.domain, e.batch, e.reads ?? [], pending)
}

type Hit = { key: string; dataset: { namespace: string; name: string } } | null
/** resolveAssertionKeys' answers within one transaction, by writer, dataset and test name. */
export type AssertionMemo = Map<string, Hit>

/**
 * An assertion reported by OpenLineage for a check we already know (a dbt test seen by the dbt
 * collector) takes that check's key and dataset, so both report one test on one node: by
 * dataset and test name, else by a test name that only one check has (dbt-ol hangs a
 * relationships test on the referenced model, dbt on the tested one). Filing a result under a
 * check is a write to the check's dataset: a domain-scoped writer (`domain`) files it only under
 * checks of its own or unowned datasets, else it stays where the event reported it.
 */
function resolveAssertionKeys(
  db: Db,
  list: Assertion[],
  domain: string | null,
  found: AssertionMemo,
): void {
  const checkOf = (a: Assertion): Hit => {
    if (a.dataset.namespace === UNPLACED_TEST) {
      // A test result that names no dataset (dbt-ol's singular tests): the dbt test of its id.
      const byKey =
        db
          .select({ key: checks.key, datasetId: checks.datasetId })
          .from(checks)
          .where(eq(checks.key, a.dataset.name))
          .get() ?? uniqueCheckNamed(db, a.name)
      const ds =
        byKey &&
        db
          .select({ namespace: datasets.namespace, name: datasets.name, domain: datasets.domain })
          .from(datasets)
          .where(eq(datasets.id, byKey.datasetId))
          .get()
      if (!byKey || !ds || (domain !== null && ds.domain !== null && ds.domain !== domain))
        return null
      return { key: byKey.key, dataset: { namespace: ds.namespace, name: ds.name } }
    }
    const datasetId = findDataset(db, a.dataset)
    const row =
      (datasetId === undefined
        ? undefined
        : db
            .select({ key: checks.key, datasetId: checks.datasetId })
            .from(checks)
            .where(and(eq(checks.datasetId, datasetId), eq(checks.name, a.name)))
            .get()) ?? uniqueCheckNamed(db, a.name)
    if (!row) return null
    if (row.datasetId === datasetId && domain === null) return { key: row.key, dataset: a.dataset }
    const ds = db
      .select({ namespace: datasets.namespace, name: datasets.name, domain: datasets.domain })
      .from(datasets)
      .where(eq(datasets.id, row.datasetId))
      .get()
    if (!ds || (domain !== null && ds.domain !== null && ds.domain !== domain)) return null
    if (row.datasetId === datasetId) return { key: row.key, dataset: a.dataset }
    return { key: row.key, dataset: { namespace: ds.namespace, name: ds.name } }
  }
  for (const a of list) {
    if (a.origin !== 'openlineage') continue
    const k = `${domain ?? ''}\u0000${a.dataset.namespace}\u0000${a.dataset.name}\u0000${a.name}`
    if (!found.has(k)) found.set(k, checkOf(a))
    const hit = found.get(k)
    if (hit) {
      a.key = hit.key
      a.dataset = hit.dataset
    }
  }
  // Unplaced results no known test claims have no dataset to be kept on.
  let n = 0
  for (const a of list) if (a.dataset.namespace !== UNPLACED_TEST) list[n++] = a
  list.length = n
}

function uniqueCheckNamed(db: Db, name: string) {
  const rows = db
    .select({ key: checks.key, datasetId: checks.datasetId })
    .from(checks)
    .where(eq(checks.name, name))
    .limit(2)
    .all()
  return rows.length === 1 ? rows[0] : undefined
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
