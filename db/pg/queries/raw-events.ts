import type pg from 'pg'
import type { Batch, Ref } from '../../../collectors/batch.ts'
import {
  dropForeignReads,
  emptyPending,
  findForeignWrite,
  ForeignWriteError,
  notePending,
  type NotApplied,
  type Pending,
  type ReadRef,
} from '../../queries/authorize.ts'
import { encodeBatch } from '../../queries/batch-codec.ts'
import {
  accumulateMeta,
  dbtNodeOf,
  isUnplaced,
  jobRefsOf,
  keepKnownProducts,
  nameDbtJobsByNode,
  resolveAssertionKeys,
  type AssertionMemo,
  type CheckRow,
  type DeriveReads,
  type OwnedRef,
} from '../../queries/derive-event.ts'
import { foldBatches } from '../../queries/fold-batches.ts'
import type * as lite from '../../queries/raw-events.ts'
import { mergeBatches, type RawEventInput, type RawStoreResult } from '../../queries/raw-events.ts'
import type { StoreResult } from '../../queries/store-batch.ts'
import type { RawEventRow, RunEvent } from '../../store.ts'
import type { Absent } from '../ingest/absent.ts'
import { readLookups } from '../ingest/authorize.ts'
import { withRetry } from '../ingest/retry.ts'
import { refKey } from '../ingest/unnest.ts'
import type { PgConn, PgModule } from '../module.ts'
import { inTransaction, isPool } from '../rows.ts'
import { catalog } from './catalog.ts'
import { writeIn } from './store-batch.ts'

// db/queries/raw-events.ts on PostgreSQL: the raw events kept by one set-based insert, and the
// lineage they imply derived by the same code as SQLite's (derive-event.ts) over rows read in
// bulk first (PgDeriveReads), then written by storeBatch's writeBatch, in one transaction.

const REFS = `(select u.namespace, u.name from unnest($1::text[], $2::text[]) as u(namespace, name))`
const refParams = (refs: Iterable<Ref>) => {
  const unique = [...new Map([...refs].map((r) => [refKey(r), r])).values()]
  return [unique.map((r) => r.namespace), unique.map((r) => r.name)]
}
const notRead = (what: string): never => {
  throw new Error(`derive: ${what} was not read first`)
}

/**
 * DeriveReads answered from rows read in bulk by `load(tx, batch)` (again after a rename: only
 * what was not read yet); asking for what no load read is a bug, never an answer of "none".
 */
class PgDeriveReads implements DeriveReads {
  private datasetIds = new Map<string, number | undefined>()
  private datasetRows = new Map<
    number,
    (OwnedRef & { meta: Record<string, unknown> | null }) | undefined
  >()
  private byKey = new Map<string, CheckRow | undefined>()
  private byName = new Map<string, (CheckRow & { name: string })[]>()
  private nodeJobs = new Map<string, string | undefined>()
  private jobMetas = new Map<string, Record<string, unknown> | null | undefined>()
  private origins = new Map<string, string | undefined>()

