import type * as lite from '../../queries/export.ts'
import type { ProductStandardFacts } from '../../queries/export.ts'
import type * as sq from '../../schema.ts'
import type { PgConn, PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { checks, datasets, domains, jobs, products } from '../schema.ts'

// The export's reads on PostgreSQL. SQLite's whole-table iterators are sync generators a page at
// a time; here they are async generators (for await), the same pages in the same id order, so
// they are left out of the PgModule check and typed by hand below.

const PAGE = 5000
const DATASET = columnsOf(datasets)
const DATASET_D = columnsOf(datasets, 'd')
const JOB = columnsOf(jobs)
const PRODUCT = columnsOf(products)
const DOMAIN = columnsOf(domains)
const CHECK = columnsOf(checks)

type DatasetRow = typeof sq.datasets.$inferSelect
type JobRow = typeof sq.jobs.$inferSelect
type JobWithEdges =
  ReturnType<typeof lite.iterateJobsWithEdges> extends Generator<infer T> ? T : never

/** Every dataset, in id order, a page at a time. */
async function* iterateDatasets(q: PgConn): AsyncGenerator<DatasetRow> {
  let after = 0
  for (;;) {
    const page = (
      await q.query<DatasetRow>(
        `select ${DATASET} from datasets where id > $1 order by id limit $2`,
        [after, PAGE],
      )
    ).rows
    if (page.length === 0) return
    yield* page
    after = page[page.length - 1]?.id ?? after
  }
}

/** Every job with its input and output dataset refs, a page at a time. */
async function* iterateJobsWithEdges(q: PgConn): AsyncGenerator<JobWithEdges> {
  let after = 0
  for (;;) {
    const page = (
      await q.query<JobRow>(`select ${JOB} from jobs where id > $1 order by id limit $2`, [
        after,
        PAGE,
      ])
    ).rows
    if (page.length === 0) return
    const edges = (
      await q.query<{ jobId: number; direction: string; namespace: string; name: string }>(
        `select e.job_id as "jobId", e.direction, d.namespace, d.name
           from lineage_edges e join datasets d on d.id = e.dataset_id
          where e.job_id = any($1::int8[]) order by e.job_id, e.dataset_id, e.direction`,
        [page.map((j) => j.id)],
      )
    ).rows
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
        : (
            await q.query<{ id: number; namespace: string; name: string }>(
              'select id, namespace, name from jobs where id = any($1::int8[])',
              [parentIds],
            )
          ).rows
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

const reads = {
  async productIds(q) {
    return (
      await q.query<{ id: string }>('select id from products order by domain, name, id')
    ).rows.map((r) => r.id)
  },

  async productStandardFacts(q, id) {
    const product = (
      await q.query<ProductStandardFacts['product']>(
        `select ${PRODUCT} from products where id = $1`,
        [id],
      )
    ).rows[0]
    if (!product) return undefined
    const domain = (
      await q.query<NonNullable<ProductStandardFacts['domain']>>(
        `select ${DOMAIN} from domains where name = $1`,
        [product.domain],
      )
    ).rows[0]
    const outs = (
      await q.query<DatasetRow>(
        `select ${DATASET_D} from product_outputs o join datasets d on d.id = o.dataset_id
          where o.product_id = $1 order by d.name, d.id`,
        [id],
      )
    ).rows
    const ids = outs.map((d) => d.id)
    const checkRows =
      ids.length === 0
        ? []
        : (
            await q.query<ProductStandardFacts['outputs'][number]['checks'][number]>(
              `select ${CHECK} from checks where dataset_id = any($1::int8[]) order by key`,
              [ids],
            )
          ).rows
    const upstream =
      ids.length === 0
        ? []
        : (
            await q.query<ProductStandardFacts['upstream'][number]>(
              `select distinct p.id, p.name, p.domain from lineage_edges w
                 join lineage_edges r on r.job_id = w.job_id and r.direction = 'input'
                 join product_outputs o on o.dataset_id = r.dataset_id
                 join products p on p.id = o.product_id
               where w.direction = 'output' and w.dataset_id = any($1::int8[])
                 and p.id <> $2 and p.origin <> 'dbt_exposure'
               order by p.id`,
              [ids, id],
            )
          ).rows
    return {
      product,
      domain,
      outputs: outs.map((d) => ({ ...d, checks: checkRows.filter((c) => c.datasetId === d.id) })),
      upstream,
    }
  },
} satisfies Omit<PgModule<typeof lite>, 'iterateDatasets' | 'iterateJobsWithEdges'>

export const exportReads = { ...reads, iterateDatasets, iterateJobsWithEdges }
