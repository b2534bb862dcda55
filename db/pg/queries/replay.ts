import type * as lite from '../../queries/replay.ts'
import { KEPT, RESTORE_PRODUCTS } from '../../queries/replay.ts'
import { decodeBatchPayload } from '../../queries/batch-codec.ts'
import type { PgModule } from '../module.ts'

// Replay's reads and its reset on PostgreSQL. Derived tables are emptied children first, their
// identities restarted (as SQLite's sqlite_sequence rows are deleted). Products' evaluations
// are set aside in temporary tables first (the products' delete cascades to them) and put back
// by restoreEvaluations: nothing a plain owner of the tables may not do (no superuser, no
// session_replication_role). Call both inside the replay's transaction.

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
    for (const t of KEPT) await q.query(`drop table if exists pg_temp.${t.name}`)
    for (const t of KEPT) await q.query(`create temp table ${t.name} on commit drop as ${t.select}`)
    for (const t of DERIVED) await q.query(`delete from "${t}"`)
    for (const t of IDENTITIES) await q.query(`alter table "${t}" alter column id restart with 1`)
  },

  async restoreEvaluations(q) {
    await q.query(RESTORE_PRODUCTS)
    await q.query(
      'insert into evaluations overriding system value select * from replay_evaluations',
    )
    for (const t of KEPT) await q.query(`drop table pg_temp.${t.name}`)
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
