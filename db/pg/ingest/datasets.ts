import type { Batch, Dataset, Ref } from '../../../collectors/batch.ts'
import { assertNotRaced, type Absent } from './absent.ts'
import { nodeSql, refsRead, writeNodes, type NodeTable } from './nodes.ts'
import { byKey, jsonOrNull, orNull, RefIds, refKey, RefSet, unnest } from './unnest.ts'
import type { Writes } from './writes.ts'

// storeBatch's datasets on PostgreSQL (db/queries/resolve-nodes.ts on SQLite): every dataset the
// batch names gets an id, aliases resolve to one node. What is stored is read in two statements,
// the SQLite algorithm runs on it in memory, and only rows it changes are written: one upsert per
// repeat of a name (usually one), rows in key order.

const FIELDS = [
  'domain',
  'owner',
  'kind',
  'description',
  'access',
  'contract_enforced',
  'columns',
  'tags',
  'meta',
  'source_file',
  'external_id',
] as const
type Field = (typeof FIELDS)[number]
/** An orchestrator's asset only fills these in (statements.ts `weak`). */
const WEAK: ReadonlySet<Field> = new Set(['kind', 'description', 'external_id'])
const JSON_FIELDS: ReadonlySet<Field> = new Set(['columns', 'tags', 'meta'])

/** A dataset's described fields as stored (json as its text). */
type Values = Record<Field, string | boolean | null>
type Stored = Values & { id: number }
/** A row selectNamed reads: a name's own (`alias` false) or the one its alias points at. */
type Read = Stored & {
  ord: number
  alias: boolean
  namespace: string | null
  name: string | null
  latestHash: string | null
}

const NONE = Object.fromEntries(FIELDS.map((f) => [f, null])) as Values

/** `columnsJson`: the columns' JSON texts encodeBatch wrote (StoreOptions.columnsJson), if known. */
const valuesOf = (d: Dataset, columnsJson?: ReadonlyMap<object, string>): Values => ({
  domain: orNull(d.domain),
  owner: orNull(d.owner),
  kind: orNull(d.kind),
  description: orNull(d.description),
  access: orNull(d.access),
  contract_enforced: orNull(d.contractEnforced),
  columns: (d.columns && columnsJson?.get(d.columns)) ?? jsonOrNull(d.columns),
  tags: jsonOrNull(d.tags),
  meta: jsonOrNull(d.meta),
  source_file: orNull(d.sourceFile),
  external_id: orNull(d.externalId),
})

/** The upsert's update (UPSERT below) in memory: what a stored row becomes. */
function apply(row: Values, v: Values): Values {
  const out = { ...row }
  for (const f of FIELDS)
    out[f] = WEAK.has(f) && v.kind === 'asset' ? (row[f] ?? v[f]) : (v[f] ?? row[f])
  return out
}

const same = (a: Values, b: Values) => FIELDS.every((f) => a[f] === b[f])

function unchanged(row: Values, v: Values): boolean {
  const asset = v.kind === 'asset'
  for (const f of FIELDS) {
    const was = row[f]
    if ((WEAK.has(f) && asset ? (was ?? v[f]) : (v[f] ?? was)) !== was) return false
  }
  return true
}

const COLUMNS = {
  namespace: 'text',
  name: 'text',
  ...Object.fromEntries(
    FIELDS.map((f) => [
      f,
      JSON_FIELDS.has(f) ? 'json' : f === 'contract_enforced' ? 'bool' : 'text',
    ]),
  ),
} as const

const setOf = (f: Field) =>
  WEAK.has(f)
    ? `case when excluded.kind = 'asset' then coalesce(t.${f}, excluded.${f}) else coalesce(excluded.${f}, t.${f}) end`
    : `coalesce(excluded.${f}, t.${f})`

const DATASETS: NodeTable<Values> = {
  what: 'dataset',
  columns: COLUMNS,
  apply,
  same,
  unchanged,
  ...nodeSql({
    table: 'datasets',
    fields: FIELDS,
    json: JSON_FIELDS as ReadonlySet<string>,
    setOf: (f) => setOf(f as Field),
    stamps: ['first_seen_at'],
  }),
}

/**
 * A stored row's columns, of its described fields only `read` (json as text): a field no value
 * of the batch gives (all null) leaves the row's as it is whatever it holds (apply), so it need
 * not be read, and reads as undefined on both sides of `same`.
 */
