import type { Batch, Ref } from '../../collectors/batch.ts'
import type { Db } from '../client.ts'
import { batchPayload } from './replay.ts'

// Per-object authorization of a domain-scoped write (DESIGN.md "Authorization"): any field that
// names an existing row is a write to that row's owner. It runs inside the write's own
// transaction (storeBatch, storeRawEvents), so no other write can come between check and write.

/** The first thing a batch may not write, with the batch's JSON path of the field naming it. */
export interface Denial {
  message: string
  path: string
  /** What was named: a dataset/job ref, a run id, a check key, a product id, a domain name. */
  what: 'dataset' | 'alias' | 'job' | 'run' | 'check' | 'product' | 'domain' | 'scope'
  ref: Ref | string
}

/** A refused domain-scoped write: 403 naming the resource, its owner and `path`. */
export class ForeignWriteError extends Error {
  override name = 'ForeignWriteError'
  readonly denial: Denial
  /** Which of several events (an OpenLineage batch) was refused. */
  readonly index: number | undefined
  constructor(denial: Denial, index?: number) {
    super(denial.message)
    this.denial = denial
    this.index = index
  }
}

/** A dataset as stored: its row's ref and domain (null: unowned). */
interface Owned {
  namespace: string
  name: string
  domain: string | null
}

/**
 * What earlier events of the same transaction did that the store does not show yet: the runs
 * they put under a job and the aliases they created. Checked before the store.
 */
export interface Pending {
  runs: Map<string, { job: Ref; domain: string | null }>
  aliases: Map<string, Owned>
}

export const emptyPending = (): Pending => ({ runs: new Map(), aliases: new Map() })

const key = (r: Ref): string => `${r.namespace}\u0000${r.name}`
const show = (r: Ref): string => `${r.namespace} ${r.name}`

/** What the checks read of the store (an engine may answer them from rows it read in bulk). */
export interface Lookups {
  datasetByAlias: (r: Ref) => Owned | undefined
  datasetByName: (r: Ref) => Owned | undefined
  job: (r: Ref) => string | null | undefined
  run: (runId: string) => { job: Ref; domain: string | null } | undefined
  check: (k: string) => Owned | undefined
  product: (id: string) => string | undefined
  /** The JSON of the newest kept batch of a kind and scope. */
  scopePayload: (kind: string, scope: string) => string | undefined
}

const prepared = new WeakMap<Db, Lookups>()

function lookupsOf(db: Db | Lookups): Lookups {
  if ('datasetByAlias' in db) return db
  let l = prepared.get(db)
  if (l) return l
  const c = db.$client
  const byAlias = c.prepare(
    `select d.namespace, d.name, d.domain from dataset_aliases a join datasets d on d.id = a.dataset_id
     where a.namespace = ? and a.name = ?`,
  )
  const byName = c.prepare(
    'select namespace, name, domain from datasets where namespace = ? and name = ?',
  )
  const job = c.prepare('select domain from jobs where namespace = ? and name = ?').pluck()
  const run = c.prepare(
    'select j.namespace, j.name, j.domain from runs r join jobs j on j.id = r.job_id where r.run_id = ?',
  )
  const check = c.prepare(
    'select d.namespace, d.name, d.domain from checks c join datasets d on d.id = c.dataset_id where c.key = ?',
  )
  const product = c.prepare('select domain from products where id = ?').pluck()
  const latestBatch = c
    .prepare('select id from batches where kind = ? and scope = ? order by id desc limit 1')
    .pluck()
  l = {
    datasetByAlias: (r) => byAlias.get(r.namespace, r.name) as Owned | undefined,
    datasetByName: (r) => byName.get(r.namespace, r.name) as Owned | undefined,
    job: (r) => job.get(r.namespace, r.name) as string | null | undefined,
    run: (id) => {
      const row = run.get(id) as Owned | undefined
      return row
        ? { job: { namespace: row.namespace, name: row.name }, domain: row.domain }
        : undefined
    },
    check: (k) => check.get(k) as Owned | undefined,
    product: (id) => product.get(id) as string | undefined,
    scopePayload: (kind, scope) => {
      const id = latestBatch.get(kind, scope) as number | undefined
      return id === undefined ? undefined : batchPayload(db, id)
    },
  }
  prepared.set(db, l)
  return l
}

