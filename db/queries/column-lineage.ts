import { and, eq, inArray } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { columnEdges, columnLineageInputs, datasets, productOutputs, products } from '../schema.ts'

export type ColumnEdgeRow = typeof columnEdges.$inferSelect
export type ColumnRef = { datasetId: number; column: string }
export type DatasetInfo = Pick<
  typeof datasets.$inferSelect,
  'id' | 'namespace' | 'name' | 'domain' | 'owner' | 'kind' | 'access'
>
/** A column reached from the start column, and the edge that reached it. */
export type ColumnHop = ColumnRef & {
  depth: number
  transformation: string | null
  sources: string[]
  /** false: read by a join, filter or grouping (INDIRECT/…), not copied or computed from */
  direct: boolean
  /** a direct hop the walk goes no further from: a raw source upstream, a last use downstream */
  end: boolean
}
export type ExposureUse = {
  id: string
  name: string
  domain: string
  owner: string | null
  datasetId: number
}

const CHUNK = 500
/** The column edges' key: the order rows are read in (ties of the first key broken by the rest). */
const EDGE_ORDER = [
  columnEdges.datasetId,
  columnEdges.column,
  columnEdges.fromDatasetId,
  columnEdges.fromColumn,
  columnEdges.source,
]
const isDirect = (t: string | null) => !t?.startsWith('INDIRECT')

// collectors/batch.ts ALL_COLUMNS (db/queries imports no values from collectors/): the column of
// a dataset-wide edge, an input (join, filter, group-by, sort) of every output column of a model
const ALL_COLUMNS = '*'

function storedWhere(db: Db, key: 'datasetId' | 'fromDatasetId', ids: number[]): ColumnEdgeRow[] {
  const out: ColumnEdgeRow[] = []
  const sorted = [...ids].sort((a, b) => a - b)
  for (let i = 0; i < sorted.length; i += CHUNK) {
    const part = sorted.slice(i, i + CHUNK)
    out.push(
      ...db
        .select()
        .from(columnEdges)
        .where(inArray(columnEdges[key], part))
        .orderBy(columnEdges[key], ...EDGE_ORDER)
        .all(),
    )
  }
  return out
}

/** The stored edges, the dataset-wide ones expanded to one per output column (as before #19's). */
function edgesWhere(db: Db, key: 'datasetId' | 'fromDatasetId', ids: number[]): ColumnEdgeRow[] {
  const rows = storedWhere(db, key, ids)
  return expandDatasetWide(db, rows, key === 'datasetId' ? rows : undefined)
}

/**
 * `rows` with each dataset-wide edge (column `*`) made one edge per column its source gives the
 * dataset other edges for, unless that column has an edge from the same input already (its
 * DIRECT use stands). `into`: every stored edge into the datasets of those rows, when at hand.
 * collectors/dbt/column-lineage/dataset-wide.ts does the same on a batch's edges (the gate).
 */
export function expandDatasetWide<
  R extends Pick<ColumnEdgeRow, 'datasetId' | 'column' | 'fromDatasetId' | 'fromColumn' | 'source'>,
>(db: Db, rows: R[], into?: ColumnEdgeRow[]): R[] {
  const ids = wideDatasetIds(rows)
  if (!ids.length) return rows
  return expandWideRows(rows, into ?? storedWhere(db, 'datasetId', ids))
}

/** The datasets of the dataset-wide rows (column `*`) among `rows`, once each. */
export const wideDatasetIds = (rows: readonly Pick<ColumnEdgeRow, 'datasetId' | 'column'>[]) => [
  ...new Set(rows.filter((r) => r.column === ALL_COLUMNS).map((r) => r.datasetId)),
]

/** expandDatasetWide on rows at hand: `stored` holds every stored edge into the wide rows' datasets (both engines). */
export function expandWideRows<
  R extends Pick<ColumnEdgeRow, 'datasetId' | 'column' | 'fromDatasetId' | 'fromColumn' | 'source'>,
