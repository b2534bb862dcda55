import { and, eq, inArray, sql, type SQL } from 'drizzle-orm'
import type { Batch, Ref, Run } from '../../collectors/batch.ts'
import { refKey } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import {
  assertions,
  batches,
  checks,
  columnEdges,
  datasetAliases,
  datasets,
  datasetVersions,
  domains,
  jobs,
  lineageEdges,
  metrics,
  productOutputs,
  products,
  runs,
} from '../schema.ts'
import { chunk, columnsHash, mergeRun } from './merge.ts'

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

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
  /** The raw payload to keep for replay; defaults to the batch itself. */
  payload?: string
  /** Replay rebuilds derived rows from already-kept batches: do not append another copy. */
  keepRaw?: boolean
}

const excluded = (col: string): SQL => sql.raw(`excluded.${col}`)
const keep = (col: string, table: string): SQL =>
  sql.raw(`coalesce(excluded.${col}, "${table}"."${col}")`)

/** Stores one batch in one transaction: all of it, or (on any error) none of it. */
export function storeBatch(db: Db, batch: Batch, opts: StoreOptions): StoreResult {
  return db.transaction((tx) => {
    const keepRaw = opts.keepRaw ?? true
    if (keepRaw) {
      const seen = tx
        .select({ id: batches.id })
        .from(batches)
        .where(eq(batches.contentHash, opts.contentHash))
        .get()
      if (seen) return { duplicate: true, batchId: seen.id, counts: {}, datasetIds: [] }
    }
    const now = opts.now
    const counts: Record<string, number> = {}

    for (const part of chunk(batch.domains, 500)) {
      tx.insert(domains)
        .values(part.map((d) => ({ ...d, updatedAt: now })))
        .onConflictDoUpdate({
          target: domains.name,
          set: { owner: keep('owner', 'domains'), description: keep('description', 'domains'), updatedAt: now },
        })
        .run()
    }
    counts.domains = batch.domains.length

    const dsIds = resolveDatasets(tx, batch, now)
    const dsId = (r: Ref): number => {
      const id = dsIds.get(refKey(r))
      if (id === undefined) throw new Error(`dataset ${r.namespace} ${r.name} was not resolved`)
      return id
    }
    counts.datasets = batch.datasets.length
    storeVersions(tx, batch, dsId, now)

    const jobIds = resolveJobs(tx, batch, now)
    const jobId = (r: Ref): number => {
      const id = jobIds.get(refKey(r))
      if (id === undefined) throw new Error(`job ${r.namespace} ${r.name} was not resolved`)
      return id
    }
    counts.jobs = batch.jobs.length

    counts.runs = storeRuns(tx, batch.runs, jobId, now)

    if (batch.replaceEdges && batch.jobs.length > 0) {
      for (const part of chunk(batch.jobs, 5000)) {
        tx.delete(lineageEdges)
          .where(inArray(lineageEdges.jobId, part.map(jobId)))
          .run()
      }
    }
    const edgeRows = batch.edges.map((e) => ({
      jobId: jobId(e.job),
      datasetId: dsId(e.dataset),
      direction: e.direction,
      updatedAt: now,
    }))
    for (const part of chunk(edgeRows, 2000)) {
      tx.insert(lineageEdges)
        .values(part)
        .onConflictDoUpdate({
          target: [lineageEdges.jobId, lineageEdges.datasetId, lineageEdges.direction],
          set: { updatedAt: now },
        })
        .run()
    }
    counts.edges = edgeRows.length

    const colRows = batch.columnEdges.map((c) => ({
      datasetId: dsId(c.dataset),
      column: c.column,
      fromDatasetId: dsId(c.from),
      fromColumn: c.fromColumn,
      transformation: c.transformation ?? null,
    }))
    for (const part of chunk(colRows, 2000)) {
      tx.insert(columnEdges).values(part).onConflictDoNothing().run()
    }
    counts.columnEdges = colRows.length

    const checkRows = batch.checks.map((c) => ({
      key: c.key,
      datasetId: dsId(c.dataset),
      column: c.column ?? null,
      kind: c.kind,
      name: c.name,
      severity: c.severity,
      origin: c.origin,
      updatedAt: now,
    }))
    for (const part of chunk(checkRows, 2000)) {
      tx.insert(checks)
        .values(part)
        .onConflictDoUpdate({
          target: checks.key,
          set: {
            datasetId: excluded('dataset_id'),
            column: excluded('column'),
            kind: excluded('kind'),
            name: excluded('name'),
            severity: excluded('severity'),
            updatedAt: now,
          },
        })
        .run()
    }
    counts.checks = checkRows.length

    const assertionRows = batch.assertions.map((a) => ({
      key: a.key,
      datasetId: dsId(a.dataset),
      column: a.column ?? null,
      name: a.name,
      status: a.status,
      severity: a.severity,
      failures: a.failures ?? null,
      message: a.message ?? null,
      observedAt: a.observedAt,
      origin: a.origin,
      runId: a.runId ?? null,
    }))
    for (const part of chunk(assertionRows, 1500)) {
      tx.insert(assertions).values(part).onConflictDoNothing().run()
    }
    counts.assertions = assertionRows.length

    const metricRows = batch.metrics.map((m) => ({
      datasetId: dsId(m.dataset),
      name: m.name,
      value: m.value,
      status: m.status ?? null,
      detail: m.detail ?? null,
      observedAt: m.observedAt,
      runId: m.runId ?? null,
    }))
    for (const part of chunk(metricRows, 2000)) {
      tx.insert(metrics)
        .values(part)
        .onConflictDoUpdate({
          target: [metrics.datasetId, metrics.name, metrics.observedAt],
          set: { value: excluded('value'), status: excluded('status'), detail: excluded('detail') },
        })
        .run()
    }
    counts.metrics = metricRows.length

    for (const p of batch.products) {
      tx.insert(products)
        .values({
          id: p.id,
          name: p.name,
          domain: p.domain,
          owner: p.owner ?? null,
          description: p.description ?? null,
          origin: p.origin,
          sla: p.sla ?? null,
          updatedAt: now,
        })
        .onConflictDoUpdate({
          target: products.id,
          set: {
            name: p.name,
            domain: p.domain,
            owner: p.owner ?? null,
            description: p.description ?? null,
            origin: p.origin,
            sla: p.sla ?? null,
            updatedAt: now,
          },
        })
        .run()
      tx.delete(productOutputs).where(eq(productOutputs.productId, p.id)).run()
      const outs = [...new Set(p.outputs.map(dsId))]
      if (outs.length > 0) {
        tx.insert(productOutputs)
          .values(outs.map((datasetId) => ({ productId: p.id, datasetId })))
          .run()
      }
    }
    counts.products = batch.products.length

    let batchId: number | null = null
    if (keepRaw) {
      const row = tx
        .insert(batches)
        .values({
          kind: batch.kind,
          scope: batch.scope,
          contentHash: opts.contentHash,
          receivedAt: now,
          summary: counts,
          payload: opts.payload ?? JSON.stringify(batch),
        })
        .returning({ id: batches.id })
        .get()
      batchId = row.id
    }
    return { duplicate: false, batchId, counts, datasetIds: [...new Set(dsIds.values())] }
  })
}

