import type * as lite from '../../queries/column-lineage-inputs.ts'
import type { StoredColumnLineageInput } from '../../queries/column-lineage-inputs.ts'
import type { PgModule } from '../module.ts'

// The stored column lineage inputs on PostgreSQL, in SQLite's order (byte order: collate "C").

export const columnLineageInputs = {
  async listWritableColumnLineageInputs(q, opts) {
    const r = await q.query<StoredColumnLineageInput>(
      `select d.namespace, d.name, i.hash, i.columns
         from column_lineage_inputs i join datasets d on d.id = i.dataset_id
        where ($1::text is null or d.domain is null or d.domain = $1)
          and ($2::text is null or d.namespace = $2)
        order by d.namespace collate "C", d.name collate "C"`,
      [opts.domain, opts.namespace ?? null],
    )
    return r.rows
  },
} satisfies PgModule<typeof lite>
