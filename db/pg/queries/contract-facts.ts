import { COLUMN_METRICS, type ColumnMetricName } from '../../../common/vocab.ts'
import type * as lite from '../../queries/contract-facts.ts'
import type {
  ColumnMetricFact,
  ContractAssertionFact,
  EpisodeFact,
} from '../../queries/quality-facts.ts'
import { groupBy } from '../../queries/quality.ts'
import type { PgModule } from '../module.ts'

// What contract scoring reads beyond a product's facts, on PostgreSQL: the newest row of each
// group by distinct on (SQLite reads it with max()'s bare columns), in SQLite's group order.

function columnsOf(v: unknown): { name: string; type?: string }[] {
  if (!Array.isArray(v)) return []
  return v.flatMap((c: unknown) =>
    c !== null && typeof c === 'object' && 'name' in c && typeof c.name === 'string'
      ? [{ name: c.name, ...('type' in c && typeof c.type === 'string' ? { type: c.type } : {}) }]
      : [],
  )
}

export const contractFacts = {
  async newestColumns(q, datasetIds) {
    if (datasetIds.length === 0) return new Map()
    const r = await q.query<{ datasetId: number; columns: unknown; observedAt: string }>(
      `select distinct on (dataset_id) dataset_id as "datasetId", columns, observed_at as "observedAt"
         from dataset_versions where dataset_id = any($1::int8[]) order by dataset_id, id desc`,
      [datasetIds],
    )
    return new Map(
      r.rows.map((x) => [x.datasetId, { columns: columnsOf(x.columns), observedAt: x.observedAt }]),
    )
  },

  async latestColumnMetrics(q, datasetIds) {
    if (datasetIds.length === 0) return new Map()
    // SQLite's glob 'column_*:*' (case-sensitive, as LIKE is under "C")
    const r = await q.query<{ datasetId: number; name: string; value: number; observedAt: string }>(
      `select distinct on (dataset_id, name) dataset_id as "datasetId", name, value,
              observed_at as "observedAt"
         from metrics where dataset_id = any($1::int8[]) and name like 'column\\_%:%' escape '\\'
        order by dataset_id, name, observed_at desc`,
      [datasetIds],
    )
    const out = new Map<number, ColumnMetricFact[]>()
    for (const x of r.rows) {
      const entry = Object.entries(COLUMN_METRICS).find(([, prefix]) => x.name.startsWith(prefix))
      if (!entry) continue
      const [metric, prefix] = entry as [ColumnMetricName, string]
      const list = out.get(x.datasetId) ?? []
      list.push({
        column: x.name.slice(prefix.length),
        metric,
        value: x.value,
        observedAt: x.observedAt,
      })
      out.set(x.datasetId, list)
    }
    return out
  },

  async latestResultsWithFailures(q, datasetIds) {
    if (datasetIds.length === 0) return new Map()
    const r = await q.query<ContractAssertionFact & { datasetId: number }>(
      `select distinct on (key, dataset_id) dataset_id as "datasetId", key, name, status, severity,
              observed_at as "observedAt", "column", message, failures
         from assertions where dataset_id = any($1::int8[])
        order by key, dataset_id, observed_at desc`,
      [datasetIds],
    )
    return groupBy(
      r.rows,
      (x) => x.datasetId,
      ({ datasetId: _, ...a }) => a,
    )
  },

  async recentEpisodes(q, productIds, perProduct = 10) {
    if (productIds.length === 0) return new Map()
    // json_extract answers a string only for a JSON string: anything else is no time
    const r = await q.query<EpisodeFact & { productId: string }>(
      `select "productId", "openedAt", "closedAt",
          (select case when json_typeof(e.root_cause #> '{culprit,at}') = 'string'
                       then e.root_cause #>> '{culprit,at}' end
             from evaluations e
            where e.product_id = x."productId" and e.evaluated_at = x."openedAt" order by e.id limit 1)
            as "startedAt",
          (select min(a.delivered_at) from alerts a
            where a.episode_id = x.id and a.kind = 'opened' and a.status = 'delivered') as "notifiedAt"
        from (
          select id, product_id as "productId", opened_at as "openedAt", closed_at as "closedAt",
            row_number() over (partition by product_id order by opened_at desc, id desc) as rn
          from alert_episodes where product_id = any($1::text[])
        ) x where rn <= $2 order by "openedAt" desc, id desc`,
      [productIds, perProduct],
    )
    return groupBy(
      r.rows,
      (x) => x.productId,
      (x) => ({
        openedAt: x.openedAt,
        closedAt: x.closedAt,
        startedAt:
          typeof x.startedAt === 'string' && Date.parse(x.startedAt) <= Date.parse(x.openedAt)
            ? x.startedAt
            : null,
        notifiedAt: x.notifiedAt,
      }),
    )
  },
} satisfies PgModule<typeof lite>