>(rows: R[], stored: readonly ColumnEdgeRow[]): R[] {
  const wide = rows.filter((r) => r.column === ALL_COLUMNS)
  if (!wide.length) return rows
  const group = (r: { datasetId: number; source: string }) => `${r.datasetId}\u0000${r.source}`
  const pair = (r: Omit<R, 'column'> | ColumnEdgeRow, column: string) =>
    `${group(r)}\u0000${column}\u0000${r.fromDatasetId}\u0000${r.fromColumn}`
  const columns = new Map<string, Set<string>>()
  const have = new Set<string>()
  for (const r of stored) {
    if (r.column === ALL_COLUMNS) continue
    have.add(pair(r, r.column))
    const set = columns.get(group(r))
    if (set) set.add(r.column)
    else columns.set(group(r), new Set([r.column]))
  }
  const out = rows.filter((r) => r.column !== ALL_COLUMNS)
  for (const w of wide) {
    for (const column of columns.get(group(w)) ?? []) {
      if (!have.has(pair(w, column))) out.push({ ...w, column })
    }
  }
  return out
}

/**
 * Walks column edges from `start` upstream (to what it is computed from, down to raw sources)
 * or downstream (to what reads it). The walk continues through DIRECT edges only; an INDIRECT
 * edge (a join, filter or group-by) is a use, listed, but what is computed in that model from
 * other columns is not made to depend on it.
 */
export function walkColumns(
  db: Db,
  start: ColumnRef,
  direction: 'upstream' | 'downstream',
  maxDepth = 64,
): ColumnHop[] {
  const key = direction === 'upstream' ? 'datasetId' : 'fromDatasetId'
  const walk = columnWalk(start, direction, maxDepth)
  let step = walk.next()
  while (!step.done) step = walk.next(edgesWhere(db, key, step.value))
  return step.value
}

/**
 * walkColumns without the reads (either engine): it yields the dataset ids of each depth's
 * frontier and is resumed with the (expanded) edges into them (upstream) or out of them
 * (downstream), and returns the hops.
 */
export function* columnWalk(
  start: ColumnRef,
  direction: 'upstream' | 'downstream',
  maxDepth: number,
): Generator<number[], ColumnHop[], ColumnEdgeRow[]> {
  const seen = new Map<string, ColumnHop>()
  const key = (c: ColumnRef) => `${c.datasetId}\u0000${c.column.toLowerCase()}`
  let frontier: ColumnRef[] = [start]
  const visited = new Set([key(start)])
  const continued = new Set<string>()
  for (let depth = 1; depth <= maxDepth && frontier.length; depth++) {
    const ids = [...new Set(frontier.map((c) => c.datasetId))]
    const wanted = new Set(frontier.map(key))
    const rows = yield ids
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
      } else {
        seen.set(k, {
          ...there,
          depth,
          transformation: r.transformation,
          sources: [r.source],
          direct,
          end: false,
        })
      }
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

/** The column edges into a dataset, grouped by output column. */
export function columnEdgesInto(db: Db, datasetId: number): ColumnEdgeRow[] {
  return edgesWhere(db, 'datasetId', [datasetId])
}

/**
 * Output columns whose DIRECT inputs differ between an OpenLineage producer's facet (dbt-ol) and
 * meshwatch's own SQL lineage: both are kept, and each such column is counted once.
 */
export function disagreements(
  rows: ColumnEdgeRow[],
): { column: string; openlineage: string[]; dbt: string[] }[] {
  const by = new Map<string, { ol: Set<string>; dbt: Set<string> }>()
  for (const r of rows) {
    if (!isDirect(r.transformation)) continue
    const entry = by.get(r.column) ?? { ol: new Set(), dbt: new Set() }
    by.set(r.column, entry)
    ;(r.source === 'openlineage' ? entry.ol : entry.dbt).add(`${r.fromDatasetId}.${r.fromColumn}`)
  }
  const out: { column: string; openlineage: string[]; dbt: string[] }[] = []
  for (const [column, { ol, dbt }] of by) {
    if (!ol.size || !dbt.size) continue
    if (ol.size === dbt.size && [...ol].every((x) => dbt.has(x))) continue
    out.push({ column, openlineage: [...ol].sort(), dbt: [...dbt].sort() })
  }
  return out.sort((a, b) => a.column.localeCompare(b.column))
}

export function datasetInfos(db: Db, ids: number[]): Map<number, DatasetInfo> {
  const out = new Map<number, DatasetInfo>()
  const unique = [...new Set(ids)]
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = db
      .select({
        id: datasets.id,
        namespace: datasets.namespace,
        name: datasets.name,
        domain: datasets.domain,
        owner: datasets.owner,
        kind: datasets.kind,
        access: datasets.access,
      })
      .from(datasets)
      .where(inArray(datasets.id, unique.slice(i, i + CHUNK)))
      .all()
    for (const r of rows) out.set(r.id, r)
  }
  return out
}

