import type { Batch, Ref } from '../../collectors/batch.ts'
import { refKey } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import type { SchemaObservation } from './fold-batches.ts'
import {
  dropForeignBatchReads,
  findForeignWrite,
  ForeignWriteError,
  type NotApplied,
} from './authorize.ts'
import { encodeBatch } from './batch-codec.ts'
import type { NodeCache } from './node-cache.ts'
import { resolveDatasets, resolveJobs } from './resolve-nodes.ts'
import { encodeJson, orNull, statementsOf } from './statements.ts'
import { storeRuns } from './store-runs.ts'
import { schemasOf, storeVersions } from './store-versions.ts'

const DERIVED_SOURCES = ['dbt_compiled', 'dbt_uncompiled'] as const

export interface StoreResult {
  duplicate: boolean
  batchId: number | null
  counts: Record<string, number>
  /** Dataset ids the batch touched, so evaluators can re-score the products that own them. */
  datasetIds: number[]
  /** What a domain-scoped batch said about other domains' datasets it only reads (not applied). */
  notApplied?: NotApplied[]
}

export interface StoreOptions {
  contentHash: string
  now: string
  /** The batch as encodeBatch stored it, to keep for replay; defaults to encoding the batch. */
  payload?: Buffer
  /**
   * The JSON text of the datasets' columns arrays (encodeBatch's columnsJson, of this batch as it
   * is now): written as they are, not stringified again.
   */
  columnsJson?: ReadonlyMap<object, string>
  /** Replay rebuilds derived rows from already-kept batches: do not append another copy. */
  keepRaw?: boolean
  /** A folded batch's schemas as each event saw them; defaults to its datasets at producedAt. */
  schemas?: readonly SchemaObservation[]
  /**
   * What this connection last wrote of datasets, jobs, edges and schema versions (node-cache.ts):
   * a node whose upsert would be the same is not written again. Only for a caller that keeps the
   * cache's rules (storeRawEvents).
   */
  cache?: NodeCache
  /**
   * The domain of a domain-scoped writer: the batch is authorized (findForeignWrite) inside the
   * transaction that writes it, so no other write can come between the check and the write, and
   * a refused batch (ForeignWriteError) writes nothing.
   */
  domain?: string | null | undefined
}

/** Stores one batch in one transaction: all of it, or (on any error) none of it. */
export function storeBatch(db: Db, batch: Batch, opts: StoreOptions): StoreResult {
  // IMMEDIATE: a deferred transaction that reads first cannot wait for another process's write
  // lock (SQLITE_BUSY at once, busy_timeout not applied); taking the lock up front waits for it.
  return db.transaction(
    () => {
      if (opts.domain == null) return writeBatch(db, batch, opts)
      const { batch: own, warnings } = dropForeignBatchReads(db, opts.domain, batch)
      const denial = findForeignWrite(db, opts.domain, own)
      if (denial) throw new ForeignWriteError(denial)
      // What is kept for replay is what was applied (the redelivery hash stays the request's).
      const payload = own === batch ? opts.payload : encodeBatch(own).payload
      const r = writeBatch(db, own, { ...opts, ...(payload ? { payload } : {}) })
      return warnings.length > 0 ? { ...r, notApplied: warnings } : r
    },
    { behavior: 'immediate' },
  )
}

/**
 * storeBatch's writes, for a caller that already holds a transaction (raw events, replay). Not
 * nested as a savepoint on purpose: in a savepoint SQLite copies every page it first changes to a
 * sub-journal, which tripled the cost of each run row in a bulk import. The caller's transaction
 * is what makes the writes all-or-nothing.
 */
