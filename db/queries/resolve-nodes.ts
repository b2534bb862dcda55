import type { Batch, Job, Ref } from '../../collectors/batch.ts'
import { refKey } from '../../collectors/batch.ts'
import type { NodeCache } from './node-cache.ts'
import {
  encodeBool,
  encodeJson,
  orNull,
  type ManyStatement,
  type NodeRow,
  type Statements,
} from './statements.ts'

// storeBatch's datasets and jobs: each gets an id, written only when the node cache says it changed.

/** Every dataset the batch mentions gets an id; aliases (symlinks, asset URIs) resolve to one node. */
export function resolveDatasets(
  s: Statements,
  batch: Batch,
  now: string,
  cache: NodeCache | undefined,
  /** The columns' JSON texts as encodeBatch wrote them (StoreOptions.columnsJson). */
  columnsJson?: ReadonlyMap<object, string>,
): Map<string, number> {
  const ids = new Map<string, number>()
  // No alias is written before the end, so the aliases among the batch's own names are read once.
  const aliases = aliasesOf(s, batch)
  const aliasTarget = (r: Ref): number | undefined => {
    const k = refKey(r)
    if (aliases.known.has(k)) return aliases.ids.get(k)
    return s.aliasByRef.get(r) as number | undefined
  }
  const existing = (r: Ref): number | undefined => {
    flush()
    return s.datasetByRef.get(r)?.id
  }
  // Datasets written by the one multi-row upsert, in batch order; flushed before anything that
  // reads or writes datasets row by row, so each statement sees what it saw one row at a time.
  const pending = upsertQueue(s.upsertDatasets, ids, cache?.datasets)
  const pendingKeys = pending.keys
  const flush = pending.flush

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
      columns: (d.columns && columnsJson?.get(d.columns)) ?? encodeJson(d.columns),
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
      // the same dataset twice: its first upsert wrote it (the cache of its rows is set at flush)
      if (pendingKeys.has(k)) flush()
      const again = cache?.datasets.get(k)
      if (again?.sig === sig) {
        ids.set(k, again.id)
        continue
      }
    }
    // Described under another of its names: what the batch says of it lands on that node.
    const viaAlias = aliasTarget(d)
    if (viaAlias !== undefined) {
      flush()
      ids.set(k, viaAlias)
      s.describeDataset.run({ ...values, id: viaAlias })
      continue
    }
    // A dataset named differently by another producer, whose alias is already a node, is that node.
    if (d.aliases && d.aliases.length > 0 && existing(d) === undefined) {
      for (const a of d.aliases) {
        const target = aliasTarget(a) ?? existing(a)
        if (target !== undefined) {
          ids.set(k, target)
          newAliases.push({ namespace: d.namespace, name: d.name, datasetId: target })
          flush()
          s.describeDataset.run({ ...values, id: target })
          break
        }
      }
    }
    if (ids.has(k) || pendingKeys.has(k)) continue
    pending.push(k, values, sig)
  }
  flush()

  // a collector shares one ref object among a node's edges and checks: each is looked at once
  const ensured = new Set<Ref>()
  const ensure = (r: Ref) => {
    if (ensured.has(r)) return
    const k = refKey(r)
    if (ids.has(k)) {
      ensured.add(r)
      return
    }
    const known = cache?.datasets.get(k)
    if (known) {
      ids.set(k, known.id)
      ensured.add(r)
      return
    }
    const viaAlias = aliasTarget(r)
    const id = viaAlias ?? s.ensureDataset.get({ namespace: r.namespace, name: r.name, now })?.id
    if (id === undefined) return
    ids.set(k, id)
    ensured.add(r)
    if (viaAlias === undefined) cache?.datasets.set(k, { id, sig: undefined })
  }
  for (const e of batch.edges) ensure(e.dataset)
  for (const c of batch.columnEdges) {
    ensure(c.dataset)
    ensure(c.from)
  }
  for (const c of batch.columnLineageInputs) ensure(c.dataset)
  for (const c of batch.checks) ensure(c.dataset)
  for (const a of batch.assertions) ensure(a.dataset)
  for (const m of batch.metrics) ensure(m.dataset)
  for (const pr of batch.products) pr.outputs.forEach(ensure)

  for (const d of batch.datasets) {
    const id = ids.get(refKey(d))
    if (id === undefined) continue
    for (const a of d.aliases ?? []) {
      // An alias that is itself a node stays a node; only other names point at this one.
      if (refKey(a) === refKey(d) || aliasTarget(a) !== undefined || existing(a) !== undefined)
        continue
      newAliases.push({ ...a, datasetId: id })
    }
  }
  for (const a of newAliases) s.insertAlias.run(a)
  // A new alias can turn a cached name into another node's alias.
  if (newAliases.length > 0) cache?.datasets.clear()
  return ids
}