const STORED = (d: string, read: readonly Field[]) =>
  ['id', ...read]
    .map((f) => (JSON_FIELDS.has(f as Field) ? `${d}.${f}::text as ${f}` : `${d}.${f}`))
    .join(', ')

/** The newest schema version's hash of dataset `d` (storeVersions compares the batch's with it). */
const LATEST = (d: string) =>
  `(select v.columns_hash from dataset_versions v where v.dataset_id = ${d}.id order by v.id desc limit 1) as "latestHash"`

const NAMES = 'unnest($1::text[], $2::text[]) with ordinality as u(namespace, name, ord)'

/**
 * The rows of the names read, each by its place in the list read (`ord`, from 1), and of the
 * datasets the aliases among them point at (`alias`, with the dataset's own name).
 */
const selectNamed = (read: readonly Field[]) => `
select u.ord, false as alias, null as namespace, null as name, ${STORED('d', read)}, ${LATEST('d')}
  from ${NAMES} join datasets d on d.namespace = u.namespace and d.name = u.name
union all
select u.ord, true, d.namespace, d.name, ${STORED('d', read)}, ${LATEST('d')}
  from ${NAMES} join dataset_aliases a on a.namespace = u.namespace and a.name = u.name
  join datasets d on d.id = a.dataset_id`

/** selectNamed's text by the set of fields read (a bit each, in FIELDS order). */
const SELECTS = new Map<number, string>()
function selectFor(values: readonly Values[]): string {
  let bits = 0
  for (const v of values)
    for (let i = 0; i < FIELDS.length; i++) if (v[FIELDS[i] as Field] !== null) bits |= 1 << i
  let text = SELECTS.get(bits)
  if (text === undefined) {
    text = selectNamed(FIELDS.filter((_, i) => bits & (1 << i)))
    SELECTS.set(bits, text)
  }
  return text
}

/** Every ref a batch names a dataset by, once, in the order storeBatch resolves them. */
function mentioned(batch: Batch): Ref[] {
  const out: Ref[] = []
  for (const e of batch.edges) out.push(e.dataset)
  for (const c of batch.columnEdges) out.push(c.dataset, c.from)
  for (const c of batch.columnLineageInputs) out.push(c.dataset)
  for (const c of batch.checks) out.push(c.dataset)
  for (const a of batch.assertions) out.push(a.dataset)
  for (const m of batch.metrics) out.push(m.dataset)
  for (const pr of batch.products) for (const o of pr.outputs) out.push(o)
  return out
}

/** What resolveDatasets answers: each name's dataset id, and the newest schema hash of each read. */
export interface Resolved {
  ids: RefIds
  /** Every dataset id resolved, once each. */
  datasetIds: number[]
  /**
   * By dataset id, the hash of its newest version (null: none) as read before any write of this
   * batch; a dataset the batch inserts has none. A first guess storeVersions checks under lock.
   */
  latest: Map<number, string | null>
}