/**
 * The dataset a name resolves to, as storeBatch resolves it (resolve-nodes.ts): an alias first,
 * then a dataset of that name; undefined when neither is stored (a new, unowned dataset).
 */
export function resolveOwned(db: Db | Lookups, r: Ref, pending?: Pending): Owned | undefined {
  const l = lookupsOf(db)
  return pending?.aliases.get(key(r)) ?? l.datasetByAlias(r) ?? l.datasetByName(r)
}

interface Write {
  what: 'dataset' | 'alias' | 'job' | 'run' | 'check' | 'product' | 'domain'
  ref: Ref | string
  path: string
  /** The domain the batch itself gives this dataset/job/product/domain record, if any. */
  assigns?: string | undefined
}

/** Every field of `batch` that names a row it writes, with its JSON path. */
function writesOf(batch: Batch): Write[] {
  const w: Write[] = []
  batch.domains.forEach((d, i) =>
    w.push({ what: 'domain', ref: d.name, path: `$.domains[${i}]`, assigns: d.name }),
  )
  batch.datasets.forEach((d, i) => {
    w.push({ what: 'dataset', ref: d, path: `$.datasets[${i}]`, assigns: d.domain })
    // An alias is a write to the dataset it resolves to (its writes land there).
    d.aliases?.forEach((a, j) =>
      w.push({ what: 'alias', ref: a, path: `$.datasets[${i}].aliases[${j}]` }),
    )
  })
  batch.jobs.forEach((j, i) => {
    w.push({ what: 'job', ref: j, path: `$.jobs[${i}]`, assigns: j.domain })
    // Hanging a job under another domain's job changes that job's tree (its children).
    if (j.parent) w.push({ what: 'job', ref: j.parent, path: `$.jobs[${i}].parent` })
  })
  batch.runs.forEach((r, i) => {
    w.push({ what: 'job', ref: r.job, path: `$.runs[${i}].job` })
    // A stored run belongs to its job's domain: reusing its id moves it and overwrites its state.
    w.push({ what: 'run', ref: r.runId, path: `$.runs[${i}].runId` })
    // So does naming it as a run's parent (its child runs are part of it).
    if (r.parentRunId !== undefined) {
      w.push({ what: 'run', ref: r.parentRunId, path: `$.runs[${i}].parentRunId` })
    }
  })
  batch.edges.forEach((e, i) => {
    w.push({ what: 'job', ref: e.job, path: `$.edges[${i}].job` })
    // Reading another domain's dataset (an input edge) is not a write.
    if (e.direction === 'output')
      w.push({ what: 'dataset', ref: e.dataset, path: `$.edges[${i}].dataset` })
  })
  // Column lineage is stored on the dataset it describes; its `from` side is only read.
  batch.columnEdges.forEach((c, i) =>
    w.push({ what: 'dataset', ref: c.dataset, path: `$.columnEdges[${i}].dataset` }),
  )
  batch.columnLineageInputs.forEach((c, i) =>
    w.push({ what: 'dataset', ref: c.dataset, path: `$.columnLineageInputs[${i}].dataset` }),
  )
  batch.checks.forEach((c, i) => {
    w.push({ what: 'dataset', ref: c.dataset, path: `$.checks[${i}].dataset` })
    // A stored check (its key) belongs to the owner of its dataset: reusing it re-points it.
    w.push({ what: 'check', ref: c.key, path: `$.checks[${i}].key` })
  })
  // A result or metric filed under a run is shown as part of that run: a write to its owner.
  batch.assertions.forEach((a, i) => {
    w.push({ what: 'dataset', ref: a.dataset, path: `$.assertions[${i}].dataset` })
    w.push({ what: 'check', ref: a.key, path: `$.assertions[${i}].key` })
    if (a.runId !== undefined)
      w.push({ what: 'run', ref: a.runId, path: `$.assertions[${i}].runId` })
  })
  batch.metrics.forEach((m, i) => {
    w.push({ what: 'dataset', ref: m.dataset, path: `$.metrics[${i}].dataset` })
    if (m.runId !== undefined) w.push({ what: 'run', ref: m.runId, path: `$.metrics[${i}].runId` })
  })
  batch.products.forEach((p, i) => {
    w.push({ what: 'product', ref: p.id, path: `$.products[${i}]`, assigns: p.domain })
    p.outputs.forEach((o, j) =>
      w.push({ what: 'dataset', ref: o, path: `$.products[${i}].outputs[${j}]` }),
    )
  })
  return w
}

