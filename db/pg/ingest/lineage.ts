import type { Batch, ColumnEdge, Ref } from '../../../collectors/batch.ts'
import { byKey, layers, orNull, unnest } from './unnest.ts'
import type { Writes } from './writes.ts'

// storeBatch's domains, lineage edges and column lineage on PostgreSQL. Where SQLite deletes a
// snapshot's rows and inserts them again, only the rows the new snapshot no longer has are
// deleted and only new ones inserted, so storing the same snapshot again rewrites nothing.

const DERIVED_SOURCES = ['dbt_compiled', 'dbt_uncompiled']

export async function storeDomains(
  tx: Writes,
  domains: Batch['domains'],
  now: string,
): Promise<void> {
  // Repeats folded as the upserts' coalesce applies them: a later defined value wins.
  const folded = new Map<string, Batch['domains'][number]>()
  for (const d of domains) {
    const prev = folded.get(d.name)
    folded.set(d.name, {
      name: d.name,
      ...((d.owner ?? prev?.owner) !== undefined ? { owner: d.owner ?? prev?.owner } : {}),
      ...((d.description ?? prev?.description) !== undefined
        ? { description: d.description ?? prev?.description }
        : {}),
    })
  }
  if (folded.size === 0) return
  // Read first, and only new or changed rows upserted: an upsert whose update does nothing still
  // locks the row it finds until commit, and most batches name domains that are stored as they
  // say, so two writers of the same domain's batches would wait for each other's whole
  // transaction. A row changed by another writer since this read is one that writer changed
  // after this batch (a serial order); one it inserted meanwhile is upserted here as before.
  const stored = await tx.query<{ name: string; owner: string | null; description: string | null }>(
    'select name, owner, description from domains where name = any($1::text[])',
    [[...folded.keys()]],
  )
  for (const row of stored.rows) {
    const d = folded.get(row.name)
    if (
      d &&
      (d.owner ?? row.owner) === row.owner &&
      (d.description ?? row.description) === row.description
    )
      folded.delete(row.name)
  }
  if (folded.size > 0) {
    const part = [...folded.values()].sort((a, b) => byKey(a.name, b.name))
    const u = unnest({ name: 'text', owner: 'text', description: 'text' }, part.length, (c, i) => {
      const d = part[i]
      return c === 'name' ? d?.name : c === 'owner' ? d?.owner : d?.description
    })
    tx.hold(
      `insert into domains as t (name, owner, description, updated_at)
       select u.name, u.owner, u.description, $4::text from ${u.from} order by u.ord
           on conflict (name) do update
          set owner = coalesce(excluded.owner, t.owner),
              description = coalesce(excluded.description, t.description),
              updated_at = excluded.updated_at
        where (coalesce(excluded.owner, t.owner), coalesce(excluded.description, t.description))
              is distinct from (t.owner, t.description)`,
      [...u.values, now],
    )
  }
}

interface EdgeRow {
  jobId: number
  datasetId: number
  direction: 'input' | 'output'
}

const edgeKey = (e: EdgeRow) => `${e.jobId}:${e.datasetId}:${e.direction}`
const byEdge = (a: EdgeRow, b: EdgeRow) =>
  a.jobId - b.jobId || a.datasetId - b.datasetId || byKey(a.direction, b.direction)

/** The batch's edges; a snapshot (replaceEdges) drops its jobs' edges it no longer has. */
export async function storeEdges(
  tx: Writes,
  batch: Batch,
  jobId: (r: Ref) => number,
  dsId: (r: Ref) => number,
  now: string,
): Promise<void> {
  const rows = new Map<string, EdgeRow>()
  for (const e of batch.edges) {
    const row = { jobId: jobId(e.job), datasetId: dsId(e.dataset), direction: e.direction }
    rows.set(edgeKey(row), row)
  }
  const list = [...rows.values()].sort(byEdge)
  const u = unnest(
    { job_id: 'int8', dataset_id: 'int8', direction: 'text' },
    list.length,
    (c, i) => {
      const e = list[i]
      return c === 'job_id' ? e?.jobId : c === 'dataset_id' ? e?.datasetId : e?.direction
    },
  )
  if (batch.replaceEdges && batch.jobs.length > 0) {
    const jobs = [...new Set(batch.jobs.map(jobId))]
    tx.hold(
      `delete from lineage_edges e
        where e.job_id = any($4::int8[])
          and not exists (select 1 from ${u.from}
                           where u.job_id = e.job_id and u.dataset_id = e.dataset_id
                             and u.direction = e.direction)`,
      [...u.values, jobs],
    )
  }
  if (list.length === 0) return
  // Edges already stored (most, batch after batch) are left out by an anti-join, cheaper than
  // the conflict check of each; one another writer inserts meanwhile still meets ON CONFLICT.
  tx.hold(
    `insert into lineage_edges (job_id, dataset_id, direction, updated_at)
     select u.job_id, u.dataset_id, u.direction, $4::text from ${u.from}
      where not exists (select 1 from lineage_edges e
                         where e.job_id = u.job_id and e.dataset_id = u.dataset_id
                           and e.direction = u.direction)
      order by u.ord
         on conflict do nothing`,
    [...u.values, now],
  )
}

const COLUMN_EDGE = {
  dataset_id: 'int8',
  column: 'text',
  from_dataset_id: 'int8',
  from_column: 'text',
  transformation: 'text',
  source: 'text',
} as const

interface ColumnEdgeRow {
  dataset_id: number
  column: string
  from_dataset_id: number
  from_column: string
  transformation: string | null
  source: NonNullable<ColumnEdge['source']>
}

