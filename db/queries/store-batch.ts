import type { Batch, Ref, Run } from '../../collectors/batch.ts'
import { refKey } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import type { SchemaObservation } from './fold-batches.ts'
import { encodeBatch } from './batch-codec.ts'
import type { NodeCache } from './node-cache.ts'
import { columnsHash, mergeRun } from './merge.ts'
import { encodeBool, encodeJson, statementsOf, type Statements, type StoredRunRow } from './statements.ts'

export interface StoreResult {
  duplicate: boolean
  batchId: number | null
  counts: Record<string, number>
  /** Dataset ids the batch touched, so evaluators can re-score the products that own them. */
  datasetIds: number[]
}

export interface StoreOptions {
  contentHash: string
  now: string
  /** The batch as encodeBatch stored it, to keep for replay; defaults to encoding the batch. */
  payload?: Buffer
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
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v)

/** Stores one batch in one transaction: all of it, or (on any error) none of it. */
export function storeBatch(db: Db, batch: Batch, opts: StoreOptions): StoreResult {
  // IMMEDIATE: a deferred transaction that reads first cannot wait for another process's write
  // lock (SQLITE_BUSY at once, busy_timeout not applied); taking the lock up front waits for it.
  return db.transaction(() => writeBatch(db, batch, opts), { behavior: 'immediate' })
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
      s.upsertDomain.run({ name: d.name, owner: orNull(d.owner), description: orNull(d.description), now })
    }
    counts.domains = batch.domains.length

    const cache = opts.cache
    const dsIds = resolveDatasets(s, batch, now, cache)
    const dsId = (r: Ref): number => {
      const id = dsIds.get(refKey(r))
      if (id === undefined) throw new Error(`dataset ${r.namespace} ${r.name} was not resolved`)
      return id
    }
    counts.datasets = batch.datasets.length
    storeVersions(s, opts.schemas ?? schemasOf(batch), dsId, now, cache)

    const jobIds = resolveJobs(s, batch, now, cache)
    const jobId = (r: Ref): number => {
      const id = jobIds.get(refKey(r))
      if (id === undefined) throw new Error(`job ${r.namespace} ${r.name} was not resolved`)
      return id
    }
    counts.jobs = batch.jobs.length
    counts.runs = storeRuns(s, batch.runs, jobId, now)

    if (batch.replaceEdges) {
      for (const j of batch.jobs) s.deleteEdgesOfJob.run({ jobId: jobId(j) })
      cache?.edges.clear()
    }
    for (const e of batch.edges) {
      const jid = jobId(e.job)
      const did = dsId(e.dataset)
      if (cache) {
        const k = `${jid}:${did}:${e.direction}`
        if (cache.edges.has(k)) continue
        cache.edges.add(k)
      }
      s.upsertEdge.run({ jobId: jid, datasetId: did, direction: e.direction, now })
    }
    counts.edges = batch.edges.length

    for (const c of batch.columnEdges) {
      s.insertColumnEdge.run({
        datasetId: dsId(c.dataset),
        column: c.column,
        fromDatasetId: dsId(c.from),
        fromColumn: c.fromColumn,
        transformation: orNull(c.transformation),
      })
    }
    counts.columnEdges = batch.columnEdges.length

    for (const c of batch.checks) {
      s.upsertCheck.run({
        key: c.key,
        datasetId: dsId(c.dataset),
        column: orNull(c.column),
        kind: c.kind,
        name: c.name,
        severity: c.severity,
        origin: c.origin,
        now,
      })
    }
    for (const c of batch.checks) {
      if (c.origin !== 'openlineage') s.rekeyEarlierResults.run({ key: c.key, datasetId: dsId(c.dataset), name: c.name })
    }
    counts.checks = batch.checks.length

    for (const a of batch.assertions) {
      s.insertAssertion.run({
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
      })
    }
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
      for (const o of pr.outputs) s.insertProductOutput.run({ productId: pr.id, datasetId: dsId(o) })
    }
    counts.products = batch.products.length

    let batchId: number | null = null
    if (keepRaw) {
      batchId = s.insertBatch.get({
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

/** Every dataset the batch mentions gets an id; aliases (symlinks, asset URIs) resolve to one node. */
function resolveDatasets(s: Statements, batch: Batch, now: string, cache: NodeCache | undefined): Map<string, number> {
  const ids = new Map<string, number>()
  const aliasTarget = (r: Ref): number | undefined => s.aliasByRef.get(r) as number | undefined
  const existing = (r: Ref): number | undefined => s.datasetByRef.get(r)?.id

  const newAliases: { namespace: string; name: string; datasetId: number }[] = []
  for (const d of batch.datasets) {
    const k = refKey(d)
    const values = {
      namespace: d.namespace,
      name: d.name,
      domain: orNull(d.domain),
      owner: orNull(d.owner),
      kind: orNull(d.kind),
      description: orNull(d.description),
      access: orNull(d.access),
      contractEnforced: encodeBool(d.contractEnforced),
      columns: encodeJson(d.columns),
      tags: encodeJson(d.tags),
      meta: encodeJson(d.meta),
      sourceFile: orNull(d.sourceFile),
      externalId: orNull(d.externalId),
      now,
    }
    // A dataset with aliases always takes the full path below: which node it is may change.
    const sig = cache && !d.aliases?.length ? signature(values) : undefined
    if (sig !== undefined) {
      const known = cache?.datasets.get(k)
      if (known?.sig === sig) {
        ids.set(k, known.id)
        continue
      }
    }
    const viaAlias = aliasTarget(d)
    if (viaAlias !== undefined) {
      ids.set(k, viaAlias)
      continue
    }
    // A dataset named differently by another producer, whose alias is already a node, is that node.
    if (d.aliases && d.aliases.length > 0 && existing(d) === undefined) {
      for (const a of d.aliases) {
        const target = aliasTarget(a) ?? existing(a)
        if (target !== undefined) {
          ids.set(k, target)
          newAliases.push({ namespace: d.namespace, name: d.name, datasetId: target })
          break
        }
      }
    }
    if (ids.has(k)) continue
    const row = s.upsertDataset.get(values)
    if (row) {
      ids.set(k, row.id)
      if (sig !== undefined) cache?.datasets.set(k, { id: row.id, sig })
    }
  }

  const ensure = (r: Ref) => {
    const k = refKey(r)
    if (ids.has(k)) return
    const known = cache?.datasets.get(k)
    if (known) {
      ids.set(k, known.id)
      return
    }
    const viaAlias = aliasTarget(r)
    const id = viaAlias ?? s.ensureDataset.get({ namespace: r.namespace, name: r.name, now })?.id
    if (id === undefined) return
    ids.set(k, id)
    if (viaAlias === undefined) cache?.datasets.set(k, { id, sig: undefined })
  }
  for (const e of batch.edges) ensure(e.dataset)
  for (const c of batch.columnEdges) {
    ensure(c.dataset)
    ensure(c.from)
  }
  for (const c of batch.checks) ensure(c.dataset)
  for (const a of batch.assertions) ensure(a.dataset)
  for (const m of batch.metrics) ensure(m.dataset)
  for (const pr of batch.products) pr.outputs.forEach(ensure)

  for (const d of batch.datasets) {
    const id = ids.get(refKey(d))
    if (id === undefined) continue
    for (const a of d.aliases ?? []) {
      // An alias that is itself a node stays a node; only other names point at this one.
      if (refKey(a) === refKey(d) || aliasTarget(a) !== undefined || existing(a) !== undefined) continue
      newAliases.push({ ...a, datasetId: id })
    }
  }
  for (const a of newAliases) s.insertAlias.run(a)
  // A new alias can turn a cached name into another node's alias.
  if (newAliases.length > 0) cache?.datasets.clear()
  return ids
}

/** The values of an upsert, but its time: equal signatures write equal rows. */
function signature(values: Record<string, unknown>): string {
  const parts: unknown[] = []
  for (const k in values) if (k !== 'now') parts.push(values[k])
  return JSON.stringify(parts)
}

function schemasOf(batch: Batch): SchemaObservation[] {
  const out: SchemaObservation[] = []
  for (const d of batch.datasets) {
    if (d.columns && d.columns.length > 0) out.push({ dataset: d, columns: d.columns, observedAt: batch.producedAt })
  }
  return out
}

/** A new version whenever a dataset's columns (names and types) differ from its latest. */
function storeVersions(
  s: Statements,
  schemas: readonly SchemaObservation[],
  dsId: (r: Ref) => number,
  now: string,
  cache: NodeCache | undefined,
): void {
  const latest = new Map<number, { columns: Columns; hash: string }>()
  for (const o of schemas) {
    const datasetId = dsId(o.dataset)
    // A folded batch repeats a schema once per event, a stream once per run: compare the columns
    // with the last ones seen before serializing and hashing them.
    const known = latest.get(datasetId) ?? cache?.versions.get(datasetId)
    if (known && sameColumns(known.columns, o.columns)) continue
    const cols = o.columns.map((c) => (c.type === undefined ? { name: c.name } : { name: c.name, type: c.type }))
    const hash = columnsHash(cols)
    const prev = known?.hash ?? (s.latestVersion.get({ datasetId }) as string | undefined)
    const seen = { columns: o.columns, hash }
    latest.set(datasetId, seen)
    cache?.versions.set(datasetId, seen)
    if (prev === hash) continue
    s.insertVersion.run({ datasetId, hash, columns: cols, observedAt: o.observedAt ?? now })
  }
}

type Columns = readonly { name: string; type?: string | undefined }[]

/** Same names and types in the same order: the same schema version. */
function sameColumns(a: Columns, b: Columns): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x?.name !== y?.name || x?.type !== y?.type) return false
  }
  return true
}

