import { and, eq, isNull, or, type SQL } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { columnLineageInputs, datasets } from '../schema.ts'

/** What a dataset's stored column lineage was computed from (`collect dbt --server` reuses it). */
export type StoredColumnLineageInput = {
  namespace: string
  name: string
  hash: string
  columns: string[]
}

/**
 * The stored column lineage inputs a writer may claim unchanged: for a domain-scoped writer only
 * those of its own and of unowned datasets (another domain's claim would be refused), for an
 * unscoped one all; optionally of one dataset namespace.
 */
export function listWritableColumnLineageInputs(
  db: Db,
  opts: { domain: string | null; namespace?: string | undefined },
): StoredColumnLineageInput[] {
  const where: SQL[] = []
  if (opts.domain !== null) {
    const own = or(isNull(datasets.domain), eq(datasets.domain, opts.domain))
    if (own) where.push(own)
  }
  if (opts.namespace !== undefined) where.push(eq(datasets.namespace, opts.namespace))
  return db
    .select({
      namespace: datasets.namespace,
      name: datasets.name,
      hash: columnLineageInputs.hash,
      columns: columnLineageInputs.columns,
    })
    .from(columnLineageInputs)
    .innerJoin(datasets, eq(datasets.id, columnLineageInputs.datasetId))
    .where(and(...where))
    .orderBy(datasets.namespace, datasets.name)
    .all()
}
