import { createHash, hash } from 'node:crypto'
import { BatchSchema, type Batch } from '../collectors/batch.ts'
import { parseEvent, type OlWarning, type ParseResult } from '../collectors/openlineage/parse.ts'
import type { Denial, ReadRef } from '../db/queries/authorize.ts'
import {
  mergeBatches,
  type AssertionMemo,
  type RawEventInput,
  type RawStoreResult,
} from '../db/queries/raw-events.ts'
import type { Store } from '../db/store.ts'
import { nowOf, type Deps, type Logger } from './deps.ts'

export type PreparedEvent =
  | { ok: true; item: RawEventInput; warnings: OlWarning[] }
  | { ok: false; path: string; reason: string }

/**
 * Validates one OpenLineage event and gets it ready to keep. Its identity is the sha256 of the
 * text we store (the event re-serialized, producer's key order): a redelivery (same bytes, or
 * only other whitespace or compression) is kept once. An equal event serialized with another key
 * order is kept twice; its lineage folds to the same rows. Canonical (key-sorted) JSON cost ~6 µs
 * an event, a third of the raw store's own work.
 */
export function prepareEvent(raw: unknown): PreparedEvent {
  const r = parseEvent(raw)
  if (!r.ok) return r
  const payload = JSON.stringify(raw)
  const run = r.kind === 'RunEvent' ? r.event : undefined
  const job = r.kind === 'DatasetEvent' ? undefined : r.event.job
  return {
    ok: true,
    item: {
      eventHash: hash('sha256', payload, 'hex'),
      kind: r.kind,
      runId: run?.run.runId ?? null,
      jobNamespace: job?.namespace ?? null,
      jobName: job?.name ?? null,
      eventType: run?.eventType ?? null,
      eventTime: r.event.eventTime,
      payload,
      batch: r.batch,
      reads: readsOf(r),
    },
    warnings: r.warnings,
  }
}

/** What parseEvent could not read in a kept event (dropped facets…), from its stored text. */
export function eventWarnings(payload: unknown): OlWarning[] {
  const r = parseEvent(payload)
  return r.ok ? r.warnings : [{ path: r.path, message: r.reason }]
}

/**
 * The inputs of a run or job event that are not also its outputs: datasets it only reads, which
 * a domain-scoped token may name without owning them (what it says about them is not applied).
 */
export function readsOf(r: ParseResult): ReadRef[] {
  if (!r.ok || r.kind === 'DatasetEvent') return []
  const inputs = r.event.inputs ?? []
  if (inputs.length === 0) return []
  const written = new Set((r.event.outputs ?? []).map((o) => `${o.namespace}\u0000${o.name}`))
  const out: ReadRef[] = []
  inputs.forEach((i, k) => {
    if (!written.has(`${i.namespace}\u0000${i.name}`))
      out.push({ namespace: i.namespace, name: i.name, path: `$.inputs[${k}]` })
  })
  return out
}

type Named = {
  namespace: string
  name: string
  facets?: { symlinks?: { identifiers?: Named[] | null } | null } | null
}

/**
 * Where in an OpenLineage event the field is that named what a refusal names (the batch's path
 * means nothing to the event's producer): `$.run.runId`, `$.outputs[0]`,
 * `$.outputs[0].facets.symlinks.identifiers[1]`, `$.job`, … ; `$` when it cannot tell.
 */
export function eventPath(raw: unknown, denial: Denial): string {
  const e = raw as {
    run?: {
      runId?: string
      facets?: {
        parent?: {
          job?: Named
          run?: { runId?: string }
          root?: { job?: Named; run?: { runId?: string } } | null
        } | null
      } | null
    }
    job?: Named
    inputs?: Named[] | null
    outputs?: Named[] | null
    dataset?: Named
  }
  const is = (x: Named | undefined | null, r: { namespace: string; name: string }) =>
    x != null &&
    x.namespace === r.namespace &&
    (x.name === r.name || x.name.startsWith(`${r.name}.build.`))
  const datasets: [string, Named][] = [
    ...(e.outputs ?? []).map((d, k): [string, Named] => [`$.outputs[${k}]`, d]),
    ...(e.inputs ?? []).map((d, k): [string, Named] => [`$.inputs[${k}]`, d]),
    ...(e.dataset ? [['$.dataset', e.dataset] as [string, Named]] : []),
  ]
  const ref = denial.ref
  if (denial.what === 'run') {
    const parent = e.run?.facets?.parent
    if (ref === e.run?.runId) return '$.run.runId'
    if (ref === parent?.run?.runId) return '$.run.facets.parent.run.runId'
    if (ref === parent?.root?.run?.runId) return '$.run.facets.parent.root.run.runId'
    return '$'
  }
  if (typeof ref === 'string') return '$'
  if (denial.what === 'job') {
    if (is(e.job, ref)) return '$.job'
    const parent = e.run?.facets?.parent
    if (is(parent?.job, ref)) return '$.run.facets.parent.job'
    if (is(parent?.root?.job, ref)) return '$.run.facets.parent.root.job'
    return '$'
  }
  if (denial.what === 'alias') {
    for (const [path, d] of datasets) {
      const m = (d.facets?.symlinks?.identifiers ?? []).findIndex(
        (a) => a.namespace === ref.namespace && a.name === ref.name,
      )
      if (m >= 0) return `${path}.facets.symlinks.identifiers[${m}]`
    }
    return '$'
  }
  const found = datasets.find(([, d]) => d.namespace === ref.namespace && d.name === ref.name)
  return found ? found[0] : '$'
}

