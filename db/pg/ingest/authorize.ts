import type pg from 'pg'
import type { Batch, Ref } from '../../../collectors/batch.ts'
import type { Lookups } from '../../queries/authorize.ts'
import { decodeBatchPayload } from '../../queries/batch-codec.ts'
import type { Absent } from './absent.ts'
import { pgParams, refKey } from './unnest.ts'

// A domain-scoped batch's authorization on PostgreSQL: what db/queries/authorize.ts's checks ask
// of the store (who owns each dataset, alias, job, run, check and product the batch names, and
// its scope's newest batch), read in one statement each inside the write's transaction, then
// answered from memory by the same checks SQLite runs. Every row read is locked (FOR NO KEY
// UPDATE, each table in key order, tables in the order storeBatch writes them), so no other
// writer can change an owner between the check and the write; what is not found is returned as
// Absent, for the writers to refuse building on a row created since (absent.ts).

interface Owned {
  namespace: string
  name: string
  domain: string | null
}

const REFS = `(select u.namespace, u.name from unnest($1::text[], $2::text[]) as u(namespace, name))`

/** Every dataset name of the batch: the ones it writes and the ones it reads. */
function datasetRefs(batch: Batch): Ref[] {
  const out: Ref[] = []
  for (const d of batch.datasets) out.push(d, ...(d.aliases ?? []))
  for (const e of batch.edges) out.push(e.dataset)
  for (const c of batch.columnEdges) out.push(c.dataset, c.from)
  for (const x of [
    ...batch.columnLineageInputs,
    ...batch.checks,
    ...batch.assertions,
    ...batch.metrics,
  ])
    out.push(x.dataset)
  for (const p of batch.products) out.push(...p.outputs)
  return out
}

function jobRefs(batch: Batch): Ref[] {
  const out: Ref[] = []
  for (const j of batch.jobs) out.push(j, ...(j.parent ? [j.parent] : []))
  for (const r of batch.runs) out.push(r.job)
  for (const e of batch.edges) out.push(e.job)
  return out
}

const params = (refs: readonly Ref[]) => {
  const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()]
  return [unique.map((r) => r.namespace), unique.map((r) => r.name)]
}

const defined = (xs: readonly (string | undefined)[]) => [
  ...new Set(xs.filter((x): x is string => x !== undefined)),
]

/**
 * The lookups authorize.ts's checks make for `batch` (or any part of it), read in bulk on `tx`,
 * the rows found locked until `tx` ends; and the keys not found.
 */
export async function readLookups(
  tx: pg.PoolClient,
  batch: Batch,
): Promise<{ lookups: Lookups; absent: Absent }> {
  const dsParams = params(datasetRefs(batch))
  const runIds = defined([
    ...batch.runs.flatMap((r) => [r.runId, r.parentRunId]),
    ...batch.assertions.map((a) => a.runId),
    ...batch.metrics.map((m) => m.runId),
  ])
  const checkKeys = defined([...batch.checks, ...batch.assertions].map((c) => c.key))
  const jobParams = params(jobRefs(batch))
  const productIds = defined(batch.products.map((p) => p.id))
  const dsText = pgParams(dsParams)
  // One statement after another on the transaction's client (pg runs one at a time on a client
  // anyway), each table's rows locked in key order, the tables in the order storeBatch writes them.
  const aliases = await tx.query<Owned & { aliasNamespace: string; aliasName: string }>(
    `select a.namespace as "aliasNamespace", a.name as "aliasName", d.namespace, d.name, d.domain
         from dataset_aliases a join datasets d on d.id = a.dataset_id
        where (a.namespace, a.name) in ${REFS}
        order by a.namespace, a.name for no key update`,
    dsText,
  )
  const datasets = await tx.query<Owned>(
    `select namespace, name, domain from datasets where (namespace, name) in ${REFS}
        order by namespace, name for no key update`,
    dsText,
  )
  const jobs = await tx.query<Owned>(
    `select namespace, name, domain from jobs where (namespace, name) in ${REFS}
        order by namespace, name for no key update`,
    pgParams(jobParams),
  )
  const runs = await tx.query<Owned & { runId: string }>(
    `select r.run_id as "runId", j.namespace, j.name, j.domain
         from runs r join jobs j on j.id = r.job_id where r.run_id = any($1::text[])
        order by r.run_id for no key update`,
    pgParams([runIds]),
  )
  const checks = await tx.query<Owned & { key: string }>(
    `select c.key, d.namespace, d.name, d.domain
         from checks c join datasets d on d.id = c.dataset_id where c.key = any($1::text[])
        order by c.key for no key update`,
    pgParams([checkKeys]),
  )
  const products = await tx.query<{ id: string; domain: string }>(
    'select id, domain from products where id = any($1::text[]) order by id for no key update',
    pgParams([productIds]),
  )
  const scope = await tx.query<{ payload: Buffer }>(
    'select payload from batches where kind = $1 and scope = $2 order by id desc limit 1',
    [batch.kind, batch.scope],
  )
  const owned = (r: Owned): Owned => ({ namespace: r.namespace, name: r.name, domain: r.domain })
  const byAlias = new Map(
    aliases.rows.map((r) => [refKey({ namespace: r.aliasNamespace, name: r.aliasName }), owned(r)]),
  )
  const byName = new Map(datasets.rows.map((r) => [refKey(r), owned(r)]))
  const jobDomain = new Map(jobs.rows.map((r) => [refKey(r), r.domain]))
  const runOwner = new Map(
    runs.rows.map((r) => [
      r.runId,
      { job: { namespace: r.namespace, name: r.name }, domain: r.domain },
    ]),
  )
  const checkOwner = new Map(checks.rows.map((r) => [r.key, owned(r)]))
  const productDomain = new Map(products.rows.map((r) => [r.id, r.domain]))
  const payload = scope.rows[0]?.payload
  const scopeJson = payload === undefined ? undefined : decodeBatchPayload(payload)
  const keys = ([ns, names]: string[][]) =>
    (ns ?? []).map((n, i) => refKey({ namespace: n, name: names?.[i] ?? '' }))
  const missing = <K>(all: readonly K[], found: ReadonlyMap<K, unknown>) =>
    new Set(all.filter((k) => !found.has(k)))
  const absent: Absent = {
    datasets: missing(keys(dsParams), byName),
    aliases: missing(keys(dsParams), byAlias),
    jobs: missing(keys(jobParams), jobDomain),
    runs: missing(runIds, runOwner),
    checks: missing(checkKeys, checkOwner),
    products: missing(productIds, productDomain),
  }
  const lookups: Lookups = {
    datasetByAlias: (r) => byAlias.get(refKey(r)),
    datasetByName: (r) => byName.get(refKey(r)),
    job: (r) => jobDomain.get(refKey(r)),
    run: (id) => runOwner.get(id),
    check: (k) => checkOwner.get(k),
    product: (id) => productDomain.get(id),
    scopePayload: (kind, s) => (kind === batch.kind && s === batch.scope ? scopeJson : undefined),
  }
  return { lookups, absent }
}