/** Every dataset the batch mentions gets an id; aliases (symlinks, asset URIs) resolve to one node. */
function resolveDatasets(tx: Tx, batch: Batch, now: string): Map<string, number> {
  const refs = new Map<string, Ref>()
  const add = (r: Ref) => refs.set(refKey(r), r)
  for (const d of batch.datasets) add(d)
  for (const e of batch.edges) add(e.dataset)
  for (const c of batch.columnEdges) {
    add(c.dataset)
    add(c.from)
  }
  for (const c of batch.checks) add(c.dataset)
  for (const a of batch.assertions) add(a.dataset)
  for (const m of batch.metrics) add(m.dataset)
  for (const p of batch.products) p.outputs.forEach(add)

  const ids = new Map<string, number>()
  const aliasOf = lookupAliases(tx, [...refs.values(), ...batch.datasets.flatMap((d) => d.aliases ?? [])])

  // A dataset named differently by another producer, whose alias is already a node, is that node.
  const newAliases: { namespace: string; name: string; datasetId: number }[] = []
  for (const d of batch.datasets) {
    const k = refKey(d)
    const direct = aliasOf.get(k)
    if (direct !== undefined) {
      ids.set(k, direct)
      continue
    }
    for (const a of d.aliases ?? []) {
      const target = aliasOf.get(refKey(a)) ?? findDataset(tx, a)
      if (target !== undefined && !existsDataset(tx, d)) {
        ids.set(k, target)
        newAliases.push({ namespace: d.namespace, name: d.name, datasetId: target })
        break
      }
    }
  }
  for (const k of refs.keys()) {
    const target = aliasOf.get(k)
    if (!ids.has(k) && target !== undefined) ids.set(k, target)
  }

  const full = batch.datasets.filter((d) => !ids.has(refKey(d)))
  for (const part of chunk(full, 500)) {
    const rows = tx
      .insert(datasets)
      .values(
        part.map((d) => ({
          namespace: d.namespace,
          name: d.name,
          domain: d.domain ?? null,
          owner: d.owner ?? null,
          kind: d.kind ?? null,
          description: d.description ?? null,
          access: d.access ?? null,
          contractEnforced: d.contractEnforced ?? null,
          columns: d.columns ?? null,
          tags: d.tags ?? null,
          meta: d.meta ?? null,
          sourceFile: d.sourceFile ?? null,
          externalId: d.externalId ?? null,
          firstSeenAt: now,
          updatedAt: now,
        })),
      )
      .onConflictDoUpdate({
        target: [datasets.namespace, datasets.name],
        set: {
          domain: keep('domain', 'datasets'),
          owner: keep('owner', 'datasets'),
          kind: keep('kind', 'datasets'),
          description: keep('description', 'datasets'),
          access: keep('access', 'datasets'),
          contractEnforced: keep('contract_enforced', 'datasets'),
          columns: keep('columns', 'datasets'),
          tags: keep('tags', 'datasets'),
          meta: keep('meta', 'datasets'),
          sourceFile: keep('source_file', 'datasets'),
          externalId: keep('external_id', 'datasets'),
          updatedAt: now,
        },
      })
      .returning({ id: datasets.id, namespace: datasets.namespace, name: datasets.name })
      .all()
    for (const r of rows) if (!ids.has(refKey(r))) ids.set(refKey(r), r.id)
  }

  const bare = [...refs.entries()].filter(([k]) => !ids.has(k)).map(([, r]) => r)
  for (const part of chunk(bare, 2000)) {
    const rows = tx
      .insert(datasets)
      .values(part.map((r) => ({ namespace: r.namespace, name: r.name, firstSeenAt: now, updatedAt: now })))
      // A no-op update so RETURNING also yields rows that already existed.
      .onConflictDoUpdate({ target: [datasets.namespace, datasets.name], set: { namespace: excluded('namespace') } })
      .returning({ id: datasets.id, namespace: datasets.namespace, name: datasets.name })
      .all()
    for (const r of rows) ids.set(refKey(r), r.id)
  }

  for (const d of batch.datasets) {
    const id = ids.get(refKey(d))
    if (id === undefined) continue
    for (const a of d.aliases ?? []) {
      // An alias that is itself a node stays a node; only other names point at this one.
      if (refKey(a) === refKey(d) || aliasOf.has(refKey(a)) || existsDataset(tx, a)) continue
      newAliases.push({ ...a, datasetId: id })
    }
  }
  for (const part of chunk(newAliases, 2000)) {
    tx.insert(datasetAliases).values(part).onConflictDoNothing().run()
  }
  return ids
}