/**
 * Column lineage as db/queries/store-batch.ts stores it: a dbt re-collect replaces the edges it
 * derived from the SQL of the models it writes, except for a model whose lineage inputs are
 * unchanged (the hash the store has). Returns how many models kept their edges.
 */
export async function storeColumnLineage(
  tx: Writes,
  batch: Batch,
  dsId: (r: Ref) => number,
  now: string,
): Promise<number> {
  const kept = new Set<number>()
  // The stored inputs of the batch's models: which unchanged ones are kept, and (as for domains)
  // which inputs are stored as the batch says, so not upserted (and locked) again.
  const stored = new Map<number, { hash: string; columns: string }>()
  const inputIds = [...new Set(batch.columnLineageInputs.map((c) => dsId(c.dataset)))]
  if (inputIds.length > 0) {
    const r = await tx.query<{ dataset_id: number; hash: string; columns: string }>(
      `select dataset_id, hash, columns::text as columns from column_lineage_inputs
        where dataset_id = any($1::int8[])`,
      [inputIds],
    )
    for (const x of r.rows) stored.set(x.dataset_id, x)
  }
  for (const c of batch.columnLineageInputs) {
    const id = dsId(c.dataset)
    if (c.unchanged && stored.get(id)?.hash === c.hash) kept.add(id)
  }
  // Inserted with ON CONFLICT DO NOTHING on SQLite: the first of a key wins.
  const edges = new Map<string, ColumnEdgeRow>()
  for (const c of batch.columnEdges) {
    const row: ColumnEdgeRow = {
      dataset_id: dsId(c.dataset),
      column: c.column,
      from_dataset_id: dsId(c.from),
      from_column: c.fromColumn,
      transformation: orNull(c.transformation),
      source: c.source ?? 'openlineage',
    }
    const k = JSON.stringify([
      row.dataset_id,
      row.column,
      row.from_dataset_id,
      row.from_column,
      row.source,
    ])
    if (!edges.has(k)) edges.set(k, row)
  }
  const list = [...edges.entries()].sort(([a], [b]) => byKey(a, b)).map(([, row]) => row)
  const u = unnest(COLUMN_EDGE, list.length, (c, i) => list[i]?.[c as keyof ColumnEdgeRow])
  const inputs = batch.columnLineageInputs.filter((c) => !c.unchanged || kept.has(dsId(c.dataset)))

  if (batch.kind === 'dbt' && batch.replaceEdges) {
    const replaced = [
      ...new Set(
        batch.edges
          .filter((e) => e.direction === 'output')
          .map((e) => dsId(e.dataset))
          .filter((id) => !kept.has(id)),
      ),
    ]
    const any = await tx.query(
      `select 1 from column_edges where source = any($1::text[]) limit 1`,
      [DERIVED_SOURCES],
    )
    if (replaced.length > 0 && any.rows.length > 0) {
      const n = u.values.length
      tx.hold(
        `delete from column_edges e
          where e.dataset_id = any($${n + 1}::int8[]) and e.source = any($${n + 2}::text[])
            and not exists (select 1 from ${u.from}
                             where u.dataset_id = e.dataset_id and u."column" = e."column"
                               and u.from_dataset_id = e.from_dataset_id and u.from_column = e.from_column
                               and u.source = e.source
                               and u.transformation is not distinct from e.transformation)`,
        [...u.values, replaced, DERIVED_SOURCES],
      )
      const rewritten = new Set(inputs.map((c) => dsId(c.dataset)))
      tx.hold('delete from column_lineage_inputs where dataset_id = any($1::int8[])', [
        replaced.filter((id) => !rewritten.has(id)),
      ])
    }
  }

  // A model named once whose stored inputs are the batch's is left as it is.
  const times = new Map<number, number>()
  for (const c of inputs) times.set(dsId(c.dataset), (times.get(dsId(c.dataset)) ?? 0) + 1)
  const changed = inputs.filter((c) => {
    const id = dsId(c.dataset)
    const s = stored.get(id)
    return !(times.get(id) === 1 && s?.hash === c.hash && s.columns === JSON.stringify(c.columns))
  })
  // A repeated model's later inputs overwrite its first: a statement each, in order.
  const inputLayers = layers(changed, (c) => String(dsId(c.dataset)))
  for (const part of inputLayers) {
    part.sort((a, b) => dsId(a.dataset) - dsId(b.dataset))
    const v = unnest({ dataset_id: 'int8', hash: 'text', columns: 'json' }, part.length, (c, i) => {
      const x = part[i]
      if (!x) return null
      return c === 'dataset_id'
        ? dsId(x.dataset)
        : c === 'hash'
          ? x.hash
          : JSON.stringify(x.columns)
    })
    const sql = `insert into column_lineage_inputs as t (dataset_id, hash, columns, updated_at)
       select u.dataset_id, u.hash, u.columns::json, $4::text from ${v.from} order by u.ord
           on conflict (dataset_id) do update
          set hash = excluded.hash, columns = excluded.columns, updated_at = excluded.updated_at
        where (excluded.hash, excluded.columns::text) is distinct from (t.hash, t.columns::text)`
    if (inputLayers.length === 1) tx.hold(sql, [...v.values, now])
    else await tx.query(sql, [...v.values, now])
  }

  if (list.length > 0) {
    tx.hold(
      `insert into column_edges (dataset_id, "column", from_dataset_id, from_column, transformation, source)
       select u.dataset_id, u."column", u.from_dataset_id, u.from_column, u.transformation, u.source
         from ${u.from} order by u.ord
           on conflict do nothing`,
      u.values,
    )
  }
  return kept.size
}