/**
 * Upserts of datasets or jobs held for one multi-row statement, in order: `flush` writes them and
 * records each id (and, with a node cache, the upsert it had) by its ref key.
 */
function upsertQueue(
  stmt: ManyStatement<NodeRow>,
  ids: Map<string, number>,
  cache: Map<string, { id: number; sig: string | undefined }> | undefined,
) {
  const rows: { k: string; values: Record<string, unknown>; sig: string | undefined }[] = []
  const keys = new Set<string>()
  const flush = () => {
    if (rows.length === 0) return
    const byKey = new Map<string, number>()
    for (const row of stmt.all(rows.map((r) => r.values))) byKey.set(refKey(row), row.id)
    for (const { k, sig } of rows) {
      const id = byKey.get(k)
      if (id === undefined) continue
      ids.set(k, id)
      if (sig !== undefined) cache?.set(k, { id, sig })
    }
    rows.length = 0
    keys.clear()
  }
  return {
    keys,
    // written a full execution at a time, so a big batch's rows are not all held at once
    push: (k: string, values: Record<string, unknown>, sig: string | undefined) => {
      rows.push({ k, values, sig })
      keys.add(k)
      if (rows.length >= stmt.rows) flush()
    },
    flush,
  }
}

/** The aliases among the names of the batch's datasets (none read when the store has none). */
function aliasesOf(s: Statements, batch: Batch): { known: Set<string>; ids: Map<string, number> } {
  const ids = new Map<string, number>()
  const known = new Set<string>()
  if (batch.datasets.length === 0 || s.anyAlias.get({}) === undefined) {
    if (batch.datasets.length > 0) for (const d of batch.datasets) known.add(refKey(d))
    return { known, ids }
  }
  const refs: [string, string][] = []
  for (const d of batch.datasets) {
    const k = refKey(d)
    if (known.has(k)) continue
    known.add(k)
    refs.push([d.namespace, d.name])
  }
  for (const row of s.aliasesOfRefs.all({ refs: JSON.stringify(refs) }))
    ids.set(refKey(row), row.id)
  return { known, ids }
}

/** The values of an upsert, but its time: equal signatures write equal rows. */
function signature(values: Record<string, unknown>): string {
  const parts: unknown[] = []
  for (const k in values) if (k !== 'now') parts.push(values[k])
  return JSON.stringify(parts)
}

export function resolveJobs(
  s: Statements,
  batch: Batch,
  now: string,
  cache: NodeCache | undefined,
): Map<string, number> {
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
  // each job's key built once, and a known depth read without a new `seen` set (the comparator
  // calls, in the order sort makes them, compute the same depths as before)
  const keyOf = new Map(batch.jobs.map((j) => [j, refKey(j)]))
  const depthOfJob = (j: Job): number => {
    const k = keyOf.get(j)!
    return depth.get(k) ?? depthOf(k, new Set())
  }
  const ordered = [...batch.jobs].sort((a, b) => depthOfJob(a) - depthOfJob(b))

  // a collector shares one ref object among a job's edges: each is looked at once
  const ensured = new Set<Ref>()
  const ensure = (r: Ref) => {
    if (ensured.has(r)) return
    ensured.add(r)
    const k = refKey(r)
    if (ids.has(k) || byKey.has(k)) return
    const id =
      cache?.jobs.get(k)?.id ?? s.ensureJob.get({ namespace: r.namespace, name: r.name, now })?.id
    if (id === undefined) return
    ids.set(k, id)
    if (cache && !cache.jobs.has(k)) cache.jobs.set(k, { id, sig: undefined })
  }
  for (const j of batch.jobs) if (j.parent) ensure(j.parent)

  // Jobs written by the one multi-row upsert, in order; flushed before a job whose parent (or an
  // earlier copy of itself) is still pending, so its row carries the id one row at a time gave it.
  const pending = upsertQueue(s.upsertJobs, ids, cache?.jobs)
  const pendingKeys = pending.keys
  const flush = pending.flush

  for (const j of ordered) {
    const k = refKey(j)
    if (pendingKeys.has(k) || (j.parent && pendingKeys.has(refKey(j.parent)))) flush()
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
    pending.push(k, values, sig)
  }
  flush()
  for (const r of batch.runs) ensure(r.job)
  for (const e of batch.edges) ensure(e.job)
  return ids
}
