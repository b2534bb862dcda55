import type { Batch, Job, Ref } from '../../../collectors/batch.ts'
import type { Absent } from './absent.ts'
import { nodeSql, refsRead, writeNodes, type NodeTable } from './nodes.ts'
import { jsonOrNull, orNull, RefIds, refKey, RefSet } from './unnest.ts'
import type { Writes } from './writes.ts'

// storeBatch's jobs on PostgreSQL (resolveJobs in db/queries/resolve-nodes.ts): what is stored is
// read in one statement, only new or changed rows are written, parents before their children
// (a child carries its parent's id), each round one upsert in key order.

const FIELDS = [
  'domain',
  'owner',
  'type',
  'parent_id',
  'description',
  'schedule',
  'meta',
  'external_id',
] as const
type Field = (typeof FIELDS)[number]
const JSON_FIELDS: ReadonlySet<Field> = new Set(['schedule', 'meta'])

type Values = Record<Field, string | number | null>
type Stored = Values & { id: number }

const valuesOf = (j: Job, parentId: number | null): Values => ({
  domain: orNull(j.domain),
  owner: orNull(j.owner),
  type: j.type,
  parent_id: parentId,
  description: orNull(j.description),
  schedule: jsonOrNull(j.schedule),
  meta: jsonOrNull(j.meta),
  external_id: orNull(j.externalId),
})

/** A job only named (a parent, a run's or an edge's job): inserted as a plain 'job' if new. */
const ENSURED = { ...valuesOf({ namespace: '', name: '', type: 'job' }, null) }

/** The upsert's update in memory: a plain 'job' never overrides a known type. */
function apply(row: Values, v: Values): Values {
  const out = { ...row }
  for (const f of FIELDS)
    out[f] = f === 'type' ? (v.type === 'job' ? row.type : v.type) : (v[f] ?? row[f])
  return out
}

const same = (a: Values, b: Values) => FIELDS.every((f) => a[f] === b[f])

function unchanged(row: Values, v: Values): boolean {
  for (const f of FIELDS) {
    const was = row[f]
    if ((f === 'type' ? (v.type === 'job' ? was : v.type) : (v[f] ?? was)) !== was) return false
  }
  return true
}

const COLUMNS = {
  namespace: 'text',
  name: 'text',
  ...Object.fromEntries(
    FIELDS.map((f) => [f, JSON_FIELDS.has(f) ? 'json' : f === 'parent_id' ? 'int8' : 'text']),
  ),
} as const

const setOf = (f: Field) =>
  f === 'type'
    ? `case when excluded.type = 'job' then t.type else excluded.type end`
    : `coalesce(excluded.${f}, t.${f})`

const JOBS: NodeTable<Values> = {
  what: 'job',
  columns: COLUMNS,
  apply,
  same,
  unchanged,
  ...nodeSql({
    table: 'jobs',
    fields: FIELDS,
    json: JSON_FIELDS as ReadonlySet<string>,
    setOf: (f) => setOf(f as Field),
    stamps: [],
  }),
}

/**
 * The fields any of `jobs` gives: the only ones its upserts can change (apply keeps the row's
 * where a value is null, and its type where a job is a plain 'job'), so the only ones read.
 */
function said(jobs: readonly Job[]): Field[] {
  const given = new Set<Field>()
  for (const j of jobs) {
    // valuesOf's fields, without building them (parent_id is given where a parent is named)
    if (j.domain != null) given.add('domain')
    if (j.owner != null) given.add('owner')
    if (j.type !== 'job') given.add('type')
    if (j.parent) given.add('parent_id')
    if (j.description != null) given.add('description')
    if (j.schedule != null) given.add('schedule')
    if (j.meta != null) given.add('meta')
    if (j.externalId != null) given.add('external_id')
  }
  return FIELDS.filter((f) => given.has(f))
}