/** Every dataset the batch mentions gets an id; aliases (symlinks, asset URIs) resolve to one node. */
export async function resolveDatasets(
  tx: Writes,
  batch: Batch,
  now: string,
  absent?: Absent,
  columnsJson?: ReadonlyMap<object, string>,
): Promise<Resolved> {
  const refs = new Map<string, Ref>()
  // a name's key is built the first time it is met only
  const met = new RefSet()
  const add = (r: Ref, k?: string) => {
    if (met.add(r)) refs.set(k ?? refKey(r), r)
  }
  // each dataset's key and values, once
  const datasets = batch.datasets
  const keys = datasets.map(refKey)
  const values = datasets.map((d) => valuesOf(d, columnsJson))
  for (let i = 0; i < datasets.length; i++) {
    const d = datasets[i] as Dataset
    add(d, keys[i] as string)
    for (const a of d.aliases ?? []) add(a)
  }
  // the names only mentioned, once each, in order (a repeat would change nothing below)
  const namedMet = new RefSet()
  const namedKeys: string[] = []
  for (const r of mentioned(batch)) {
    if (!namedMet.add(r)) continue
    const k = refKey(r)
    namedKeys.push(k)
    add(r, k)
  }
  const latest = new Map<number, string | null>()
  if (refs.size === 0) return { ids: new RefIds(), datasetIds: [], latest }

  // An alias names the node it points at by that node's (namespace, name): its row key.
  const aliasTarget = new Map<string, string>()
  const stored = new Map<string, Stored>()
  const { keys: readKeys, params } = refsRead(refs)
  const read = await tx.query<Read>(selectFor(values), params)
  for (const row of read.rows) {
    const named = readKeys[row.ord - 1] as string
    latest.set(row.id, row.latestHash)
    if (!row.alias) {
      stored.set(named, row)
      continue
    }
    const ref = { namespace: row.namespace as string, name: row.name as string }
    const k = refKey(ref)
    stored.set(k, row)
    if (!refs.has(k)) refs.set(k, ref)
    aliasTarget.set(named, k)
  }
  // a scoped batch's names not stored at its check: stored now, by another transaction
  assertNotRaced('alias', absent?.aliases, aliasTarget.keys())

  // resolve-nodes.ts's walk, on what was read: each name's row, and what is said of each row.
  // a name of a stored row, or of one this batch creates
  const created = new Set<string>()
  const exists = (k: string) => stored.has(k) || created.has(k)
  const target = new Map<string, string>()
  // what is said of each row, in order
  const byRow = new Map<string, Values[]>()
  const say = (row: string, v: Values) => {
    const list = byRow.get(row)
    if (list) list.push(v)
    else byRow.set(row, [v])
  }
  const newAliases: { ref: Ref; row: string }[] = []
  for (let i = 0; i < datasets.length; i++) {
    const d = datasets[i] as Dataset
    const k = keys[i] as string
    const v = values[i] as Values
    const via = aliasTarget.get(k)
    if (via !== undefined) {
      target.set(k, via)
      say(via, v)
      continue
    }
    if (d.aliases && d.aliases.length > 0 && !exists(k)) {
      for (const a of d.aliases) {
        const ak = refKey(a)
        const t = aliasTarget.get(ak) ?? (exists(ak) ? ak : undefined)
        if (t !== undefined) {
          target.set(k, t)
          newAliases.push({ ref: d, row: t })
          say(t, v)
          break
        }
      }
    }
    // a repeat of a name already resolved is not written again (as on SQLite)
    if (target.has(k)) continue
    target.set(k, k)
    created.add(k)
    say(k, v)
  }
  const ensured: string[] = []
  for (const k of namedKeys) {
    if (target.has(k)) continue
    const via = aliasTarget.get(k)
    target.set(k, via ?? k)
    if (via === undefined && !exists(k)) {
      created.add(k)
      ensured.push(k)
    }
  }
  for (let i = 0; i < datasets.length; i++) {
    const d = datasets[i] as Dataset
    if (!d.aliases || d.aliases.length === 0) continue
    const dk = keys[i] as string
    const row = target.get(dk)
    if (row === undefined) continue
    for (const a of d.aliases) {
      // An alias that is itself a node stays a node; only other names point at this one.
      const ak = refKey(a)
      if (ak === dk || aliasTarget.has(ak) || exists(ak)) continue
      newAliases.push({ ref: a, row })
    }
  }

  for (const row of ensured) if (!byRow.has(row)) byRow.set(row, [NONE])
  const ids = new Map<string, number>()
  stored.forEach((row, k) => ids.set(k, row.id))
  await writeNodes(tx, DATASETS, byRow, stored, refs, now, ids, absent?.datasets)

  const aliasRows = new Map<string, { ref: Ref; datasetId: number }>()
  for (const a of newAliases) {
    const k = refKey(a.ref)
    const datasetId = ids.get(a.row)
    if (!aliasRows.has(k) && datasetId !== undefined) aliasRows.set(k, { ref: a.ref, datasetId })
  }
  if (aliasRows.size > 0) {
    const list = [...aliasRows].sort(([a], [b]) => byKey(a, b)).map(([, x]) => x)
    const u = unnest(
      { namespace: 'text', name: 'text', dataset_id: 'int8' },
      list.length,
      (c, i) => {
        const x = list[i]
        return c === 'dataset_id' ? x?.datasetId : c === 'name' ? x?.ref.name : x?.ref.namespace
      },
    )
    tx.hold(
      `insert into dataset_aliases (namespace, name, dataset_id)
       select u.namespace, u.name, u.dataset_id from ${u.from} order by u.ord
       on conflict do nothing`,
      u.values,
    )
  }

  const byRef = new RefIds()
  const resolved = new Set<number>()
  target.forEach((row, k) => {
    const id = ids.get(row)
    const ref = refs.get(k)
    if (id === undefined || !ref) return
    byRef.set(ref, id)
    resolved.add(id)
  })
  ids.forEach((id) => {
    if (!latest.has(id)) latest.set(id, null)
  })
  return { ids: byRef, datasetIds: [...resolved], latest }
}
