import { sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { batches, datasets, jobs } from '../schema.ts'

/** True when nothing was ever collected into this store. */
export function isEmpty(db: Db): boolean {
  const n = (t: typeof batches | typeof datasets | typeof jobs) =>
    db.select({ n: sql<number>`count(*)` }).from(t).get()?.n ?? 0
  return n(batches) === 0 && n(datasets) === 0 && n(jobs) === 0
}
