import { sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { batches, datasets, domains, jobs, products } from '../schema.ts'

/** True when nothing was ever collected into this store. */
export function isEmpty(db: Db): boolean {
  const n = (t: typeof batches | typeof datasets | typeof jobs) =>
    db.select({ n: sql<number>`count(*)` }).from(t).get()?.n ?? 0
  return n(batches) === 0 && n(datasets) === 0 && n(jobs) === 0
}

/** How many of each thing the store holds, for one-line summaries. */
export function storeCounts(db: Db): Record<'domains' | 'datasets' | 'jobs' | 'products', number> {
  const n = (t: typeof domains | typeof datasets | typeof jobs | typeof products) =>
    db.select({ n: sql<number>`count(*)` }).from(t).get()?.n ?? 0
  return { domains: n(domains), datasets: n(datasets), jobs: n(jobs), products: n(products) }
}
