import { and, eq, ne } from 'drizzle-orm'
import { UNPLACED_TEST, type Assertion, type Batch, type Ref } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import { checks, datasets, jobs, products } from '../schema.ts'
import { findDataset } from './catalog.ts'

// What an OpenLineage event's batch becomes before it is stored (dbt-ol jobs named by their dbt
// node, results filed under known checks, products and meta accumulated), written once over the
// reads it makes of the store: SQLite answers them with point queries, PostgreSQL from rows it
// read in bulk first (db/pg/queries/raw-events.ts), as authorize.ts's Lookups are.

/** A dataset as stored: its row's ref and domain (null: unowned). */
export interface OwnedRef {
  namespace: string
  name: string
  domain: string | null
}

export interface CheckRow {
  key: string
  datasetId: number
}

/** The store reads deriving an event makes; each answer is the store's before the write. */
export interface DeriveReads {
  /** findDataset: a dataset of that name, else of that alias. */
  findDataset(r: Ref): number | undefined
  datasetById(id: number): OwnedRef | undefined
  datasetMeta(id: number): Record<string, unknown> | null | undefined
  checkByKey(key: string): CheckRow | undefined
  checkOn(datasetId: number, name: string): CheckRow | undefined
  /** The one check of that name, if exactly one has it. */
  uniqueCheckNamed(name: string): CheckRow | undefined
  /** The name of a job of `namespace` whose external id is `uid` and whose name is not. */
  jobByNode(namespace: string, uid: string): string | undefined
  jobMeta(r: Ref): Record<string, unknown> | null | undefined
  /** A stored product's origin; undefined when there is no such product. */
  productOrigin(id: string): string | undefined
}

const onDb = new WeakMap<Db, DeriveReads>()

/** A test result that names no dataset (dbt-ol's singular tests), placed by resolveAssertionKeys. */
export const isUnplaced = (r: Ref): boolean => r.namespace === UNPLACED_TEST

/** DeriveReads as point queries on a SQLite connection. */
export function sqliteDeriveReads(db: Db): DeriveReads {
  let reads = onDb.get(db)
  if (reads) return reads
  reads = {
    findDataset: (r) => findDataset(db, r),
    datasetById: (id) =>
      db
        .select({ namespace: datasets.namespace, name: datasets.name, domain: datasets.domain })
        .from(datasets)
        .where(eq(datasets.id, id))
        .get(),
    datasetMeta: (id) =>
      db.select({ meta: datasets.meta }).from(datasets).where(eq(datasets.id, id)).get()?.meta,
    checkByKey: (key) =>
      db
        .select({ key: checks.key, datasetId: checks.datasetId })
        .from(checks)
        .where(eq(checks.key, key))
        .get(),
    checkOn: (datasetId, name) =>
      db
        .select({ key: checks.key, datasetId: checks.datasetId })
        .from(checks)
        .where(and(eq(checks.datasetId, datasetId), eq(checks.name, name)))
        .get(),
    uniqueCheckNamed: (name) => {
      const rows = db
        .select({ key: checks.key, datasetId: checks.datasetId })
        .from(checks)
        .where(eq(checks.name, name))
        .limit(2)
        .all()
      return rows.length === 1 ? rows[0] : undefined
    },
    jobByNode: (namespace, uid) =>
      db
        .select({ name: jobs.name })
        .from(jobs)
        .where(and(eq(jobs.namespace, namespace), eq(jobs.externalId, uid), ne(jobs.name, uid)))
        .get()?.name,
    jobMeta: (r) =>
      db
        .select({ meta: jobs.meta })
        .from(jobs)
        .where(and(eq(jobs.namespace, r.namespace), eq(jobs.name, r.name)))
        .get()?.meta,
    productOrigin: (id) =>
      db.select({ origin: products.origin }).from(products).where(eq(products.id, id)).get()
        ?.origin,
  }
  onDb.set(db, reads)
  return reads
}

/** A dbt-ol structured-log statement sub-job: `<unique id>.sql.<n>` (collectors/openlineage/facets.ts). */
const DBT_STATEMENT_JOB =
  /^((?:model|snapshot|seed|function|test)\.[^.]+\.[^.]+(?:\.v\d+)?)(\.sql\.\d+)$/
const DBT_NODE_JOB = /^(model|snapshot|seed|function)\.[^.]+\.[^.]+(\.v\d+)?$/