  async load(tx: pg.PoolClient, batch: Batch): Promise<void> {
    const dsRefs = [
      ...batch.assertions.filter((a) => !isUnplaced(a.dataset)).map((a) => a.dataset),
      ...batch.datasets.filter((d) => d.meta),
    ].filter((r) => !this.datasetIds.has(refKey(r)))
    if (dsRefs.length > 0) {
      const p = refParams(dsRefs)
      // one after the other: a pg client runs one query at a time
      const direct = await tx.query<Ref & { id: number }>(
        `select namespace, name, id from datasets where (namespace, name) in ${REFS}`,
        p,
      )
      const aliased = await tx.query<Ref & { id: number }>(
        `select namespace, name, min(dataset_id) as id from dataset_aliases
          where (namespace, name) in ${REFS} group by namespace, name`,
        p,
      )
      const found = new Map(aliased.rows.map((r) => [refKey(r), Number(r.id)]))
      for (const r of direct.rows) found.set(refKey(r), Number(r.id))
      for (const r of dsRefs) this.datasetIds.set(refKey(r), found.get(refKey(r)))
    }
    const ol = batch.assertions.filter((a) => a.origin === 'openlineage')
    const keys = [
      ...new Set(
        ol
          .filter((a) => isUnplaced(a.dataset))
          .map((a) => a.dataset.name)
          .filter((k) => !this.byKey.has(k)),
      ),
    ]
    const names = [...new Set(ol.map((a) => a.name).filter((n) => !this.byName.has(n)))]
    if (keys.length + names.length > 0) {
      const r = await tx.query<CheckRow & { name: string }>(
        `select key, dataset_id as "datasetId", name from checks
          where key = any($1::text[]) or name = any($2::text[]) order by key`,
        [keys, names],
      )
      for (const k of keys) this.byKey.set(k, undefined)
      for (const n of names) this.byName.set(n, [])
      for (const row of r.rows) {
        const c = { key: row.key, datasetId: Number(row.datasetId), name: row.name }
        if (this.byKey.has(c.key)) this.byKey.set(c.key, c)
        this.byName.get(c.name)?.push(c)
      }
    }
    const ids = new Set<number>()
    for (const id of this.datasetIds.values()) if (id !== undefined) ids.add(id)
    for (const c of this.byKey.values()) if (c) ids.add(c.datasetId)
    for (const list of this.byName.values()) for (const c of list) ids.add(c.datasetId)
    const newIds = [...ids].filter((id) => !this.datasetRows.has(id))
    if (newIds.length > 0) {
      const r = await tx.query<OwnedRef & { id: number; meta: Record<string, unknown> | null }>(
        'select id, namespace, name, domain, meta from datasets where id = any($1::int8[])',
        [newIds],
      )
      for (const id of newIds) this.datasetRows.set(id, undefined)
      for (const row of r.rows) {
        const { id, ...d } = row
        this.datasetRows.set(Number(id), d)
      }
    }
    const nodes = new Map<string, Ref>()
    for (const r of jobRefsOf(batch)) {
      const node = dbtNodeOf(r.name)
      const k = node && refKey({ namespace: r.namespace, name: node.uid })
      if (node && k && !this.nodeJobs.has(k))
        nodes.set(k, { namespace: r.namespace, name: node.uid })
    }
    if (nodes.size > 0) {
      const r = await tx.query<Ref & { externalId: string }>(
        `select distinct on (j.namespace, j.external_id) j.namespace, j.external_id as "externalId", j.name
           from jobs j where (j.namespace, j.external_id) in ${REFS} and j.name <> j.external_id
          order by j.namespace, j.external_id, j.id`,
        refParams(nodes.values()),
      )
      for (const k of nodes.keys()) this.nodeJobs.set(k, undefined)
      for (const row of r.rows)
        this.nodeJobs.set(refKey({ namespace: row.namespace, name: row.externalId }), row.name)
    }
    const jobs = batch.jobs.filter((j) => j.meta && !this.jobMetas.has(refKey(j)))
    if (jobs.length > 0) {
      const r = await tx.query<Ref & { meta: Record<string, unknown> | null }>(
        `select namespace, name, meta from jobs where (namespace, name) in ${REFS}`,
        refParams(jobs),
      )
      for (const j of jobs) this.jobMetas.set(refKey(j), undefined)
      for (const row of r.rows) this.jobMetas.set(refKey(row), row.meta)
    }
    const products = [...new Set(batch.products.map((p) => p.id))].filter(
      (id) => !this.origins.has(id),
    )
    if (products.length > 0) {
      const r = await tx.query<{ id: string; origin: string }>(
        'select id, origin from products where id = any($1::text[])',
        [products],
      )
      for (const id of products) this.origins.set(id, undefined)
      for (const row of r.rows) this.origins.set(row.id, row.origin)
    }
  }

  findDataset(r: Ref) {
    const k = refKey(r)
    return this.datasetIds.has(k) ? this.datasetIds.get(k) : notRead(`dataset ${r.name}`)
  }
  private row(id: number) {
    return this.datasetRows.has(id) ? this.datasetRows.get(id) : notRead(`dataset #${id}`)
  }
  datasetById(id: number) {
    const d = this.row(id)
    return d && { namespace: d.namespace, name: d.name, domain: d.domain }
  }
  datasetMeta(id: number) {
    return this.row(id)?.meta
  }
  checkByKey(key: string) {
    return this.byKey.has(key) ? this.byKey.get(key) : notRead(`check ${key}`)
  }
  private named(name: string) {
    return this.byName.get(name) ?? notRead(`checks named ${name}`)
  }
  checkOn(datasetId: number, name: string) {
    const c = this.named(name).find((x) => x.datasetId === datasetId)
    return c && { key: c.key, datasetId: c.datasetId }
  }
  uniqueCheckNamed(name: string) {
    const list = this.named(name)
    const c = list.length === 1 ? list[0] : undefined
    return c && { key: c.key, datasetId: c.datasetId }
  }
  jobByNode(namespace: string, uid: string) {
    const k = refKey({ namespace, name: uid })
    return this.nodeJobs.has(k) ? this.nodeJobs.get(k) : notRead(`job of node ${uid}`)
  }
  jobMeta(r: Ref) {
    const k = refKey(r)
    return this.jobMetas.has(k) ? this.jobMetas.get(k) : notRead(`job ${r.name}`)
  }
  productOrigin(id: string) {
    return this.origins.has(id) ? this.origins.get(id) : notRead(`product ${id}`)
  }
}