/** dbt exposures that read any of the datasets. */
export function exposuresReading(db: Db, ids: number[]): ExposureUse[] {
  const unique = [...new Set(ids)].sort((a, b) => a - b)
  const out: ExposureUse[] = []
  for (let i = 0; i < unique.length; i += CHUNK) {
    out.push(
      ...db
        .select({
          id: products.id,
          name: products.name,
          domain: products.domain,
          owner: products.owner,
          datasetId: productOutputs.datasetId,
        })
        .from(productOutputs)
        .innerJoin(products, eq(products.id, productOutputs.productId))
        .where(
          and(
            eq(products.origin, 'dbt_exposure'),
            inArray(productOutputs.datasetId, unique.slice(i, i + CHUNK)),
          ),
        )
        .orderBy(productOutputs.datasetId, products.id)
        .all(),
    )
  }
  return out
}

type HopOut = Omit<ColumnHop, 'datasetId'> & { dataset: DatasetInfo | { id: number } }

/**
 * Per column of a dataset: where it comes from (to the raw sources) and who reads it (across
 * domains, with the dbt exposures reading those datasets), which sources said so, and the
 * columns whose dbt-ol facet and meshwatch's own SQL lineage disagree.
 */
export function datasetColumnTree(db: Db, datasetId: number, columnNames: string[]) {
  const into = columnEdgesInto(db, datasetId)
  const out = edgesWhere(db, 'fromDatasetId', [datasetId])
  const walked = columnNamesOf(columnNames, into, out).map((column) => ({
    column,
    upstream: walkColumns(db, { datasetId, column }, 'upstream'),
    downstream: walkColumns(db, { datasetId, column }, 'downstream'),
  }))
  const reads = treeReadIds(datasetId, walked)
  return columnTreeOf(datasetId, {
    into,
    walked,
    infos: datasetInfos(db, reads.infos),
    exposures: exposuresReading(db, reads.exposures),
  })
}

/** A column of datasetColumnTree with its two walks. */
export interface WalkedColumn {
  column: string
  upstream: ColumnHop[]
  downstream: ColumnHop[]
}

/** The columns datasetColumnTree walks: the given names, then those of the edges in and out, once each (case-blind). */
export function columnNamesOf(
  columnNames: readonly string[],
  into: readonly ColumnEdgeRow[],
  out: readonly ColumnEdgeRow[],
): string[] {
  const names = new Map<string, string>()
  for (const c of [...columnNames, ...into.map((r) => r.column), ...out.map((r) => r.fromColumn)]) {
    if (!names.has(c.toLowerCase())) names.set(c.toLowerCase(), c)
  }
  return [...names.values()]
}

/** The datasets datasetColumnTree describes (every hop's) and those whose exposures it lists. */
export function treeReadIds(
  datasetId: number,
  walked: readonly WalkedColumn[],
): { infos: number[]; exposures: number[] } {
  return {
    infos: walked.flatMap((w) => [...w.upstream, ...w.downstream].map((h) => h.datasetId)),
    exposures: [datasetId, ...walked.flatMap((w) => w.downstream.map((h) => h.datasetId))],
  }
}

/** datasetColumnTree's answer from its walks and reads (either engine). */
export function columnTreeOf(
  datasetId: number,
  {
    into,
    walked,
    infos,
    exposures,
  }: {
    into: ColumnEdgeRow[]
    walked: readonly WalkedColumn[]
    infos: Map<number, DatasetInfo>
    exposures: ExposureUse[]
  },
) {
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
}

/** What each dataset's stored column lineage was computed from, by `namespace\u0000name`. */
export function listColumnLineageInputs(db: Db): Map<string, { hash: string; columns: string[] }> {
  const rows = db
    .select({
      namespace: datasets.namespace,
      name: datasets.name,
      hash: columnLineageInputs.hash,
      columns: columnLineageInputs.columns,
    })
    .from(columnLineageInputs)
    .innerJoin(datasets, eq(datasets.id, columnLineageInputs.datasetId))
    .all()
  return inputsByName(rows)
}

/** listColumnLineageInputs's map from its rows (either engine). */
export function inputsByName(
  rows: readonly { namespace: string; name: string; hash: string; columns: string[] }[],
): Map<string, { hash: string; columns: string[] }> {
  return new Map(
    rows.map(
      (r) => [`${r.namespace}\u0000${r.name}`, { hash: r.hash, columns: r.columns }] as const,
    ),
  )
}
