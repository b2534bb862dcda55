import type * as lite from '../../queries/gate.ts'
import type { PgModule } from '../module.ts'
import { replay } from './replay.ts'

// The gate's snapshot read on PostgreSQL: the newest kept batch of every dbt project and Airflow
// instance, in (kind, scope) order.

export const gate = {
  async latestSnapshotBatches(q) {
    const rows = (
      await q.query<{ id: number; kind: string; scope: string }>(
        `select max(id) as id, kind, scope from batches where kind = any($1::text[])
          group by kind, scope order by kind, scope`,
        [['dbt', 'airflow']],
      )
    ).rows
    const out = []
    for (const r of rows) {
      const payload = await replay.batchPayload(q, r.id)
      if (payload !== undefined) out.push({ ...r, payload })
    }
    return out
  },
} satisfies PgModule<typeof lite>