/** Every job the batch names gets an id; its parent's id is its parent_id. */
export async function resolveJobs(
  tx: Writes,
  batch: Batch,
  now: string,
  absent?: Absent,
): Promise<RefIds> {
  const refs = new Map<string, Ref>()
  // a name's key is built the first time it is met only
  const met = new RefSet()
  const add = (r: Ref, k?: string) => {
    if (met.add(r)) refs.set(k ?? refKey(r), r)
  }
  // each listed job's key, once
  const keys = new Map<Job, string>()
  for (const j of batch.jobs) {
    const k = refKey(j)
    keys.set(j, k)
    add(j, k)
    if (j.parent) add(j.parent)
  }
  const keyOf = (j: Job): string => keys.get(j) ?? refKey(j)
  for (const r of batch.runs) add(r.job)
  for (const e of batch.edges) add(e.job)
  if (refs.size === 0) return new RefIds()

  const stored = new Map<string, Stored>()
  const { keys: readKeys, params } = refsRead(refs)
  const read = await tx.query<Stored & { ord: number }>(JOBS.selectSome(said(batch.jobs)), params)
  for (const row of read.rows) stored.set(readKeys[row.ord - 1] as string, row)
  const ids = new Map<string, number>()
  stored.forEach((row, k) => ids.set(k, row.id))

  // SQLite's order (resolve-nodes.ts): parents first. A parent the batch lists later (a cycle)
  // has no id yet when its child is written there: the child keeps the parent it had.
  const listed = new Map(batch.jobs.map((j) => [keyOf(j), j]))
  const depth = new Map<string, number>()
  const depthOf = (k: string, seen: Set<string>): number => {
    const known = depth.get(k)
    if (known !== undefined) return known
    const parent = listed.get(k)?.parent
    const pk = parent ? refKey(parent) : undefined
    const d = pk !== undefined && listed.has(pk) && !seen.has(pk) ? depthOf(pk, seen.add(k)) + 1 : 0
    depth.set(k, d)
    return d
  }
  const depthFirst = (k: string): number => depth.get(k) ?? depthOf(k, new Set())
  // without a parent every depth is 0: the (stable) sort would keep the batch's order
  const parents = batch.jobs.some((j) => j.parent)
  const ordered = parents
    ? [...batch.jobs].sort((a, b) => depthFirst(keyOf(a)) - depthFirst(keyOf(b)))
    : batch.jobs
  const place = new Map<string, number>()
  if (parents)
    ordered.forEach((j, i) => {
      const k = keyOf(j)
      if (!place.has(k)) place.set(k, i)
    })

  // Named only: written when new, as a plain 'job' (in the first round, with the roots).
  let pending: { key: string; job: Job | undefined; parent: string | undefined }[] = []
  for (const k of refs.keys())
    if (!listed.has(k) && !stored.has(k))
      pending.push({ key: k, job: undefined, parent: undefined })
  ordered.forEach((j, i) => {
    const pk = j.parent ? refKey(j.parent) : undefined
    const at = pk === undefined ? undefined : place.get(pk)
    const parent = pk !== undefined && (at === undefined || at < i) ? pk : undefined
    pending.push({ key: keyOf(j), job: j, parent })
  })

  // Rounds: a job whose parent has no id yet waits for the round that writes the parent.
  while (pending.length > 0) {
    const ready = pending.filter((p) => p.parent === undefined || ids.has(p.parent))
    const round = ready.length > 0 ? ready : pending
    const done = new Set(ready)
    pending = ready.length > 0 ? pending.filter((p) => !done.has(p)) : []
    const byRow = new Map<string, Values[]>()
    for (const p of round) {
      const parent = p.parent === undefined ? null : (ids.get(p.parent) ?? null)
      const values = p.job ? valuesOf(p.job, parent) : ENSURED
      const list = byRow.get(p.key)
      if (list) list.push(values)
      else byRow.set(p.key, [values])
    }
    await writeNodes(tx, JOBS, byRow, stored, refs, now, ids, absent?.jobs)
  }
  const byRef = new RefIds()
  ids.forEach((id, k) => {
    const ref = refs.get(k)
    if (ref) byRef.set(ref, id)
  })
  return byRef
}
