import { decodeBatchPayload } from './batch-codec.ts'
import { asc, eq, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import {
  assertions,
  batches,
  checks,
  columnEdges,
  columnLineageInputs,
  datasetAliases,
  datasets,
  datasetVersions,
  domains,
  jobs,
  lineageEdges,
  metrics,
  productOutputs,
  products,
  runs,
} from '../schema.ts'

/** Children first, so no foreign key is ever left dangling. */
const DERIVED = [
  productOutputs,
  products,
  assertions,
  checks,
  metrics,
  columnEdges,
  columnLineageInputs,
  lineageEdges,
  runs,
  jobs,
  datasetVersions,
  datasetAliases,
  datasets,
  domains,
] as const

/** What clearDerived sets aside (the delete of products cascades to their evaluations). */
export const KEPT = [
  {
    name: 'replay_products',
    select: 'select * from products where id in (select product_id from evaluations)',
  },
  { name: 'replay_evaluations', select: 'select * from evaluations' },
] as const

export const RESTORE_PRODUCTS =
  'insert into products select * from replay_products where id not in (select id from products)'

const AUTOINCREMENT = ['datasets', 'dataset_versions', 'jobs', 'runs', 'assertions', 'metrics']

/**
 * Empties every table derived from batches and raw events, and restarts their ids so a rebuild
 * numbers rows as before. Products' evaluation history (keyed by product id) is set aside first,
 * with the products it belongs to, for restoreEvaluations. Call inside the replay's transaction.
 */
export function clearDerived(db: Db): void {
  for (const t of KEPT) db.run(sql.raw(`drop table if exists temp.${t.name}`))
  for (const t of KEPT) db.run(sql.raw(`create temp table ${t.name} as ${t.select}`))
  for (const t of DERIVED) db.delete(t).run()
  db.run(
    sql.raw(
      `delete from sqlite_sequence where name in (${AUTOINCREMENT.map((n) => `'${n}'`).join(',')})`,
    ),
  )
}

/**
 * After the rebuild: the evaluation history clearDerived set aside, back, with each product it
 * belongs to that the rebuild did not make again (meshwatch.yml's, which the evaluator writes).
 */
export function restoreEvaluations(db: Db): void {
  db.run(sql.raw(RESTORE_PRODUCTS))
  db.run(sql.raw('insert into evaluations select * from temp.replay_evaluations'))
  for (const t of KEPT) db.run(sql.raw(`drop table temp.${t.name}`))
}

/** Kept batches in received order: ids and times only, payloads are read one at a time. */
export function listBatchOrder(db: Db) {
  return db
    .select({ id: batches.id, receivedAt: batches.receivedAt })
    .from(batches)
    .orderBy(asc(batches.receivedAt), asc(batches.id))
    .all()
}

export function batchPayload(db: Db, id: number): string | undefined {
  const row = db.select({ payload: batches.payload }).from(batches).where(eq(batches.id, id)).get()
  return row ? decodeBatchPayload(row.payload) : undefined
}
