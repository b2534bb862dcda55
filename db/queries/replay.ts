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

const AUTOINCREMENT = ['datasets', 'dataset_versions', 'jobs', 'runs', 'assertions', 'metrics']

/**
 * Empties every table derived from batches and raw events (keeping products' evaluation history,
 * which is keyed by product id), and restarts their ids so a rebuild numbers rows as before.
 * Call inside the replay's transaction with foreign keys off.
 */
export function clearDerived(db: Db): void {
  for (const t of DERIVED) db.delete(t).run()
  db.run(
    sql.raw(
      `delete from sqlite_sequence where name in (${AUTOINCREMENT.map((n) => `'${n}'`).join(',')})`,
    ),
  )
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
