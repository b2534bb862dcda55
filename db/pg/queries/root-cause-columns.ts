import { edgesAmong, type ColumnEdgeRow } from '../../queries/root-cause-columns.ts'
import type * as lite from '../../queries/root-cause-columns.ts'
import type { PgModule } from '../module.ts'

// db/queries/root-cause-columns.ts on PostgreSQL: one statement for every dataset, read in
// SQLite's order (byte order of the texts, as SQLite's BINARY collation), assembled by the same
// function.

export const rootCauseColumns = {
  async columnEdgesAmong(q, datasetIds) {
    const ids = new Set(datasetIds)
    if (ids.size === 0) return []
    const r = await q.query<ColumnEdgeRow>(
      `select dataset_id as t, "column" as c, from_dataset_id as s, from_column as f,
              transformation as x
         from column_edges where dataset_id = any($1::int8[])
        order by dataset_id, "column" collate "C", from_dataset_id, from_column collate "C",
                 source collate "C"`,
      [[...ids]],
    )
    return edgesAmong(r.rows, ids)
  },
} satisfies PgModule<typeof lite>
