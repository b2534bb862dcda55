import { and, desc, eq, inArray, or, sql } from 'drizzle-orm'
import type { Status } from '../../common/vocab.ts'
import type { Db } from '../client.ts'
import type { DimensionResult, RootCause } from '../json-shapes.ts'
import { datasets, evaluations, productOutputs, products } from '../schema.ts'
import { latestEvaluations, readEvaluationRow } from './catalog.ts'
import { chunk } from './merge.ts'

/** What storeEvaluations writes of an evaluation (the evaluator's ProductEvaluation fits it). */
export interface EvaluationToStore {
  productId: string
  evaluatedAt: string
  /** null: status unknown (nothing to score by) */
  score: number | null
  status: Status
  dimensions: DimensionResult[]
  rootCause?: RootCause | null | undefined
}

/** The row of an evaluation to store (both engines). */
export const evaluationRowOf = (e: EvaluationToStore) => ({
  productId: e.productId,
  evaluatedAt: e.evaluatedAt,
  // the column is NOT NULL: an unknown evaluation stores 0 and reads back as null
  score: e.score ?? 0,
  status: e.status,
  dimensions: e.dimensions,
  rootCause: e.rootCause ?? null,
})

/**
 * Appends the evaluations `keep` accepts against each product's last stored one (the evaluator
 * decides what counts as a change) in one transaction; returns the product ids written. The
 * evaluator writes the alert outbox in the store transaction around it (server/evaluate.ts).
 */
export function storeEvaluations<E extends EvaluationToStore>(
  db: Db,
  evals: E[],
  opts: {
    keep: (prev: typeof evaluations.$inferSelect | undefined, next: E) => boolean
  },
): string[] {
  const written: string[] = []
  // better-sqlite3 runs a transaction on its one connection: `db` inside the callback is in it
  // (as storeBatch writes); inside a store transaction it is a savepoint of it.
  db.transaction(
    () => {
      const prev = new Map<string, typeof evaluations.$inferSelect>()
      for (const part of chunk(
        evals.map((e) => e.productId),
        5000,
      )) {
        for (const [k, v] of latestEvaluations(db, part)) prev.set(k, v)
      }
      const rows = evals.filter((e) => opts.keep(prev.get(e.productId), e))
      for (const part of chunk(rows, 1000)) {
        db.insert(evaluations).values(part.map(evaluationRowOf)).run()
      }
      written.push(...rows.map((r) => r.productId))
    },
    { behavior: 'immediate' },
  )
  return written
}

/** A product's stored evaluations, newest first. */
export function evaluationHistory(db: Db, productId: string, limit = 500) {
  return db
    .select()
    .from(evaluations)
    .where(eq(evaluations.productId, productId))
    .orderBy(desc(evaluations.evaluatedAt), desc(evaluations.id))
    .limit(limit)
    .all()
    .map(readEvaluationRow)
}

/** Products owning any of the datasets (what an ingest touched). */
export function productsOfDatasets(db: Db, datasetIds: number[]): string[] {
  const ids = new Set<string>()
  for (const part of chunk(datasetIds, 5000)) {
    for (const r of db
      .select({ id: productOutputs.productId })
      .from(productOutputs)
      .where(inArray(productOutputs.datasetId, part))
      .all())
      ids.add(r.id)
  }
  return [...ids]
}

/** A LIKE pattern matching `s` literally: each `%`, `_` and backslash escaped with a backslash. */
const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

export interface ConfigProduct {
  id: string
  name: string
  domain: string
  owner?: string | undefined
  description?: string | undefined
  outputs: (string | { namespace: string; name: string })[]
}

/**
 * Creates or completes products declared in meshwatch.yml. A product a collector already
 * knows keeps its origin and outputs; the config fills owner/description it lacks. Outputs
 * naming no known dataset are returned, not created.
 */
export function upsertConfigProducts(
  db: Db,
  items: ConfigProduct[],
  now: string,
): { unresolved: string[] } {
  const unresolved: string[] = []
  db.transaction(
    (tx) => {
      for (const p of items) {
        const existing = tx.select().from(products).where(eq(products.id, p.id)).get()
        if (existing) {
          tx.update(products)
            .set({
              owner: existing.owner ?? p.owner ?? null,
              description: existing.description ?? p.description ?? null,
            })
            .where(eq(products.id, p.id))
            .run()
          continue
        }
        const ids: number[] = []
        for (const o of p.outputs) {
          const where =
            typeof o === 'string'
              ? or(
                  eq(datasets.name, o),
                  sql`${datasets.name} like ${`%.${escapeLike(o)}`} escape '\\'`,
                )
              : and(eq(datasets.namespace, o.namespace), eq(datasets.name, o.name))
          const found = tx
            .select({ id: datasets.id })
            .from(datasets)
            .where(where)
            .orderBy(datasets.id)
            .get()
          if (found) ids.push(found.id)
          else unresolved.push(`${p.id}: ${typeof o === 'string' ? o : `${o.namespace} ${o.name}`}`)
        }
        if (ids.length === 0) continue
        tx.insert(products)
          .values({
            id: p.id,
            name: p.name,
            domain: p.domain,
            owner: p.owner ?? null,
            description: p.description ?? null,
            origin: 'config',
            updatedAt: now,
          })
          .run()
        tx.insert(productOutputs)
          .values([...new Set(ids)].map((datasetId) => ({ productId: p.id, datasetId })))
          .run()
      }
    },
    { behavior: 'immediate' },
  )
  return { unresolved }
}