const may = (domain: string) => `this token may only write domain ${domain}`

/**
 * What a domain-scoped token would write with this batch that it may not: a row stored as (or
 * assigned by the batch to) another domain, named by any field (a name, an alias, a run id, a
 * check key, a product id). Reading another domain's dataset (an input edge) is allowed.
 */
export function findForeignWrite(
  db: Db | Lookups,
  domain: string,
  batch: Batch,
  pending?: Pending,
): Denial | undefined {
  const l = lookupsOf(db)
  const writes = writesOf(batch)

  // A domain the batch itself gives a dataset/job counts as its owner wherever else it is named.
  const assigned = new Map<string, string>()
  for (const w of writes) {
    if (w.assigns !== undefined && typeof w.ref !== 'string')
      assigned.set(`${w.what}:${key(w.ref)}`, w.assigns)
  }
  const deny = (w: Write, message: string): Denial => ({
    message,
    path: w.path,
    what: w.what,
    ref: w.ref,
  })

  const scopeOwner = foreignScopeOwner(db, domain, batch)
  if (scopeOwner !== undefined) {
    return {
      message: `scope ${batch.scope} belongs to domain ${scopeOwner} (its latest ${batch.kind} batch describes it); ${may(domain)}`,
      path: '$.scope',
      what: 'scope',
      ref: batch.scope,
    }
  }

  for (const w of writes) {
    const ref = w.ref
    if (w.what === 'dataset' || w.what === 'alias') {
      const r = ref as Ref
      const owned = resolveOwned(db, r, pending)
      if (owned?.domain != null && owned.domain !== domain) {
        const target =
          owned.namespace === r.namespace && owned.name === r.name
            ? ''
            : ` (an alias of dataset ${show(owned)})`
        const named =
          w.what === 'alias'
            ? `alias ${show(r)} names dataset ${show(owned)}, which`
            : `dataset ${show(r)}${target}`
        return deny(w, `${named} belongs to domain ${owned.domain}; ${may(domain)}`)
      }
    } else if (w.what === 'job') {
      const owner = l.job(ref as Ref)
      if (owner != null && owner !== domain)
        return deny(w, `job ${show(ref as Ref)} belongs to domain ${owner}; ${may(domain)}`)
    } else if (w.what === 'run') {
      const run = pending?.runs.get(ref as string) ?? l.run(ref as string)
      if (run?.domain != null && run.domain !== domain) {
        return deny(
          w,
          `run ${ref as string} belongs to domain ${run.domain} (its job ${show(run.job)}); ${may(domain)}`,
        )
      }
    } else if (w.what === 'check') {
      const ds = l.check(ref as string)
      if (ds?.domain != null && ds.domain !== domain) {
        return deny(
          w,
          `check ${ref as string} belongs to domain ${ds.domain} (its dataset ${show(ds)}); ${may(domain)}`,
        )
      }
    } else if (w.what === 'product') {
      const owner = l.product(ref as string)
      if (owner != null && owner !== domain)
        return deny(w, `product ${ref as string} belongs to domain ${owner}; ${may(domain)}`)
    }
    const claim =
      w.assigns ?? (typeof ref === 'string' ? undefined : assigned.get(`${w.what}:${key(ref)}`))
    if (w.what === 'domain' && claim !== domain) {
      return deny(w, `the record of domain ${claim} belongs to domain ${claim}; ${may(domain)}`)
    }
    if (claim !== undefined && claim !== domain) {
      const label = typeof ref === 'string' ? `${w.what} ${ref}` : `${w.what} ${show(ref)}`
      return deny(w, `${label} is assigned to domain ${claim}; ${may(domain)}`)
    }
  }
  return undefined
}