function lookupAliases(tx: Tx, refs: Ref[]): Map<string, number> {
  const out = new Map<string, number>()
  const names = [...new Set(refs.map((r) => r.name))]
  for (const part of chunk(names, 5000)) {
    const rows = tx.select().from(datasetAliases).where(inArray(datasetAliases.name, part)).all()
    for (const r of rows) out.set(refKey(r), r.datasetId)
  }
  return out
}

function findDataset(tx: Tx, r: Ref): number | undefined {
  return tx
    .select({ id: datasets.id })
    .from(datasets)
    .where(and(eq(datasets.namespace, r.namespace), eq(datasets.name, r.name)))
    .get()?.id
}

const existsDataset = (tx: Tx, r: Ref): boolean => findDataset(tx, r) !== undefined

function storeVersions(tx: Tx, batch: Batch, dsId: (r: Ref) => number, now: string): void {
  const withCols = batch.datasets.filter((d) => d.columns !== undefined && d.columns.length > 0)
  if (withCols.length === 0) return
  const latest = new Map<number, string>()
  for (const part of chunk(withCols.map(dsId), 5000)) {
    const rows = tx
      .select({ datasetId: datasetVersions.datasetId, hash: datasetVersions.columnsHash })
      .from(datasetVersions)
      .where(
        inArray(
          datasetVersions.id,
          tx
            .select({ id: sql<number>`max(${datasetVersions.id})` })
            .from(datasetVersions)
            .where(inArray(datasetVersions.datasetId, part))
            .groupBy(datasetVersions.datasetId),
        ),
      )
      .all()
    for (const r of rows) latest.set(r.datasetId, r.hash)
  }
  const rows: (typeof datasetVersions.$inferInsert)[] = []
  for (const d of withCols) {
    const cols = (d.columns ?? []).map((c) => (c.type === undefined ? { name: c.name } : { name: c.name, type: c.type }))
    const hash = columnsHash(cols)
    const id = dsId(d)
    if (latest.get(id) === hash) continue
    latest.set(id, hash)
    rows.push({ datasetId: id, columnsHash: hash, columns: cols, observedAt: batch.producedAt ?? now })
  }
  for (const part of chunk(rows, 2000)) tx.insert(datasetVersions).values(part).run()
}