export function writeBatch(db: Db, batch: Batch, opts: StoreOptions): StoreResult {
  if (!db.$client.inTransaction) throw new Error('writeBatch needs a transaction: use storeBatch')
  const s = statementsOf(db)
  {
    const keepRaw = opts.keepRaw ?? true
    if (keepRaw) {
      const seen = s.batchByHash.get({ hash: opts.contentHash })
      if (seen) return { duplicate: true, batchId: seen.id, counts: {}, datasetIds: [] }
    }
    const now = opts.now
    const counts: Record<string, number> = {}

    for (const d of batch.domains) {
      s.upsertDomain.run({
        name: d.name,
        owner: orNull(d.owner),
        description: orNull(d.description),
        now,
      })
    }
    counts.domains = batch.domains.length

    const cache = opts.cache
    const dsIds = resolveDatasets(s, batch, now, cache, opts.columnsJson)
    const dsId = idOf(dsIds, 'dataset')
    counts.datasets = batch.datasets.length
    storeVersions(s, opts.schemas ?? schemasOf(batch), dsId, now, cache)

    const jobIds = resolveJobs(s, batch, now, cache)
    const jobId = idOf(jobIds, 'job')
    counts.jobs = batch.jobs.length
    counts.runs = storeRuns(s, batch.runs, jobId, now)

    if (batch.replaceEdges) {
      s.deleteEdgesOfJobs.run({ jobIds: JSON.stringify(batch.jobs.map((j) => jobId(j))) })
      cache?.edges.clear()
    }
    const edgeRows: [number, number, string][] = []
    for (const e of batch.edges) {
      const jid = jobId(e.job)
      const did = dsId(e.dataset)
      if (cache) {
        const k = `${jid}:${did}:${e.direction}`
        if (cache.edges.has(k)) continue
        cache.edges.add(k)
      }
      edgeRows.push([jid, did, e.direction])
    }
    s.upsertEdges.run(edgeRows, now)
    counts.edges = batch.edges.length

    // A dbt re-collect replaces what meshwatch derived from the SQL of the models it writes, but
    // for a model whose lineage inputs are unchanged (the hash the store has): its edges stand.
    // Another collector's snapshot (an Airflow task writing the same table) derives none of them.
    const kept = new Set<number>()
    for (const c of batch.columnLineageInputs) {
      const id = dsId(c.dataset)
      if (c.unchanged && s.columnLineageHashOf.get({ datasetId: id }) === c.hash) kept.add(id)
    }
    if (
      batch.kind === 'dbt' &&
      batch.replaceEdges &&
      s.anyDerivedColumnEdge.get({}) !== undefined
    ) {
      for (const e of batch.edges) {
        if (e.direction !== 'output') continue
        const datasetId = dsId(e.dataset)
        if (kept.has(datasetId)) continue
        for (const source of DERIVED_SOURCES) s.deleteColumnEdgesOf.run({ datasetId, source })
        s.deleteColumnLineageInput.run({ datasetId })
      }
    }
    for (const c of batch.columnLineageInputs) {
      const datasetId = dsId(c.dataset)
      // claimed unchanged, but the store has another hash (or none): parsed again next time
      if (c.unchanged && !kept.has(datasetId)) continue
      s.upsertColumnLineageInput.run({
        datasetId,
        hash: c.hash,
        columns: encodeJson(c.columns),
        now,
      })
    }
    counts.columnLineageKept = kept.size
    s.insertColumnEdges.all(
      batch.columnEdges.map((c) => ({
        datasetId: dsId(c.dataset),
        column: c.column,
        fromDatasetId: dsId(c.from),
        fromColumn: c.fromColumn,
        transformation: orNull(c.transformation),
        source: c.source ?? 'openlineage',
      })),
    )
    counts.columnEdges = batch.columnEdges.length

    s.upsertChecks.all(
      batch.checks.map((c) => ({
        key: c.key,
        datasetId: dsId(c.dataset),
        column: orNull(c.column),
        kind: c.kind,
        name: c.name,
        severity: c.severity,
        origin: c.origin,
        now,
      })),
    )
    const rekeyable = batch.checks.some((c) => c.origin !== 'openlineage')
      ? new Set(s.openLineageResultNames.all({}))
      : new Set<string>()
    for (const c of rekeyable.size > 0 ? batch.checks : []) {
      if (c.origin !== 'openlineage' && rekeyable.has(c.name)) {
        s.rekeyEarlierResults.run({
          key: c.key,
          datasetId: dsId(c.dataset),
          name: c.name,
          domain: opts.domain ?? null,
        })
      }
    }
    counts.checks = batch.checks.length

    s.insertAssertions.all(
      batch.assertions.map((a) => ({
        key: a.key,
        datasetId: dsId(a.dataset),
        column: orNull(a.column),
        name: a.name,
        status: a.status,
        severity: a.severity,
        failures: orNull(a.failures),
        message: orNull(a.message),
        observedAt: a.observedAt,
        origin: a.origin,
        runId: orNull(a.runId),
      })),
    )
    counts.assertions = batch.assertions.length

    for (const m of batch.metrics) {
      s.upsertMetric.run({
        datasetId: dsId(m.dataset),
        name: m.name,
        value: m.value,
        status: orNull(m.status),
        detail: orNull(m.detail),
        observedAt: m.observedAt,
        runId: orNull(m.runId),
      })
    }
    counts.metrics = batch.metrics.length

    for (const pr of batch.products) {
      s.upsertProduct.run({
        id: pr.id,
        name: pr.name,
        domain: pr.domain,
        owner: orNull(pr.owner),
        description: orNull(pr.description),
        origin: pr.origin,
        sla: encodeJson(pr.sla),
        now,
      })
      s.deleteProductOutputs.run({ productId: pr.id })
      for (const o of pr.outputs)
        s.insertProductOutput.run({ productId: pr.id, datasetId: dsId(o) })
    }
    counts.products = batch.products.length

    let batchId: number | null = null
    if (keepRaw) {
      batchId =
        s.insertBatch.get({
          kind: batch.kind,
          scope: batch.scope,
          contentHash: opts.contentHash,
          receivedAt: now,
          summary: counts,
          payload: opts.payload ?? encodeBatch(batch).payload,
        })?.id ?? null
    }
    return { duplicate: false, batchId, counts, datasetIds: [...new Set(dsIds.values())] }
  }
}

/**
 * The id of a ref, by its key in `ids`. A collector's batch shares one ref object among the edges
 * and checks of a node (35k edges in a 10k-model collect): each object's key is built and looked
 * up once. Refs are not changed while a batch is written.
 */
function idOf(ids: ReadonlyMap<string, number>, what: string): (r: Ref) => number {
  const byObject = new Map<Ref, number>()
  return (r) => {
    const seen = byObject.get(r)
    if (seen !== undefined) return seen
    const id = ids.get(refKey(r))
    if (id === undefined) throw new Error(`${what} ${r.namespace} ${r.name} was not resolved`)
    byObject.set(r, id)
    return id
  }
}