/**
 * A kept raw event's batch as it was stored: for an event a domain-scoped token posted, without
 * what it said about another domain's inputs (deriveEvent), so a replay or a compaction rebuilds
 * what ingest stored.
 */
async function derivedOf(
  store: Store,
  row: { payload: string; domain: string | null },
  memo: AssertionMemo,
): Promise<Batch | undefined> {
  const p = parseEvent(JSON.parse(row.payload))
  if (!p.ok) return undefined
  const d = await store.rawEvents.deriveEvent(
    { batch: p.batch, domain: row.domain, reads: row.domain == null ? [] : readsOf(p) },
    memo,
  )
  return d.batch
}

/**
 * Keeps validated events and their lineage in one transaction (committed when this resolves),
 * then runs deps.afterWrite.
 */
export async function ingestEvents(
  deps: Deps,
  items: readonly RawEventInput[],
): Promise<RawStoreResult> {
  const r = await deps.store.rawEvents.storeRawEvents(items, nowOf(deps).toISOString())
  if (r.stored.some(Boolean)) await deps.afterWrite?.({ datasetIds: r.datasetIds })
  return r
}

const PRUNE_PAGE = 10_000

/**
 * Deletes raw events received before `olderThan`. What they implied is first folded into one
 * compacted batch per page, kept in `batches`, so neither the derived lineage nor a later replay
 * loses it. Each page is one transaction.
 */
export async function pruneRawEvents(
  store: Store,
  olderThan: Date | string,
): Promise<{ pruned: number }> {
  const cutoff = typeof olderThan === 'string' ? olderThan : olderThan.toISOString()
  let pruned = 0
  for (;;) {
    const n = await store.transaction(async (tx) => {
      const page = await tx.rawEvents.listRawEventsBefore(cutoff, 0, PRUNE_PAGE)
      const last = page.at(-1)
      if (!last) return 0
      const memo: AssertionMemo = new Map()
      const derived: Batch[] = []
      for (const r of page) {
        const b = await derivedOf(tx, r, memo)
        if (b) derived.push(b)
      }
      if (derived.length > 0) {
        const batch = mergeBatches(derived)
        const contentHash = createHash('sha256')
          .update(`compacted:${page[0]?.id}-${last.id}:${JSON.stringify(batch)}`)
          .digest('hex')
        await tx.rawEvents.keepCompactedBatch(
          { ...batch, scope: 'openlineage:compacted' },
          { contentHash, receivedAt: last.receivedAt },
        )
      }
      await tx.rawEvents.deleteRawEvents(page.map((r) => r.id))
      return page.length
    })
    pruned += n
    if (n < PRUNE_PAGE) return { pruned }
  }
}

/** Applies the retention now and then every hour; returns a stop function. */
export function startRetention(
  store: Store,
  days: number,
  log: Logger,
  now: () => Date = () => new Date(),
): () => void {
  let running: Promise<void> | undefined
  const run = () => {
    // One pass at a time: a pass slower than the interval is not started twice.
    running ??= pruneRawEvents(store, new Date(now().getTime() - days * 86_400_000))
      .then(({ pruned }) => {
        if (pruned > 0) log.info(`pruned ${pruned} raw OpenLineage events older than ${days} days`)
      })
      .catch((e: unknown) => log.error('raw event retention failed', { error: String(e) }))
      .finally(() => (running = undefined))
  }
  run()
  const timer = setInterval(run, 3_600_000)
  timer.unref()
  return () => clearInterval(timer)
}

const REPLAY_PAGE = 2000

/**
 * Rebuilds every derived table from the kept batches and raw events, in received order, in one
 * transaction (all or nothing). Products' evaluation history is set aside and put back.
 */
