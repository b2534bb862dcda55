import type * as lite from '../../queries/replay.ts'
import { decodeBatchPayload } from '../../queries/batch-codec.ts'
import type { PgModule } from '../module.ts'

// Replay's reads and its reset on PostgreSQL. Derived tables are emptied children first, their
// identities restarted (as SQLite's sqlite_sequence rows are deleted). Products' evaluations are
// kept as on SQLite: their foreign key would cascade the products' delete, so the delete runs
// with the session's triggers (foreign keys among them) off, which needs a superuser or the
// replication role; call it inside the replay's transaction.

const DERIVED = [
  'product_outputs',
  'products',
  'assertions',
  'checks',
  'metrics',
  'column_edges',
  'column_lineage_inputs',
  'lineage_edges',
  'runs',
  'jobs',
  'dataset_versions',
  'dataset_aliases',
  'datasets',
  'domains',
]
const IDENTITIES = ['datasets', 'dataset_versions', 'jobs', 'runs', 'assertions', 'metrics']

export const replay = {
  async clearDerived(q) {
    await q.query('set local session_replication_role = replica')
    for (const t of DERIVED) await q.query(`delete from "${t}"`)
    for (const t of IDENTITIES) await q.query(`alter table "${t}" alter column id restart with 1`)
    await q.query('set local session_replication_role = origin')
  },

  async listBatchOrder(q) {
    const r = await q.query<{ id: number; receivedAt: string }>(
      'select id, received_at as "receivedAt" from batches order by received_at, id',
    )
    return r.rows
  },

  async batchPayload(q, id) {
    const r = await q.query<{ payload: Buffer }>('select payload from batches where id = $1', [id])
    return r.rows[0] ? decodeBatchPayload(r.rows[0].payload) : undefined
  },
} satisfies PgModule<typeof lite>