function resolveJobs(tx: Tx, batch: Batch, now: string): Map<string, number> {
  const ids = new Map<string, number>()
  const byKey = new Map(batch.jobs.map((j) => [refKey(j), j]))
  const refs = new Map<string, Ref>()
  for (const j of batch.jobs) if (j.parent) refs.set(refKey(j.parent), j.parent)
  for (const r of batch.runs) refs.set(refKey(r.job), r.job)
  for (const e of batch.edges) refs.set(refKey(e.job), e.job)

  // Parents first, so each level's rows can carry their parent's id.
  const depth = new Map<string, number>()
  const depthOf = (k: string, seen = new Set<string>()): number => {
    const known = depth.get(k)
    if (known !== undefined) return known
    const j = byKey.get(k)
    const p = j?.parent ? refKey(j.parent) : undefined
    const d = p && byKey.has(p) && !seen.has(p) ? depthOf(p, seen.add(k)) + 1 : 0
    depth.set(k, d)
    return d
  }
  const levels: (typeof batch.jobs)[] = []
  for (const j of batch.jobs) (levels[depthOf(refKey(j))] ??= []).push(j)

  const bare = [...refs.entries()].filter(([k]) => !byKey.has(k)).map(([, r]) => r)
  for (const part of chunk(bare, 2000)) {
    const rows = tx
      .insert(jobs)
      .values(part.map((r) => ({ namespace: r.namespace, name: r.name, type: 'job', updatedAt: now })))
      .onConflictDoUpdate({ target: [jobs.namespace, jobs.name], set: { namespace: excluded('namespace') } })
      .returning({ id: jobs.id, namespace: jobs.namespace, name: jobs.name })
      .all()
    for (const r of rows) ids.set(refKey(r), r.id)
  }

  for (const level of levels) {
    for (const part of chunk(level ?? [], 500)) {
      const rows = tx
        .insert(jobs)
        .values(
          part.map((j) => ({
            namespace: j.namespace,
            name: j.name,
            domain: j.domain ?? null,
            owner: j.owner ?? null,
            type: j.type,
            parentId: j.parent ? (ids.get(refKey(j.parent)) ?? null) : null,
            description: j.description ?? null,
            schedule: j.schedule ?? null,
            meta: j.meta ?? null,
            externalId: j.externalId ?? null,
            updatedAt: now,
          })),
        )
        .onConflictDoUpdate({
          target: [jobs.namespace, jobs.name],
          set: {
            domain: keep('domain', 'jobs'),
            owner: keep('owner', 'jobs'),
            type: sql.raw(`case when excluded.type = 'job' then "jobs"."type" else excluded.type end`),
            parentId: keep('parent_id', 'jobs'),
            description: keep('description', 'jobs'),
            schedule: keep('schedule', 'jobs'),
            meta: keep('meta', 'jobs'),
            externalId: keep('external_id', 'jobs'),
            updatedAt: now,
          },
        })
        .returning({ id: jobs.id, namespace: jobs.namespace, name: jobs.name })
        .all()
      for (const r of rows) ids.set(refKey(r), r.id)
    }
  }
  return ids
}