/** Batch kinds whose scope is a whole dbt project or Airflow instance (gate --server's baseline). */
const SNAPSHOT_KINDS = new Set(['dbt', 'airflow'])

/**
 * A dbt project's or Airflow instance's scope belongs to the domains its latest kept batch gives
 * its jobs (else its products): the newest batch of a scope is what `gate --server` compares that project with, so a
 * batch under it is a write to them. The first other domain found, if any.
 */
function foreignScopeOwner(db: Db | Lookups, domain: string, batch: Batch): string | undefined {
  if (!SNAPSHOT_KINDS.has(batch.kind)) return undefined
  const payload = lookupsOf(db).scopePayload(batch.kind, batch.scope)
  if (payload === undefined) return undefined
  // What a project runs (its jobs: dbt models and tests, Airflow DAGs and tasks) is its own; the
  // datasets it names may be other domains' it reads. Without jobs, its products say.
  const kept = JSON.parse(payload) as Partial<Record<'jobs' | 'products', { domain?: unknown }[]>>
  for (const list of [kept.jobs, kept.products]) {
    const owners = (list ?? [])
      .map((x) => x.domain)
      .filter((d): d is string => typeof d === 'string')
    if (owners.length > 0) return owners.find((d) => d !== domain)
  }
  return undefined
}

/**
 * Records what an accepted batch of a group will have done (its runs' jobs, its aliases), so the
 * next events of the same transaction are checked against it too.
 */
export function notePending(db: Db | Lookups, batch: Batch, pending: Pending): void {
  const l = lookupsOf(db)
  for (const r of batch.runs)
    pending.runs.set(r.runId, { job: r.job, domain: l.job(r.job) ?? null })
  for (const d of batch.datasets) {
    if (!d.aliases?.length) continue
    const target = resolveOwned(db, d, pending) ?? {
      namespace: d.namespace,
      name: d.name,
      domain: d.domain ?? null,
    }
    for (const a of d.aliases)
      if (!resolveOwned(db, a, pending)) pending.aliases.set(key(a), target)
  }
}

/**
 * A batch's `datasets[]` entry for another domain's dataset that the batch only reads (named by
 * input edges, or column lineage's `from`, and by no field that writes it), and a bare `domains[]`
 * record of another domain (a dbt project's cross-project ref brings both): what it says is not
 * applied, so the batch is not refused for it. Returns the batch to store and a warning each.
 */
export function dropForeignBatchReads(
  db: Db | Lookups,
  domain: string,
  batch: Batch,
): { batch: Batch; warnings: NotApplied[] } {
  const read = new Set<string>()
  for (const e of batch.edges) if (e.direction === 'input') read.add(key(e.dataset))
  for (const c of batch.columnEdges) read.add(key(c.from))
  if (read.size === 0) return { batch, warnings: [] }
  const written = new Set<string>()
  for (const e of batch.edges) if (e.direction === 'output') written.add(key(e.dataset))
  for (const x of [
    ...batch.columnEdges,
    ...batch.columnLineageInputs,
    ...batch.checks,
    ...batch.assertions,
    ...batch.metrics,
  ]) {
    written.add(key(x.dataset))
  }
  for (const p of batch.products) for (const o of p.outputs) written.add(key(o))
  const warnings: NotApplied[] = []
  const droppedDomains = new Set<string>()
  const datasets = batch.datasets.filter((d, i) => {
    const k = key(d)
    if (!read.has(k) || written.has(k)) return true
    const owner = resolveOwned(db, d)?.domain ?? d.domain ?? null
    if (owner === null || owner === domain) return true
    if (d.domain !== undefined) droppedDomains.add(d.domain)
    warnings.push({
      path: `$.datasets[${i}]`,
      message: `dataset ${show(d)} belongs to domain ${owner}; this batch only reads it, so what it says of it was not applied`,
    })
    return false
  })
  const domains = batch.domains.filter((d, i) => {
    const bare = d.owner === undefined && d.description === undefined
    if (d.name === domain || !bare || !droppedDomains.has(d.name)) return true
    warnings.push({
      path: `$.domains[${i}]`,
      message: `domain ${d.name} is only named by datasets this batch reads; not applied`,
    })
    return false
  })
  return warnings.length === 0
    ? { batch, warnings }
    : { batch: { ...batch, datasets, domains }, warnings }
}