const RAW_COLUMNS = [
  'event_hash',
  'kind',
  'run_id',
  'job_namespace',
  'job_name',
  'event_type',
  'event_time',
  'received_at',
  'payload',
  'domain',
] as const

// A batch of events is one set-based insert (unnest of one array per column), deduplicated by the
// unique key with ON CONFLICT DO NOTHING.
const INSERT_RAW = `
insert into raw_events (${RAW_COLUMNS.join(', ')})
select ${RAW_COLUMNS.join(', ')}
  from unnest(${RAW_COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')})
       with ordinality as u(${RAW_COLUMNS.join(', ')}, ord)
 order by ord
    on conflict (event_time, event_hash) do nothing
returning event_time, event_hash`

/** Keeps raw events in order, in one statement; per event, true when it was new. */
async function keepRawEvents(q: PgConn, events: readonly RawEventRow[], now: string) {
  if (events.length === 0) return []
  const columns = [
    events.map((e) => e.eventHash),
    events.map((e) => e.kind),
    events.map((e) => e.runId),
    events.map((e) => e.jobNamespace),
    events.map((e) => e.jobName),
    events.map((e) => e.eventType),
    events.map((e) => e.eventTime),
    events.map(() => now),
    events.map((e) => e.payload),
    events.map((e) => e.domain),
  ]
  // The same event twice in a batch is kept once (the first).
  const r = await q.query<{ event_time: string; event_hash: string }>(INSERT_RAW, columns)
  const fresh = new Set(r.rows.map((x) => `${x.event_time}\u0000${x.event_hash}`))
  return events.map((e) => fresh.delete(`${e.eventTime}\u0000${e.eventHash}`))
}

/** A transaction of our own on the pool (retried when PostgreSQL aborts it), or the caller's. */
const inOwnTransaction = <T>(q: PgConn, fn: (tx: pg.PoolClient) => Promise<T>): Promise<T> =>
  isPool(q) ? withRetry(() => inTransaction(q, fn)) : fn(q)

async function storeRawEvents(
  q: PgConn,
  items: readonly RawEventInput[],
  now: string,
): Promise<RawStoreResult> {
  return inOwnTransaction(q, async (tx) => {
    const stored = await keepRawEvents(
      tx,
      items.map(({ batch: _b, reads: _r, ...e }) => ({ ...e, domain: e.domain ?? null })),
      now,
    )
    const warnings: NotApplied[][] = items.map(() => [])
    const fresh = items.flatMap((item, index) => (stored[index] ? [{ item, index }] : []))
    // Any domain-scoped event: every event is derived, authorized and noted one by one, in
    // order, each against the store and what the group's earlier events will have written.
    const scoped = items.some((i) => i.domain != null)
    const list: Batch[] = []
    let absent: Absent | undefined
    if (!scoped) list.push(...fresh.map((f) => f.item.batch))
    else if (fresh.length > 0) {
      const reads = new PgDeriveReads()
      await reads.load(tx, mergeBatches(fresh.map((f) => f.item.batch)))
      const memo: AssertionMemo = new Map()
      for (const { item } of fresh) deriveWith(reads, item, memo)
      // The rows read are locked until commit; rows not found are guarded by the write (absent.ts).
      const read = await readLookups(tx, mergeBatches(fresh.map((f) => f.item.batch)))
      const lookups = read.lookups
      absent = read.absent
      const pending = emptyPending()
      for (const { item, index } of fresh) {
        const d =
          item.domain == null
            ? { batch: item.batch, warnings: [] }
            : dropForeignReads(lookups, item.domain, item.batch, item.reads ?? [], pending)
        if (item.domain != null) {
          const denial = findForeignWrite(lookups, item.domain, d.batch, pending)
          if (denial) throw new ForeignWriteError(denial, index)
        }
        notePending(lookups, d.batch, pending)
        list.push(d.batch)
        warnings[index] = d.warnings
      }
    }
    const r = list.length === 0 ? undefined : await storeDerivedIn(tx, list, now, scoped, absent)
    return { stored, counts: r?.counts ?? {}, datasetIds: r?.datasetIds ?? [], warnings }
  })
}

