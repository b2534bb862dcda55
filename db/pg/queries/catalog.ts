import type * as lite from '../../queries/catalog.ts'
import { readEvaluationRow } from '../../queries/catalog.ts'
import type * as sq from '../../schema.ts'
import type { PgConn, PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { assertions, checks, datasets, domains, evaluations, metrics, products } from '../schema.ts'

// The catalog's reads on PostgreSQL: domains, products with their outputs and newest evaluation,
// datasets with their aliases, jobs, checks and recent results; in SQLite's (explicit) orders.

type DomainRow = typeof sq.domains.$inferSelect
type EvaluationRow = typeof sq.evaluations.$inferSelect
type CheckRow = typeof sq.checks.$inferSelect
type AssertionRow = typeof sq.assertions.$inferSelect
type MetricRow = typeof sq.metrics.$inferSelect

const DOMAIN = columnsOf(domains)
const PRODUCT = columnsOf(products)
const EVALUATION = columnsOf(evaluations)
const DATASET = columnsOf(datasets)
const CHECK = columnsOf(checks)
const ASSERTION = columnsOf(assertions)
const METRIC = columnsOf(metrics)

async function latestEvaluations(q: PgConn, productIds: string[]) {
  const out = new Map<string, EvaluationRow>()
  if (productIds.length === 0) return out
  const r = await q.query<EvaluationRow>(
    `select ${EVALUATION} from evaluations
      where id in (select max(id) from evaluations where product_id = any($1::text[]) group by product_id)
      order by id`,
    [productIds],
  )
  for (const e of r.rows) out.set(e.productId, e)
  return out
}

async function listProducts(q: PgConn, filter: { domain?: string } = {}) {
  const rows = (
    await q.query<typeof sq.products.$inferSelect>(
      `select ${PRODUCT} from products where ($1::text is null or domain = $1)
        order by domain, name, id`,
      [filter.domain ? filter.domain : null],
    )
  ).rows
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const outs = (
    await q.query<{ productId: string; id: number; namespace: string; name: string }>(
      `select o.product_id as "productId", d.id, d.namespace, d.name
         from product_outputs o join datasets d on d.id = o.dataset_id
        where o.product_id = any($1::text[]) order by o.product_id, o.dataset_id`,
      [ids],
    )
  ).rows
  const latest = await latestEvaluations(q, ids)
  return rows.map((p) => {
    const e = latest.get(p.id)
    return {
      ...p,
      outputs: outs
        .filter((o) => o.productId === p.id)
        .map(({ id, namespace, name }) => ({ id, namespace, name })),
      evaluation: e ? readEvaluationRow(e) : null,
    }
  })
}

export const catalog = {
  async listDomains(q) {
    const rows = (await q.query<DomainRow>(`select ${DOMAIN} from domains order by name`)).rows
    const counts = await q.query<{ domain: string | null; ds: number; pr: number }>(
      `select domain, sum(ds)::int8 as ds, sum(pr)::int8 as pr from (
         select domain, count(*) as ds, 0 as pr from datasets group by domain
         union all
         select domain, 0, count(*) from products group by domain) c
        group by domain`,
    )
    const by = new Map(counts.rows.map((r) => [r.domain, r]))
    return rows.map((d) => ({
      ...d,
      datasets: by.get(d.name)?.ds ?? 0,
      products: by.get(d.name)?.pr ?? 0,
    }))
  },

  listProducts,
  latestEvaluations,

  async getProduct(q, id) {
    const p = await q.query<{ domain: string }>('select domain from products where id = $1', [id])
    if (!p.rows[0]) return undefined
    return (await listProducts(q, { domain: p.rows[0].domain })).find((x) => x.id === id)
  },

  async findDataset(q, ref) {
    const r = await q.query<{ id: number }>(
      `select id from (
         (select id, 0 as o from datasets where namespace = $1 and name = $2 limit 1)
         union all
         (select dataset_id, 1 from dataset_aliases where namespace = $1 and name = $2 limit 1)) x
        order by o limit 1`,
      [ref.namespace, ref.name],
    )
    return r.rows[0]?.id
  },

  async getDataset(q, id) {
    const d = (
      await q.query<typeof sq.datasets.$inferSelect>(
        `select ${DATASET} from datasets where id = $1`,
        [id],
      )
    ).rows[0]
    if (!d) return undefined
    const aliases = await q.query<{ namespace: string; name: string }>(
      `select namespace, name from dataset_aliases where dataset_id = $1 order by namespace, name`,
      [id],
    )
    const edges = await q.query<{
      direction: string
      id: number
      namespace: string
      name: string
      type: string
    }>(
      `select e.direction, j.id, j.namespace, j.name, j.type
             from lineage_edges e join jobs j on j.id = e.job_id
            where e.dataset_id = $1 order by e.direction, j.id`,
      [id],
    )
    const checkRows = await q.query<CheckRow>(
      `select ${CHECK} from checks where dataset_id = $1 order by key`,
      [id],
    )
    const recentAssertions = await q.query<AssertionRow>(
      `select ${ASSERTION} from assertions where dataset_id = $1
            order by observed_at desc, id desc limit 100`,
      [id],
    )
    const recentMetrics = await q.query<MetricRow>(
      `select ${METRIC} from metrics where dataset_id = $1
            order by observed_at desc, id desc limit 100`,
      [id],
    )
    const productRows = await q.query<{ id: string }>(
      'select product_id as id from product_outputs where dataset_id = $1 order by product_id',
      [id],
    )
    const jobOf = ({ direction: _, ...j }: (typeof edges.rows)[number]) => j
    return {
      ...d,
      aliases: aliases.rows,
      producers: edges.rows.filter((e) => e.direction === 'output').map(jobOf),
      consumers: edges.rows.filter((e) => e.direction === 'input').map(jobOf),
      checks: checkRows.rows,
      assertions: recentAssertions.rows,
      metrics: recentMetrics.rows,
      products: productRows.rows.map((r) => r.id),
    }
  },
} satisfies PgModule<typeof lite>
