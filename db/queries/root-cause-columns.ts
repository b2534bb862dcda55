import { asc, inArray } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { columnEdges } from '../schema.ts'

/**
 * A column edge between two datasets of a root-cause neighbourhood (node ids `dataset:<id>`):
 * `target.column` is computed from `source.fromColumn`; `direct` false when it only joins,
 * filters or groups on it.
 */
export interface RcColumnEdge {
  source: string
  target: string
  column: string
  fromColumn: string
  direct: boolean
}

/** A stored column edge as both engines read it: target, column, source, from column, transformation. */
export interface ColumnEdgeRow {
  t: number
  c: string
  s: number
  f: string
  x: string | null
}

const CHUNK = 500

/**
 * The edges among `ids` from rows read in (target, column, source, from column) order, one per
 * edge whatever its sources: the root cause walks them in this order, so both engines' answers
 * are one (db/pg/queries/root-cause-columns.ts reads the same rows).
 */
export function edgesAmong(
  rows: Iterable<ColumnEdgeRow>,
  ids: ReadonlySet<number>,
): RcColumnEdge[] {
  const out = new Map<string, RcColumnEdge>()
  for (const r of rows) {
    if (!ids.has(r.s)) continue
    const direct = !r.x?.startsWith('INDIRECT')
    const k = `${r.t}\u0000${r.c}\u0000${r.s}\u0000${r.f}`
    const seen = out.get(k)
    // one edge seen by several sources: direct if any of them says so
    if (seen) seen.direct ||= direct
    else
      out.set(k, {
        source: `dataset:${r.s}`,
        target: `dataset:${r.t}`,
        column: r.c,
        fromColumn: r.f,
        direct,
      })
  }
  return [...out.values()]
}

/** The column edges (any source, deduplicated) whose both ends are among `datasetIds`. */
export function columnEdgesAmong(db: Db, datasetIds: readonly number[]): RcColumnEdge[] {
  const ids = new Set(datasetIds)
  const list = [...ids].sort((a, b) => a - b)
  const rows: ColumnEdgeRow[] = []
  for (let i = 0; i < list.length; i += CHUNK) {
    const part = list.slice(i, i + CHUNK)
    rows.push(
      ...db
        .select({
          t: columnEdges.datasetId,
          c: columnEdges.column,
          s: columnEdges.fromDatasetId,
          f: columnEdges.fromColumn,
          x: columnEdges.transformation,
        })
        .from(columnEdges)
        .where(inArray(columnEdges.datasetId, part))
        .orderBy(
          asc(columnEdges.datasetId),
          asc(columnEdges.column),
          asc(columnEdges.fromDatasetId),
          asc(columnEdges.fromColumn),
          asc(columnEdges.source),
        )
        .all(),
    )
  }
  return edgesAmong(rows, ids)
}
