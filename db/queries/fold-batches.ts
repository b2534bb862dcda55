import type { Batch, ColumnEdge, Dataset, Job, Ref } from '../../collectors/batch.ts'
import { emptyBatch, refKey } from '../../collectors/batch.ts'

/** A dataset's columns as one event saw them, so a folded batch keeps every schema change. */
export interface SchemaObservation {
  dataset: Ref
  columns: NonNullable<Dataset['columns']>
  /** The observing batch's producedAt; storeBatch uses its `now` when absent. */
  observedAt: string | undefined
}

export interface FoldedBatch {
  batch: Batch
  /** Every non-empty schema, in order; undefined when `batch` is passed through unfolded. */
  schemas?: SchemaObservation[]
}

/**
 * Folds batches (one per OpenLineage event, in received order) into one, so storeBatch writes
 * each distinct dataset, job, edge and column edge once instead of once per event. A node's
 * fields fold the way the upserts would apply them one by one: a later defined value wins, meta
 * adds keys, a job type other than 'job' wins; runs, assertions and metrics stay in order.
 */
export function foldBatches(list: readonly Batch[]): FoldedBatch {
  const [first] = list
  // Other collectors' batches (replayed one at a time) are snapshots, stored as they came.
  if (list.length === 1 && first && first.kind !== 'openlineage') return { batch: first }
  const datasets = new Map<string, Dataset>()
  const jobs = new Map<string, Job>()
  const edges = new Map<string, Batch['edges'][number]>()
  const columnEdges = new Map<string, ColumnEdge>()
  const schemas: SchemaObservation[] = []
  const out = emptyBatch(first?.kind ?? 'openlineage', first?.scope ?? 'openlineage')
  for (const b of list) {
    if (b.producedAt) out.producedAt = b.producedAt
    for (const d of b.datasets) {
      const k = refKey(d)
      const prev = datasets.get(k)
      if (!prev) datasets.set(k, { ...d })
      else if (!onlyRef(d)) datasets.set(k, foldDataset(prev, d))
      if (d.columns && d.columns.length > 0) {
        schemas.push({
          dataset: { namespace: d.namespace, name: d.name },
          columns: d.columns,
          observedAt: b.producedAt,
        })
      }
    }
    for (const j of b.jobs) {
      const k = refKey(j)
      const prev = jobs.get(k)
      if (!prev) jobs.set(k, { ...j })
      else if (!sameAs(prev, j)) jobs.set(k, foldJob(prev, j))
    }
    for (const e of b.edges) {
      const k = `${e.job.namespace}\u0000${e.job.name}\u0000${e.dataset.namespace}\u0000${e.dataset.name}\u0000${e.direction}`
      if (!edges.has(k)) edges.set(k, e)
    }
    for (const c of b.columnEdges) {
      // Inserted with ON CONFLICT DO NOTHING: the first one wins.
      const k = `${refKey(c.dataset)}\u0000${c.column}\u0000${refKey(c.from)}\u0000${c.fromColumn}\u0000${c.source ?? 'openlineage'}`
      if (!columnEdges.has(k)) columnEdges.set(k, c)
    }
    if (b.domains.length > 0) pushAll(out.domains, b.domains)
    if (b.runs.length > 0) pushAll(out.runs, b.runs)
    if (b.columnLineageInputs.length > 0) pushAll(out.columnLineageInputs, b.columnLineageInputs)
    if (b.checks.length > 0) pushAll(out.checks, b.checks)
    if (b.assertions.length > 0) pushAll(out.assertions, b.assertions)
    if (b.metrics.length > 0) pushAll(out.metrics, b.metrics)
    if (b.products.length > 0) pushAll(out.products, b.products)
    if (b.warnings.length > 0) pushAll(out.warnings, b.warnings)
  }
  out.datasets = [...datasets.values()]
  out.jobs = [...jobs.values()]
  out.edges = [...edges.values()]
  out.columnEdges = [...columnEdges.values()]
  return { batch: out, schemas }
}

function pushAll<T>(dst: T[], src: readonly T[]): void {
  for (const x of src) dst.push(x)
}

/** Every field `next` defines is already `prev`'s own (the same value): folding changes nothing. */
function sameAs(prev: object, next: object): boolean {
  for (const k in next) {
    const v = (next as Record<string, unknown>)[k]
    if (v !== undefined && v !== (prev as Record<string, unknown>)[k]) return false
  }
  return true
}

/** A mention that says nothing but the dataset's name (an input without facets): nothing to fold. */
function onlyRef(d: Dataset): boolean {
  for (const k in d)
    if (k !== 'namespace' && k !== 'name' && (d as Record<string, unknown>)[k] !== undefined)
      return false
  return true
}

/** `prev` with every field `next` defines put over it (the upsert's coalesce); meta adds keys. */
function overlay<T extends { meta?: Record<string, unknown> | undefined }>(prev: T, next: T): T {
  const out: T = { ...prev }
  for (const k in next) {
    const v = next[k]
    if (v !== undefined) out[k] = v
  }
  if (prev.meta && next.meta) out.meta = { ...prev.meta, ...next.meta }
  return out
}

/** Later defined fields win, meta adds keys, aliases are all kept. */
function foldDataset(prev: Dataset, next: Dataset): Dataset {
  const out = overlay(prev, next)
  if (prev.aliases && next.aliases) {
    const seen = new Set(prev.aliases.map(refKey))
    out.aliases = [...prev.aliases, ...next.aliases.filter((a) => !seen.has(refKey(a)))]
  }
  return out
}

/** As foldDataset; a plain 'job' never overrides a known type (the upsert's CASE). */
function foldJob(prev: Job, next: Job): Job {
  const out = overlay(prev, next)
  if (next.type === 'job') out.type = prev.type
  return out
}