function resolveJobs(s: Statements, batch: Batch, now: string, cache: NodeCache | undefined): Map<string, number> {
  const ids = new Map<string, number>()
  const byKey = new Map(batch.jobs.map((j) => [refKey(j), j]))

  // Parents first, so each row can carry its parent's id.
  const depth = new Map<string, number>()
  const depthOf = (k: string, seen: Set<string>): number => {
    const known = depth.get(k)
    if (known !== undefined) return known
    const parent = byKey.get(k)?.parent
    const pk = parent ? refKey(parent) : undefined
    const d = pk !== undefined && byKey.has(pk) && !seen.has(pk) ? depthOf(pk, seen.add(k)) + 1 : 0
    depth.set(k, d)
    return d
  }
  const ordered = [...batch.jobs].sort((a, b) => depthOf(refKey(a), new Set()) - depthOf(refKey(b), new Set()))

  const ensure = (r: Ref) => {
    const k = refKey(r)
    if (ids.has(k) || byKey.has(k)) return
    const id = cache?.jobs.get(k)?.id ?? s.ensureJob.get({ namespace: r.namespace, name: r.name, now })?.id
    if (id === undefined) return
    ids.set(k, id)
    if (cache && !cache.jobs.has(k)) cache.jobs.set(k, { id, sig: undefined })
  }
  for (const j of batch.jobs) if (j.parent) ensure(j.parent)

  for (const j of ordered) {
    const k = refKey(j)
    const values = {
      namespace: j.namespace,
      name: j.name,
      domain: orNull(j.domain),
      owner: orNull(j.owner),
      type: j.type,
      parentId: j.parent ? orNull(ids.get(refKey(j.parent))) : null,
      description: orNull(j.description),
      schedule: encodeJson(j.schedule),
      meta: encodeJson(j.meta),
      externalId: orNull(j.externalId),
      now,
    }
    const sig = cache ? signature(values) : undefined
    const known = cache?.jobs.get(k)
    if (sig !== undefined && known?.sig === sig) {
      ids.set(k, known.id)
      continue
    }
    const row = s.upsertJob.get(values)
    if (row) {
      ids.set(k, row.id)
      if (sig !== undefined) cache?.jobs.set(k, { id: row.id, sig })
    }
  }
  for (const r of batch.runs) ensure(r.job)
  for (const e of batch.edges) ensure(e.job)
  return ids
}