export async function replayStore(
  store: Store,
  now: string,
): Promise<{ batches: number; events: number; skipped: number }> {
  return store.transaction(async (tx) => {
    await tx.replay.clearDerived()
    const order = await tx.replay.listBatchOrder()
    let next = 0
    let applied = 0
    let events = 0
    let skipped = 0
    const applyBatchesUpTo = async (time: string | undefined) => {
      for (
        let b = order[next];
        b && (time === undefined || b.receivedAt <= time);
        b = order[++next]
      ) {
        const payload = await tx.replay.batchPayload(b.id)
        if (payload === undefined) continue
        const batch: Batch = BatchSchema.parse(JSON.parse(payload))
        await tx.rawEvents.storeDerived([batch], now)
        applied++
      }
    }
    let group: Batch[] = []
    // Each event's results are filed as its writer could (deriveEvent), the memo per group:
    // what a group stores changes the checks the next one finds.
    let memo: AssertionMemo = new Map()
    const flush = async () => {
      if (group.length > 0)
        await tx.rawEvents.storeDerived(group, now, undefined, { resolved: true })
      group = []
      memo = new Map()
    }
    for (let afterId = 0; ;) {
      const page = await tx.rawEvents.pageRawEvents(afterId, REPLAY_PAGE)
      if (page.length === 0) break
      for (const r of page) {
        const b = order[next]
        if (b && b.receivedAt <= r.receivedAt) {
          await flush()
          await applyBatchesUpTo(r.receivedAt)
        }
        const derived = await derivedOf(tx, r, memo)
        if (derived) group.push(derived)
        else skipped++
        events++
        afterId = r.id
      }
      await flush()
    }
    await applyBatchesUpTo(undefined)
    await tx.replay.restoreEvaluations()
    return { batches: applied, events, skipped }
  })
}

export interface ImportResult {
  read: number
  stored: number
  duplicates: number
  invalid: number
  warnings: string[]
}

/**
 * Bulk import (collect openlineage, the bench): validates every event, then keeps them `chunk`
 * at a time, each chunk one transaction. An invalid event is skipped with a warning naming it.
 */
export async function importEvents(
  deps: Deps,
  records: Iterable<{ where: string; event: unknown }>,
  opts: { chunk?: number } = {},
): Promise<ImportResult> {
  const importer = createImporter(deps, opts)
  for (const rec of records) await importer.add(rec)
  return importer.finish()
}

/**
 * importEvents one record at a time, for a stream (collect openlineage reads files line by line):
 * `add` keeps a chunk once it is full (await it before the next), `finish` keeps the rest.
 * `onChunk` sees the running totals after each chunk is stored.
 */
export function createImporter(
  deps: Deps,
  opts: { chunk?: number; onChunk?: (totals: ImportResult) => void } = {},
): {
  add: (rec: { where: string; event: unknown }) => Promise<void>
  finish: () => Promise<ImportResult>
} {
  const size = opts.chunk ?? 5000
  const out: ImportResult = { read: 0, stored: 0, duplicates: 0, invalid: 0, warnings: [] }
  let pending: RawEventInput[] = []
  const flush = async () => {
    if (pending.length === 0) return
    const r = await ingestEvents(deps, pending)
    for (const s of r.stored) {
      if (s) out.stored++
      else out.duplicates++
    }
    pending = []
    opts.onChunk?.(out)
  }
  return {
    add: async (rec) => {
      out.read++
      const p = prepareEvent(rec.event)
      if (!p.ok) {
        out.invalid++
        out.warnings.push(`${rec.where}: skipped: ${p.reason}`)
        return
      }
      for (const w of p.warnings) out.warnings.push(`${rec.where}: ${w.path}: ${w.message}`)
      pending.push(p.item)
      if (pending.length >= size) await flush()
    },
    finish: async () => {
      await flush()
      return out
    },
  }
}

export interface Queued {
  /** False when the same event was already kept. */
  stored: boolean
  /** What was not applied of it (a domain-scoped event's claims on foreign inputs). */
  warnings: OlWarning[]
}

/**
 * Group commit for single-event POSTs: events that arrive while the store is busy with a group
 * are kept together in the next transaction, and each request is answered only after its commit
 * (so still durable). Each event is authorized inside that transaction (item.domain), not when
 * it arrived, so no write in between can make the check stale. If a group fails (a refused
 * event, ForeignWriteError), its events are retried one by one so only the bad one fails.
 */
export function createIngestQueue(deps: Deps): (item: RawEventInput) => Promise<Queued> {
  type Waiting = {
    item: RawEventInput
    resolve: (r: Queued) => void
    reject: (e: unknown) => void
  }
  let pending: Waiting[] = []
  let busy = false
  const answer = (r: RawStoreResult, i: number): Queued => ({
    stored: r.stored[i] === true,
    warnings: r.warnings[i] ?? [],
  })
  const store = async (group: Waiting[]) => {
    try {
      const r = await ingestEvents(
        deps,
        group.map((g) => g.item),
      )
      group.forEach((g, i) => g.resolve(answer(r, i)))
    } catch (e) {
      if (group.length === 1) {
        group[0]?.reject(e)
        return
      }
      for (const g of group) {
        try {
          g.resolve(answer(await ingestEvents(deps, [g.item]), 0))
        } catch (err) {
          g.reject(err)
        }
      }
    }
  }
  const flush = async () => {
    busy = true
    while (pending.length > 0) {
      const group = pending
      pending = []
      await store(group)
    }
    busy = false
  }
  return (item) =>
    new Promise((resolve, reject) => {
      pending.push({ item, resolve, reject })
      if (!busy) {
        busy = true
        setImmediate(() => void flush())
      }
    })
}
