import type * as lite from '../../queries/column-lineage.ts'
import {
  columnNamesOf,
  columnTreeOf,
  columnWalk,
  expandWideRows,
  inputsByName,
  treeReadIds,
  wideDatasetIds,
  type ColumnEdgeRow,
  type ColumnHop,
  type ColumnRef,
  type DatasetInfo,
  type ExposureUse,
  type WalkedColumn,
} from '../../queries/column-lineage.ts'
import type { PgConn, PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { columnEdges } from '../schema.ts'

// Column lineage on PostgreSQL. A column walk is one statement per depth (the frontier's
// datasets as one array): its keys are JavaScript's lower-cased names, which PostgreSQL's lower()
// under "C" would not reproduce beyond ASCII, so the frontier is kept in JavaScript: the walk and
// the tree's assembly are db/queries/column-lineage.ts's (columnWalk, columnTreeOf), fed these reads.

const EDGE = columnsOf(columnEdges)
const EDGE_ORDER = 'dataset_id, "column", from_dataset_id, from_column, source'

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
  const ids = wideDatasetIds(rows)
  if (!ids.length) return rows
  return expandWideRows(rows, into ?? (await storedWhere(q, 'dataset_id', ids)))
}

async function walkColumns(
  q: PgConn,
  start: ColumnRef,
  direction: 'upstream' | 'downstream',
  maxDepth = 64,
): Promise<ColumnHop[]> {
  const key = direction === 'upstream' ? 'dataset_id' : 'from_dataset_id'
  const walk = columnWalk(start, direction, maxDepth)
  let step = walk.next()
  while (!step.done) step = walk.next(await edgesWhere(q, key, step.value))
  return step.value
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

export const columnLineage = {
  expandDatasetWide,
  walkColumns,
  columnEdgesInto,
  datasetInfos,
  exposuresReading,

  async datasetColumnTree(q, datasetId, columnNames) {
    const into = await columnEdgesInto(q, datasetId)
    const out = await edgesWhere(q, 'from_dataset_id', [datasetId])
    const walked: WalkedColumn[] = []
    for (const column of columnNamesOf(columnNames, into, out))
      walked.push({
        column,
        upstream: await walkColumns(q, { datasetId, column }, 'upstream'),
        downstream: await walkColumns(q, { datasetId, column }, 'downstream'),
      })
    const reads = treeReadIds(datasetId, walked)
    return columnTreeOf(datasetId, {
      into,
      walked,
      infos: await datasetInfos(q, reads.infos),
      exposures: await exposuresReading(q, reads.exposures),
    })
  },

  async listColumnLineageInputs(q) {
    const r = await q.query<{ namespace: string; name: string; hash: string; columns: string[] }>(
      `select d.namespace, d.name, i.hash, i.columns
         from column_lineage_inputs i join datasets d on d.id = i.dataset_id order by d.id`,
    )
    return inputsByName(r.rows)
  },
} satisfies PgModule<typeof lite>