/** The dbt unique id a job name stands for, and the statement suffix it keeps; undefined: none. */
export function dbtNodeOf(name: string): { uid: string; suffix: string } | undefined {
  const m = DBT_STATEMENT_JOB.exec(name)
  if (m?.[1]) return { uid: m[1], suffix: m[2] ?? '' }
  return DBT_NODE_JOB.test(name) ? { uid: name, suffix: '' } : undefined
}

/** Every job ref of a batch that nameDbtJobsByNode may rename. */
export function jobRefsOf(batch: Batch): Ref[] {
  const out: Ref[] = []
  for (const j of batch.jobs) out.push(j, ...(j.parent ? [j.parent] : []))
  for (const r of batch.runs) out.push(r.job)
  for (const e of batch.edges) out.push(e.job)
  return out
}

/**
 * dbt-ol's structured-log jobs named by a dbt unique id (`model.pkg.name`, a statement's
 * `model.pkg.name.sql.3`) that their event could not name as the node's job: they take the name
 * of the job whose external id is that unique id (collect dbt's, or dbt-ol's node event's), so one
 * dbt model is one job whichever mode named it. Jobs, parents, runs and edges are renamed alike.
 */
export function nameDbtJobsByNode(reads: DeriveReads, batch: Batch): void {
  const byId = new Map<string, string>()
  for (const j of batch.jobs)
    if (j.externalId && j.name !== j.externalId)
      byId.set(`${j.namespace}\u0000${j.externalId}`, j.name)
  const rename = (r: { namespace: string; name: string }): void => {
    const node = dbtNodeOf(r.name)
    if (!node) return
    const k = `${r.namespace}\u0000${node.uid}`
    let name = byId.get(k)
    if (name === undefined && !byId.has(k)) {
      name = reads.jobByNode(r.namespace, node.uid)
      byId.set(k, name ?? '')
    }
    if (name) r.name = `${name}${node.suffix}`
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
export function resolveAssertionKeys(
  reads: DeriveReads,
  list: Assertion[],
  domain: string | null,
  found: AssertionMemo,
): void {
  const checkOf = (a: Assertion): Hit => {
    if (a.dataset.namespace === UNPLACED_TEST) {
      // A test result that names no dataset (dbt-ol's singular tests): the dbt test of its id.
      const byKey = reads.checkByKey(a.dataset.name) ?? reads.uniqueCheckNamed(a.name)
      const ds = byKey && reads.datasetById(byKey.datasetId)
      if (!byKey || !ds || (domain !== null && ds.domain !== null && ds.domain !== domain))
        return null
      return { key: byKey.key, dataset: { namespace: ds.namespace, name: ds.name } }
    }
    const datasetId = reads.findDataset(a.dataset)
    const row =
      (datasetId === undefined ? undefined : reads.checkOn(datasetId, a.name)) ??
      reads.uniqueCheckNamed(a.name)
    if (!row) return null
    if (row.datasetId === datasetId && domain === null) return { key: row.key, dataset: a.dataset }
    const ds = reads.datasetById(row.datasetId)
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

/**
 * A data product an OpenLineage event implies (dbt-ol's public model, or a model's
 * meta.data_product) only adds what is not known yet: the product collect dbt or meshwatch.yml
 * describes (owner, SLA) is left as it is, and a known product of a data_product gains the
 * event's model as an output (each event names one of its models).
 */
export function keepKnownProducts(
  reads: DeriveReads,
  batch: Batch,
): { productId: string; dataset: Ref }[] {
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
    const origin = reads.productOrigin(p.id)
    if (origin === undefined) {
      fresh.set(p.id, p)
      return true
    }
    if (origin === 'dbt_meta' && p.origin === 'dbt_meta')
      for (const o of p.outputs) extra.push({ productId: p.id, dataset: o })
    return false
  })
  return extra
}

/**
 * OpenLineage describes a node piecemeal, so its meta adds keys to what is known (a dbt model's
 * meta, an earlier event's) instead of replacing it the way a full dbt snapshot does.
 */
export function accumulateMeta(reads: DeriveReads, batch: Batch): void {
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
    const id = reads.findDataset(d)
    return id === undefined ? undefined : reads.datasetMeta(id)
  })
  fold(batch.jobs, (j) => reads.jobMeta(j))
}
