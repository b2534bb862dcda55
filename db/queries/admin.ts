import { and, eq, gte, isNotNull, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import {
  batches,
  collectorState,
  datasets,
  domains,
  evaluations,
  jobs,
  products,
} from '../schema.ts'

/** True when nothing was ever collected into this store. */
export function isEmpty(db: Db): boolean {
  const n = (t: typeof batches | typeof datasets | typeof jobs) =>
    db
      .select({ n: sql<number>`count(*)` })
      .from(t)
      .get()?.n ?? 0
  return n(batches) === 0 && n(datasets) === 0 && n(jobs) === 0
}

/** How many of each thing the store holds, for one-line summaries. */
export function storeCounts(db: Db): Record<'domains' | 'datasets' | 'jobs' | 'products', number> {
  const n = (t: typeof domains | typeof datasets | typeof jobs | typeof products) =>
    db
      .select({ n: sql<number>`count(*)` })
      .from(t)
      .get()?.n ?? 0
  return { domains: n(domains), datasets: n(datasets), jobs: n(jobs), products: n(products) }
}

/** The demo's clock anchor, kept with the collectors' state so a restarted demo keeps its clock. */
export function getDemoAnchor(db: Db): { recordedAt: string; loadedAt: string } | undefined {
  const row = db.select().from(collectorState).where(eq(collectorState.name, DEMO_STATE)).get()
  if (!row?.cursor) return undefined
  const v = JSON.parse(row.cursor) as { recordedAt?: unknown; loadedAt?: unknown }
  return typeof v.recordedAt === 'string' && typeof v.loadedAt === 'string'
    ? { recordedAt: v.recordedAt, loadedAt: v.loadedAt }
    : undefined
}

export function setDemoAnchor(db: Db, anchor: { recordedAt: string; loadedAt: string }): void {
  const cursor = JSON.stringify(anchor)
  db.insert(collectorState)
    .values({ name: DEMO_STATE, cursor, lastSuccessAt: anchor.loadedAt })
    .onConflictDoUpdate({ target: collectorState.name, set: { cursor } })
    .run()
}

const DEMO_STATE = 'demo-fixtures'

/** Names of the dbt models in the store (their relation's last name part), for linking Airflow tasks. */
export function listDbtModelNames(db: Db): string[] {
  const rows = db
    .select({ name: datasets.name })
    .from(datasets)
    .where(and(eq(datasets.kind, 'model'), isNotNull(datasets.externalId)))
    .all()
  return [...new Set(rows.map((r) => r.name.slice(r.name.lastIndexOf('.') + 1)))]
}

/** Whether any product was evaluated at or after `at` (the demo scores its earlier days once). */
export function hasEvaluationSince(db: Db, at: string): boolean {
  return (
    db
      .select({ id: evaluations.id })
      .from(evaluations)
      .where(gte(evaluations.evaluatedAt, at))
      .limit(1)
      .get() !== undefined
  )
}
