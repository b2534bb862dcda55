import type { Ref } from '../../../collectors/batch.ts'
import type { SchemaObservation } from '../../queries/fold-batches.ts'
import { columnsHash } from '../../queries/merge.ts'
import { unnest } from './unnest.ts'
import type { Writes } from './writes.ts'

// storeBatch's schema versions on PostgreSQL (db/queries/store-versions.ts): the latest version
// of each dataset read in one statement, a new version whenever the columns differ from the
// latest, all inserted in one statement.

type Columns = SchemaObservation['columns']

export async function storeVersions(
  tx: Writes,
  schemas: readonly SchemaObservation[],
  dsId: (r: Ref) => number,
  now: string,
): Promise<void> {
  if (schemas.length === 0) return
  const ids = [...new Set(schemas.map((o) => dsId(o.dataset)))]
  let rows = await newVersions(tx, schemas, ids, dsId, now)
  if (rows.length === 0) return
  // A version to add: lock its datasets (in id order) and look again, so two replicas seeing
  // one new schema at once add it once.
  const changed = [...new Set(rows.map((x) => x.datasetId))].sort((a, b) => a - b)
  await tx.query(
    'select 1 from datasets where id = any($1::int8[]) order by id for no key update',
    [changed],
  )
  rows = await newVersions(tx, schemas, changed, dsId, now)
  if (rows.length === 0) return
  const u = unnest(
    { dataset_id: 'int8', columns_hash: 'text', columns: 'json', observed_at: 'text' },
    rows.length,
    (c, i) => {
      const x = rows[i]
      return c === 'dataset_id'
        ? x?.datasetId
        : c === 'columns_hash'
          ? x?.hash
          : c === 'columns'
            ? x?.columns
            : x?.observedAt
    },
  )
  tx.hold(
    `insert into dataset_versions (dataset_id, columns_hash, columns, observed_at)
     select u.dataset_id, u.columns_hash, u.columns::json, u.observed_at from ${u.from} order by u.ord`,
    u.values,
  )
}

interface VersionRow {
  datasetId: number
  hash: string
  columns: string
  observedAt: string
}

/** The versions the observations of datasets `ids` add to what is stored, in order. */
async function newVersions(
  tx: Writes,
  schemas: readonly SchemaObservation[],
  ids: readonly number[],
  dsId: (r: Ref) => number,
  now: string,
): Promise<VersionRow[]> {
  const latest = new Map<number, string>()
  const r = await tx.query<{ dataset_id: number; columns_hash: string }>(
    `select distinct on (dataset_id) dataset_id, columns_hash from dataset_versions
      where dataset_id = any($1::int8[]) order by dataset_id, id desc`,
    [ids],
  )
  for (const row of r.rows) latest.set(row.dataset_id, row.columns_hash)
  const wanted = new Set(ids)
  const seen = new Map<number, Columns>()
  const rows: VersionRow[] = []
  for (const o of schemas) {
    const datasetId = dsId(o.dataset)
    if (!wanted.has(datasetId)) continue
    const known = seen.get(datasetId)
    if (known && sameColumns(known, o.columns)) continue
    seen.set(datasetId, o.columns)
    const cols = o.columns.map((c) =>
      c.type === undefined ? { name: c.name } : { name: c.name, type: c.type },
    )
    const hash = columnsHash(cols)
    if (latest.get(datasetId) === hash) continue
    latest.set(datasetId, hash)
    rows.push({ datasetId, hash, columns: JSON.stringify(cols), observedAt: o.observedAt ?? now })
  }
  return rows
}

/** Same names and types in the same order: the same schema version. */
function sameColumns(a: Columns, b: Columns): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]
    const y = b[i]
    if (x?.name !== y?.name || x?.type !== y?.type) return false
  }
  return true
}