function storeRuns(tx: Tx, batchRuns: Run[], jobId: (r: Ref) => number, now: string): number {
  if (batchRuns.length === 0) return 0
  const merged = new Map<string, Run>()
  const jobOf = new Map(batchRuns.map((r) => [r.runId, r.job]))
  for (const part of chunk([...new Set(batchRuns.map((r) => r.runId))], 5000)) {
    const rows = tx.select().from(runs).where(inArray(runs.runId, part)).all()
    for (const r of rows) {
      merged.set(r.runId, {
        runId: r.runId,
        job: jobOf.get(r.runId) ?? { namespace: '', name: '' },
        state: r.state as Run['state'],
        startedAt: r.startedAt ?? undefined,
        endedAt: r.endedAt ?? undefined,
        nominalTime: r.nominalTime ?? undefined,
        error: r.error ?? undefined,
        rowsAffected: r.rowsAffected ?? undefined,
        parentRunId: r.parentRunId ?? undefined,
        facets: r.facets ?? undefined,
      })
    }
  }
  for (const r of batchRuns) {
    const prev = merged.get(r.runId)
    merged.set(r.runId, prev ? mergeRun(prev, r) : r)
  }
  const rows = [...merged.values()].map((r) => ({
    runId: r.runId,
    jobId: jobId(r.job),
    state: r.state,
    startedAt: r.startedAt ?? null,
    endedAt: r.endedAt ?? null,
    nominalTime: r.nominalTime ?? null,
    error: r.error ?? null,
    rowsAffected: r.rowsAffected ?? null,
    parentRunId: r.parentRunId ?? null,
    facets: r.facets ?? null,
    updatedAt: now,
  }))
  for (const part of chunk(rows, 800)) {
    tx.insert(runs)
      .values(part)
      .onConflictDoUpdate({
        target: runs.runId,
        set: {
          state: excluded('state'),
          startedAt: excluded('started_at'),
          endedAt: excluded('ended_at'),
          nominalTime: excluded('nominal_time'),
          error: excluded('error'),
          rowsAffected: excluded('rows_affected'),
          parentRunId: excluded('parent_run_id'),
          facets: excluded('facets'),
          updatedAt: now,
        },
      })
      .run()
  }
  return rows.length
}