function storeRuns(s: Statements, batchRuns: Run[], jobId: (r: Ref) => number, now: string): number {
  const stored = new Map<string, StoredRunRow>()
  if (batchRuns.length > 0) {
    const ids = [...new Set(batchRuns.map((r) => r.runId))]
    for (const row of s.runsByRunIds.all({ runIds: JSON.stringify(ids) })) stored.set(row.run_id, row)
  }
  const merged = new Map<string, Run>()
  for (const r of batchRuns) {
    let prev = merged.get(r.runId)
    if (!prev) {
      const row = stored.get(r.runId)
      if (row) {
        prev = {
          runId: row.run_id,
          job: r.job,
          state: row.state as Run['state'],
          startedAt: row.started_at ?? undefined,
          endedAt: row.ended_at ?? undefined,
          nominalTime: row.nominal_time ?? undefined,
          error: row.error ?? undefined,
          rowsAffected: row.rows_affected ?? undefined,
          parentRunId: row.parent_run_id ?? undefined,
          facets: row.facets === null ? undefined : (JSON.parse(row.facets) as Record<string, unknown>),
        }
      }
    }
    merged.set(r.runId, prev ? mergeRun(prev, r) : r)
  }
  for (const r of merged.values()) {
    s.upsertRun.run({
      runId: r.runId,
      jobId: jobId(r.job),
      state: r.state,
      startedAt: orNull(r.startedAt),
      endedAt: orNull(r.endedAt),
      nominalTime: orNull(r.nominalTime),
      error: orNull(r.error),
      rowsAffected: orNull(r.rowsAffected),
      parentRunId: orNull(r.parentRunId),
      facets: encodeJson(r.facets),
      now,
    })
  }
  return merged.size
}