/** deriveEvent's part that needs no authorization lookups: jobs renamed, results filed. */
function deriveWith(
  reads: DeriveReads,
  e: { batch: Batch; domain?: string | null | undefined },
  memo: AssertionMemo,
): void {
  if (e.batch.kind === 'openlineage') nameDbtJobsByNode(reads, e.batch)
  resolveAssertionKeys(reads, e.batch.assertions, e.domain ?? null, memo)
}

async function storeDerivedIn(
  tx: pg.PoolClient,
  list: readonly Batch[],
  now: string,
  resolved: boolean,
  absent?: Absent,
): Promise<StoreResult> {
  const { batch, schemas } = foldBatches(list)
  const reads = new PgDeriveReads()
  await reads.load(tx, batch)
  if (!resolved) resolveAssertionKeys(reads, batch.assertions, null, new Map())
  const extraOutputs = batch.kind === 'openlineage' ? keepKnownProducts(reads, batch) : []
  if (batch.kind === 'openlineage' && !resolved) nameDbtJobsByNode(reads, batch)
  if (batch.kind === 'openlineage') {
    await reads.load(tx, batch) // the renamed jobs' meta
    accumulateMeta(reads, batch)
  }
  const written = await writeIn(
    tx,
    batch,
    { contentHash: '', now, keepRaw: false, ...(schemas ? { schemas } : {}) },
    absent,
  )
  for (const { productId, dataset } of extraOutputs) {
    const datasetId = await catalog.findDataset(tx, dataset)
    if (datasetId !== undefined)
      await tx.query(
        'insert into product_outputs (product_id, dataset_id) values ($1, $2) on conflict do nothing',
        [productId, datasetId],
      )
  }
  return written
}

type RunEventRow = Omit<RunEvent, 'event'> & { payload: string }
type RawPageRow = { id: number; payload: string; receivedAt: string; domain: string | null }

export const rawEvents = {
  keepRawEvents,
  storeRawEvents,

  async storeDerived(q, list, now, _cache, opts = {}) {
    return inOwnTransaction(q, (tx) => storeDerivedIn(tx, list, now, opts.resolved === true))
  },

  async deriveEvent(q, e, memo, pending?: Pending) {
    return inOwnTransaction(q, async (tx) => {
      const reads = new PgDeriveReads()
      await reads.load(tx, e.batch)
      deriveWith(reads, e, memo)
      if (e.domain == null) return { batch: e.batch, warnings: [] }
      const { lookups } = await readLookups(tx, e.batch)
      return dropForeignReads(lookups, e.domain, e.batch, (e.reads ?? []) as ReadRef[], pending)
    })
  },

  async listRunEvents(q, runId) {
    const r = await q.query<RunEventRow>(
      `select id, event_hash as "eventHash", kind, run_id as "runId", job_namespace as "jobNamespace",
              job_name as "jobName", event_type as "eventType", event_time as "eventTime",
              received_at as "receivedAt", payload
         from raw_events where run_id = $1 order by id`,
      [runId],
    )
    return r.rows.map(({ payload, ...row }) => ({ ...row, event: JSON.parse(payload) as unknown }))
  },

  async listRawEventsBefore(q, olderThan, afterId, limit) {
    // Ids follow receipt: stop at the first event received since the cutoff.
    const r = await q.query<RawPageRow>(
      `select id, payload, received_at as "receivedAt", domain
         from raw_events
        where id > $1
          and id < coalesce((select min(id) from raw_events where id > $1 and received_at >= $2),
                            9223372036854775807)
        order by id limit $3`,
      [afterId, olderThan, limit],
    )
    return r.rows
  },

  async pageRawEvents(q, afterId, limit) {
    const r = await q.query<RawPageRow>(
      `select id, payload, received_at as "receivedAt", domain
         from raw_events where id > $1 order by id limit $2`,
      [afterId, limit],
    )
    return r.rows
  },

  async deleteRawEvents(q, ids) {
    await q.query('delete from raw_events where id = any($1::int8[])', [ids])
  },

  async keepCompactedBatch(q, batch, opts) {
    const summary = {
      datasets: batch.datasets.length,
      jobs: batch.jobs.length,
      runs: batch.runs.length,
    }
    await q.query(
      `insert into batches (kind, scope, content_hash, received_at, summary, payload)
       values ($1, $2, $3, $4, $5, $6) on conflict (content_hash) do nothing`,
      [
        batch.kind,
        batch.scope,
        opts.contentHash,
        opts.receivedAt,
        JSON.stringify(summary),
        encodeBatch(batch).payload,
      ],
    )
  },
} satisfies PgModule<typeof lite> & { keepRawEvents: typeof keepRawEvents }
