import { inArray } from 'drizzle-orm'
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

const CHUNK = 500

/** The column edges (any source, deduplicated) whose both ends are among `datasetIds`. */
export function columnEdgesAmong(db: Db, datasetIds: readonly number[]): RcColumnEdge[] {
  const ids = new Set(datasetIds)
  const out = new Map<string, RcColumnEdge>()
  const list = [...ids]
  for (let i = 0; i < list.length; i += CHUNK) {
    const part = list.slice(i, i + CHUNK)
    const rows = db
      .select({
        t: columnEdges.datasetId,
        c: columnEdges.column,
        s: columnEdges.fromDatasetId,
        f: columnEdges.fromColumn,
        x: columnEdges.transformation,
      })
      .from(columnEdges)
      .where(inArray(columnEdges.datasetId, part))
      .all()
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
  }
  return [...out.values()]
}