/** An input of an OpenLineage event that is not also one of its outputs: only read. */
export interface ReadRef extends Ref {
  /** Its JSON path in the event, e.g. `$.inputs[2]`. */
  path: string
}

/** Something an accepted event said that was not applied: where in the event, and why. */
export interface NotApplied {
  path: string
  message: string
}

/**
 * What an event says about a dataset it only reads, when that dataset belongs to another domain,
 * is not applied to it: the dataset's facts (schema, docs, owner, aliases), the test results,
 * metrics and column lineage filed on it are dropped; the input edge stays. Returns the batch to
 * store and one warning per dataset that lost something.
 */
export function dropForeignReads(
  db: Db | Lookups,
  domain: string,
  batch: Batch,
  reads: readonly ReadRef[],
  pending?: Pending,
): { batch: Batch; warnings: NotApplied[] } {
  if (reads.length === 0) return { batch, warnings: [] }
  const foreign = new Map<string, { read: ReadRef; owner: string; dropped: Set<string> }>()
  for (const r of reads) {
    const owner = resolveOwned(db, r, pending)?.domain
    if (owner != null && owner !== domain && !foreign.has(key(r)))
      foreign.set(key(r), { read: r, owner, dropped: new Set() })
  }
  if (foreign.size === 0) return { batch, warnings: [] }
  const hit = (r: Ref, what: string): boolean => {
    const f = foreign.get(key(r))
    f?.dropped.add(what)
    return f !== undefined
  }
  const out: Batch = {
    ...batch,
    datasets: batch.datasets.filter((d) => {
      if (!foreign.has(key(d))) return true
      for (const [field, label] of FACTS) if (d[field] !== undefined) hit(d, label)
      return false
    }),
    columnEdges: batch.columnEdges.filter((c) => !hit(c.dataset, 'column lineage')),
    columnLineageInputs: batch.columnLineageInputs.filter((c) => !hit(c.dataset, 'column lineage')),
    assertions: batch.assertions.filter((a) => !hit(a.dataset, 'test results')),
    metrics: batch.metrics.filter((m) => !hit(m.dataset, 'metrics')),
  }
  const warnings: NotApplied[] = []
  for (const { read, owner, dropped } of foreign.values()) {
    if (dropped.size === 0) continue
    warnings.push({
      path: read.path,
      message:
        `dataset ${show(read)} belongs to domain ${owner}; this event only reads it, so its ${[...dropped].join(', ')} ` +
        `were not applied (the input edge was kept)`,
    })
  }
  return { batch: out, warnings }
}

const FACTS: readonly [keyof Batch['datasets'][number], string][] = [
  ['columns', 'schema'],
  ['description', 'documentation'],
  ['owner', 'owner'],
  ['aliases', 'aliases'],
  ['meta', 'meta'],
  ['kind', 'kind'],
  ['tags', 'tags'],
  ['access', 'access'],
  ['contractEnforced', 'contract'],
  ['sourceFile', 'source file'],
  ['externalId', 'external id'],
  ['domain', 'domain'],
]
