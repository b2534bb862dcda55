import type * as lite from '../../queries/column-lineage.ts'
import {
  disagreements,
  expandWideRows,
  type ColumnEdgeRow,
  type ColumnHop,
  type ColumnRef,
  type DatasetInfo,
  type ExposureUse,
} from '../../queries/column-lineage.ts'
import type { PgConn, PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { columnEdges } from '../schema.ts'

// Column lineage on PostgreSQL. A column walk is one statement per depth (the frontier's
// datasets as one array): its keys are JavaScript's lower-cased names, which PostgreSQL's lower()
// under "C" would not reproduce beyond ASCII, so the frontier is kept here as SQLite's is.

const EDGE = columnsOf(columnEdges)
const EDGE_ORDER = 'dataset_id, "column", from_dataset_id, from_column, source'
const isDirect = (t: string | null) => !t?.startsWith('INDIRECT')

async function storedWhere(
  q: PgConn,
  key: 'dataset_id' | 'from_dataset_id',
  ids: number[],
): Promise<ColumnEdgeRow[]> {
  if (ids.length === 0) return []
  const r = await q.query<ColumnEdgeRow>(
    `select ${EDGE} from column_edges where ${key} = any($1::int8[]) order by ${key}, ${EDGE_ORDER}`,
    [ids],
  )
  return r.rows
}

/** The stored edges, the dataset-wide ones (column `*`) expanded as SQLite's reader does. */
async function edgesWhere(
  q: PgConn,
  key: 'dataset_id' | 'from_dataset_id',
  ids: number[],
): Promise<ColumnEdgeRow[]> {
  const rows = await storedWhere(q, key, ids)
  return expandDatasetWide(q, rows, key === 'dataset_id' ? rows : undefined)
}

async function expandDatasetWide<
  R extends Pick<ColumnEdgeRow, 'datasetId' | 'column' | 'fromDatasetId' | 'fromColumn' | 'source'>,
>(q: PgConn, rows: R[], into?: ColumnEdgeRow[]): Promise<R[]> {
  const ids = [...new Set(rows.filter((r) => r.column === '*').map((r) => r.datasetId))]
  if (!ids.length) return rows
  return expandWideRows(rows, into ?? (await storedWhere(q, 'dataset_id', ids)))
}

async function walkColumns(
  q: PgConn,
  start: ColumnRef,
  direction: 'upstream' | 'downstream',
  maxDepth = 64,
): Promise<ColumnHop[]> {
  const seen = new Map<string, ColumnHop>()
  const key = (c: ColumnRef) => `${c.datasetId}\u0000${c.column.toLowerCase()}`
  let frontier: ColumnRef[] = [start]
  const visited = new Set([key(start)])
  const continued = new Set<string>()
  for (let depth = 1; depth <= maxDepth && frontier.length; depth++) {
    const ids = [...new Set(frontier.map((c) => c.datasetId))]
    const wanted = new Set(frontier.map(key))
    const rows = await edgesWhere(
      q,
      direction === 'upstream' ? 'dataset_id' : 'from_dataset_id',
      ids,
    )
    const next: ColumnRef[] = []
    for (const r of rows) {
      const here =
        direction === 'upstream'
          ? { datasetId: r.datasetId, column: r.column }
          : { datasetId: r.fromDatasetId, column: r.fromColumn }
      if (!wanted.has(key(here))) continue
      if (isDirect(r.transformation)) continued.add(key(here))
      const there: ColumnRef =
        direction === 'upstream'
          ? { datasetId: r.fromDatasetId, column: r.fromColumn }
          : { datasetId: r.datasetId, column: r.column }
      const k = key(there)
      const direct = isDirect(r.transformation)
      const hop = seen.get(k)
      if (hop) {
        if (!hop.sources.includes(r.source)) hop.sources.push(r.source)
        if (direct && !hop.direct && hop.depth === depth) {
          hop.direct = true
          hop.transformation = r.transformation
        }
      } else
        seen.set(k, {
          ...there,
          depth,
          transformation: r.transformation,
          sources: [r.source],
          direct,
          end: false,
        })
      if (direct && !visited.has(k)) {
        visited.add(k)
        next.push(there)
      }
    }
    frontier = next
  }
  for (const [k, hop] of seen) hop.end = hop.direct && !continued.has(k)
  return [...seen.values()].sort(
    (a, b) => a.depth - b.depth || a.datasetId - b.datasetId || a.column.localeCompare(b.column),
  )
}

async function columnEdgesInto(q: PgConn, datasetId: number): Promise<ColumnEdgeRow[]> {
  return edgesWhere(q, 'dataset_id', [datasetId])
}

async function datasetInfos(q: PgConn, ids: number[]): Promise<Map<number, DatasetInfo>> {
  const out = new Map<number, DatasetInfo>()
  if (ids.length === 0) return out
  const r = await q.query<DatasetInfo>(
    `select id, namespace, name, domain, owner, kind, access from datasets
      where id = any($1::int8[]) order by id`,
    [[...new Set(ids)]],
  )
  for (const d of r.rows) out.set(d.id, d)
  return out
}

async function exposuresReading(q: PgConn, ids: number[]): Promise<ExposureUse[]> {
  if (ids.length === 0) return []
  const r = await q.query<ExposureUse>(
    `select p.id, p.name, p.domain, p.owner, o.dataset_id as "datasetId"
       from product_outputs o join products p on p.id = o.product_id
      where p.origin = 'dbt_exposure' and o.dataset_id = any($1::int8[])
      order by o.dataset_id, p.id`,
    [[...new Set(ids)]],
  )
  return r.rows
}

type HopOut = Omit<ColumnHop, 'datasetId'> & { dataset: DatasetInfo | { id: number } }

export const columnLineage = {
  expandDatasetWide,
  walkColumns,
  columnEdgesInto,
  datasetInfos,
  exposuresReading,

  async datasetColumnTree(q, datasetId, columnNames) {
    const into = await columnEdgesInto(q, datasetId)
    const out = await edgesWhere(q, 'from_dataset_id', [datasetId])
    const names = new Map<string, string>()
    for (const c of [...columnNames, ...into.map((r) => r.column), ...out.map((r) => r.fromColumn)])
      if (!names.has(c.toLowerCase())) names.set(c.toLowerCase(), c)
    const walked = []
    for (const column of names.values())
      walked.push({
        column,
        upstream: await walkColumns(q, { datasetId, column }, 'upstream'),
        downstream: await walkColumns(q, { datasetId, column }, 'downstream'),
      })
    const ids = walked.flatMap((w) => [...w.upstream, ...w.downstream].map((h) => h.datasetId))
    const infos = await datasetInfos(q, ids)
    const exposures = await exposuresReading(q, [
      datasetId,
      ...walked.flatMap((w) => w.downstream.map((h) => h.datasetId)),
    ])
    const withInfo = (h: ColumnHop): HopOut => {
      const { datasetId: id, ...rest } = h
      return { ...rest, dataset: infos.get(id) ?? { id } }
    }
    const disagree = disagreements(into)
    const byColumn = new Map(disagree.map((d) => [d.column, d]))
    return {
      columns: walked.map((w) => {
        const downIds = new Set([datasetId, ...w.downstream.map((h) => h.datasetId)])
        return {
          name: w.column,
          upstream: w.upstream.map(withInfo),
          downstream: w.downstream.map(withInfo),
          exposures: w.downstream.length ? exposures.filter((e) => downIds.has(e.datasetId)) : [],
          disagreement: byColumn.get(w.column) ?? null,
        }
      }),
      sources: [...new Set(into.map((r) => r.source))].sort(),
      disagreements: disagree.length,
    }
  },

  async listColumnLineageInputs(q) {
    const r = await q.query<{ namespace: string; name: string; hash: string; columns: string[] }>(
      `select d.namespace, d.name, i.hash, i.columns
         from column_lineage_inputs i join datasets d on d.id = i.dataset_id order by d.id`,
    )
    return new Map(
      r.rows.map(
        (x) => [`${x.namespace}\u0000${x.name}`, { hash: x.hash, columns: x.columns }] as const,
      ),
    )
  },
} satisfies PgModule<typeof lite>
