import { inArray, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { batches } from '../schema.ts'
import { batchPayload } from './replay.ts'

/** Batch kinds that describe a whole scope (a dbt project, an Airflow instance), not one event. */
const SNAPSHOT_KINDS = ['dbt', 'airflow']

/** The newest kept batch of every dbt project and Airflow instance, as stored (JSON text). */
export function latestSnapshotBatches(
  db: Db,
): { id: number; kind: string; scope: string; payload: string }[] {
  const rows = db
    .select({ id: sql<number>`max(${batches.id})`, kind: batches.kind, scope: batches.scope })
    .from(batches)
    .where(inArray(batches.kind, SNAPSHOT_KINDS))
    .groupBy(batches.kind, batches.scope)
    .orderBy(batches.kind, batches.scope)
    .all()
  return rows.flatMap((r) => {
    const payload = batchPayload(db, r.id)
    return payload === undefined ? [] : [{ ...r, payload }]
  })
}
