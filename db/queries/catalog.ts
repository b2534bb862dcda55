import { and, desc, eq, inArray, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import {
  assertions,
  checks,
  datasetAliases,
  datasets,
  domains,
  evaluations,
  jobs,
  lineageEdges,
  metrics,
  productOutputs,
  products,
} from '../schema.ts'

export function listDomains(db: Db) {
  const rows = db.select().from(domains).orderBy(domains.name).all()
  const dsCounts = db
    .select({ domain: datasets.domain, n: sql<number>`count(*)` })
    .from(datasets)
    .groupBy(datasets.domain)
    .all()
  const prodCounts = db
    .select({ domain: products.domain, n: sql<number>`count(*)` })
    .from(products)
    .groupBy(products.domain)
    .all()
  const ds = new Map(dsCounts.map((r) => [r.domain, r.n]))
  const pr = new Map(prodCounts.map((r) => [r.domain, r.n]))
  return rows.map((d) => ({ ...d, datasets: ds.get(d.name) ?? 0, products: pr.get(d.name) ?? 0 }))
}

/** Products with their output datasets and latest evaluation, optionally filtered. */
export function listProducts(db: Db, filter: { domain?: string } = {}) {
  const rows = db
    .select()
    .from(products)
    .where(filter.domain ? eq(products.domain, filter.domain) : undefined)
    .orderBy(products.domain, products.name, products.id)
    .all()
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const outs = db
    .select({
      productId: productOutputs.productId,
      id: datasets.id,
      namespace: datasets.namespace,
      name: datasets.name,
    })
    .from(productOutputs)
    .innerJoin(datasets, eq(datasets.id, productOutputs.datasetId))
    .where(inArray(productOutputs.productId, ids))
    .orderBy(productOutputs.productId, productOutputs.datasetId)
    .all()
  const latest = latestEvaluations(db, ids)
  return rows.map((p) => ({
    ...p,
    outputs: outs
      .filter((o) => o.productId === p.id)
      .map(({ id, namespace, name }) => ({ id, namespace, name })),
    evaluation: evaluationOf(latest.get(p.id)),
  }))
}

/** A stored evaluation as read: an unknown one has no score. */
export const readEvaluationRow = <R extends { score: number; status: string }>(
  r: R,
): Omit<R, 'score'> & { score: number | null } => ({
  ...r,
  score: r.status === 'unknown' ? null : r.score,
})

const evaluationOf = (r: typeof evaluations.$inferSelect | undefined) =>
  r ? readEvaluationRow(r) : null

export function latestEvaluations(db: Db, productIds: string[]) {
  const out = new Map<string, typeof evaluations.$inferSelect>()
  if (productIds.length === 0) return out
  const rows = db
    .select()
    .from(evaluations)
    .where(
      inArray(
        evaluations.id,
        db
          .select({ id: sql<number>`max(${evaluations.id})` })
          .from(evaluations)
          .where(inArray(evaluations.productId, productIds))
          .groupBy(evaluations.productId),
      ),
    )
    .all()
  for (const r of rows) out.set(r.productId, r)
  return out
}

export function getProduct(db: Db, id: string) {
  const p = db.select().from(products).where(eq(products.id, id)).get()
  if (!p) return undefined
  return listProducts(db, { domain: p.domain }).find((x) => x.id === id)
}

export function findDataset(db: Db, ref: { namespace: string; name: string }) {
  const direct = db
    .select({ id: datasets.id })
    .from(datasets)
    .where(and(eq(datasets.namespace, ref.namespace), eq(datasets.name, ref.name)))
    .get()
  if (direct) return direct.id
  return db
    .select({ id: datasetAliases.datasetId })
    .from(datasetAliases)
    .where(and(eq(datasetAliases.namespace, ref.namespace), eq(datasetAliases.name, ref.name)))
    .get()?.id
}

export function getDataset(db: Db, id: number) {
  const d = db.select().from(datasets).where(eq(datasets.id, id)).get()
  if (!d) return undefined
  const aliases = db
    .select({ namespace: datasetAliases.namespace, name: datasetAliases.name })
    .from(datasetAliases)
    .where(eq(datasetAliases.datasetId, id))
    .orderBy(datasetAliases.namespace, datasetAliases.name)
    .all()
  const edgeRows = db
    .select({
      direction: lineageEdges.direction,
      id: jobs.id,
      namespace: jobs.namespace,
      name: jobs.name,
      type: jobs.type,
    })
    .from(lineageEdges)
    .innerJoin(jobs, eq(jobs.id, lineageEdges.jobId))
    .where(eq(lineageEdges.datasetId, id))
    .orderBy(lineageEdges.direction, jobs.id)
    .all()
  const checkRows = db
    .select()
    .from(checks)
    .where(eq(checks.datasetId, id))
    .orderBy(checks.key)
    .all()
  const recentAssertions = db
    .select()
    .from(assertions)
    .where(eq(assertions.datasetId, id))
    .orderBy(desc(assertions.observedAt), desc(assertions.id))
    .limit(100)
    .all()
  const recentMetrics = db
    .select()
    .from(metrics)
    .where(eq(metrics.datasetId, id))
    .orderBy(desc(metrics.observedAt), desc(metrics.id))
    .limit(100)
    .all()
  const productRows = db
    .select({ id: productOutputs.productId })
    .from(productOutputs)
    .where(eq(productOutputs.datasetId, id))
    .orderBy(productOutputs.productId)
    .all()
  return {
    ...d,
    aliases,
    producers: edgeRows.filter((e) => e.direction === 'output').map(({ direction: _, ...j }) => j),
    consumers: edgeRows.filter((e) => e.direction === 'input').map(({ direction: _, ...j }) => j),
    checks: checkRows,
    assertions: recentAssertions,
    metrics: recentMetrics,
    products: productRows.map((r) => r.id),
  }
}
