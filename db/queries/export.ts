import { asc, eq, gt, inArray } from 'drizzle-orm'
import type { Db } from '../client.ts'
import {
  checks,
  datasets,
  domains,
  jobs,
  lineageEdges,
  productOutputs,
  products,
} from '../schema.ts'

const PAGE = 5000

/** Every dataset, in id order, a page at a time (keyset pagination keeps memory flat). */
export function* iterateDatasets(db: Db) {
  let after = 0
  for (;;) {
    const page = db
      .select()
      .from(datasets)
      .where(gt(datasets.id, after))
      .orderBy(asc(datasets.id))
      .limit(PAGE)
      .all()
    if (page.length === 0) return
    yield* page
    after = page[page.length - 1]?.id ?? after
  }
}

/** Every job with its input and output dataset refs, a page at a time. */
export function* iterateJobsWithEdges(db: Db) {
  let after = 0
  for (;;) {
    const page = db
      .select()
      .from(jobs)
      .where(gt(jobs.id, after))
      .orderBy(asc(jobs.id))
      .limit(PAGE)
      .all()
    if (page.length === 0) return
    const edges = db
      .select({
        jobId: lineageEdges.jobId,
        direction: lineageEdges.direction,
        namespace: datasets.namespace,
        name: datasets.name,
      })
      .from(lineageEdges)
      .innerJoin(datasets, eq(datasets.id, lineageEdges.datasetId))
      .where(
        inArray(
          lineageEdges.jobId,
          page.map((j) => j.id),
        ),
      )
      .orderBy(lineageEdges.jobId, lineageEdges.datasetId, lineageEdges.direction)
      .all()
    const byJob = new Map<number, typeof edges>()
    for (const e of edges) {
      const list = byJob.get(e.jobId)
      if (list) list.push(e)
      else byJob.set(e.jobId, [e])
    }
    const parentIds = [...new Set(page.flatMap((j) => (j.parentId === null ? [] : [j.parentId])))]
    const parents = new Map(
      (parentIds.length === 0
        ? []
        : db
            .select({ id: jobs.id, namespace: jobs.namespace, name: jobs.name })
            .from(jobs)
            .where(inArray(jobs.id, parentIds))
            .all()
      ).map((p) => [p.id, p]),
    )
    for (const job of page) {
      const es = byJob.get(job.id) ?? []
      const parent = job.parentId === null ? undefined : parents.get(job.parentId)
      yield {
        job,
        parentRef: parent ? { namespace: parent.namespace, name: parent.name } : undefined,
        inputs: es
          .filter((e) => e.direction === 'input')
          .map(({ namespace, name }) => ({ namespace, name })),
        outputs: es
          .filter((e) => e.direction === 'output')
          .map(({ namespace, name }) => ({ namespace, name })),
      }
    }
    after = page[page.length - 1]?.id ?? after
  }
}

/** What meshwatch knows of one product, for its ODPS descriptor and a generated ODCS contract. */
export interface ProductStandardFacts {
  product: typeof products.$inferSelect
  domain: typeof domains.$inferSelect | undefined
  /** The output datasets, with their columns and the checks (dbt tests…) on them. */
  outputs: (typeof datasets.$inferSelect & { checks: (typeof checks.$inferSelect)[] })[]
  /** Other products whose outputs the producing jobs of this one read (its input ports). */
  upstream: { id: string; name: string; domain: string }[]
}

/** Every product id, in domain and name order. */
export const productIds = (db: Db): string[] =>
  db
    .select({ id: products.id })
    .from(products)
    .orderBy(products.domain, products.name, products.id)
    .all()
    .map((r) => r.id)

/** The facts of one product (undefined: unknown id). */
export function productStandardFacts(db: Db, id: string): ProductStandardFacts | undefined {
  const product = db.select().from(products).where(eq(products.id, id)).get()
  if (!product) return undefined
  const domain = db.select().from(domains).where(eq(domains.name, product.domain)).get()
  const outs = db
    .select({ d: datasets })
    .from(productOutputs)
    .innerJoin(datasets, eq(datasets.id, productOutputs.datasetId))
    .where(eq(productOutputs.productId, id))
    .orderBy(datasets.name, datasets.id)
    .all()
    .map((r) => r.d)
  const ids = outs.map((d) => d.id)
  const checkRows =
    ids.length === 0
      ? []
      : db.select().from(checks).where(inArray(checks.datasetId, ids)).orderBy(checks.key).all()
  const upstream =
    ids.length === 0
      ? []
      : (db.$client
          .prepare(
            `select distinct p.id, p.name, p.domain from lineage_edges w
               join lineage_edges r on r.job_id = w.job_id and r.direction = 'input'
               join product_outputs o on o.dataset_id = r.dataset_id
               join products p on p.id = o.product_id
             where w.direction = 'output' and w.dataset_id in (${ids.map(() => '?').join(',')})
               and p.id <> ? and p.origin <> 'dbt_exposure'
             order by p.id`,
          )
          .all(...ids, id) as ProductStandardFacts['upstream'])
  return {
    product,
    domain,
    outputs: outs.map((d) => ({ ...d, checks: checkRows.filter((c) => c.datasetId === d.id) })),
    upstream,
  }
}
