import type { Db } from '../client.ts'
import { COLUMN_METRICS, type ColumnMetricName } from '../../common/vocab.ts'
import type { ColumnMetricFact, ContractAssertionFact, EpisodeFact } from './quality-facts.ts'
import { groupBy } from './quality.ts'
import { readStatement } from './statements.ts'

// What contract scoring reads beyond a product's facts (quality.ts): the newest observed schema
// of each bound dataset, its latest test results with their failing-row counts, and the
// product's alert episodes with when their problem started and when they were notified.

const IDS = 'in (select value from json_each(?))'

/** The newest schema version of each dataset (all its columns), with when it was observed. */
export function newestColumns(
  db: Db,
  datasetIds: number[],
): Map<number, { columns: { name: string; type?: string }[]; observedAt: string }> {
  if (datasetIds.length === 0) return new Map()
  const rows = readStatement<{ datasetId: number; columns: string; observedAt: string }>(
    db,
    `select v.dataset_id as datasetId, v.columns, v.observed_at as observedAt from dataset_versions v
      where v.id in (select max(id) from dataset_versions where dataset_id ${IDS} group by dataset_id)`,
  ).all(JSON.stringify(datasetIds))
  return new Map(
    rows.map((r) => [r.datasetId, { columns: columnsOf(r.columns), observedAt: r.observedAt }]),
  )
}

function columnsOf(text: string): { name: string; type?: string }[] {
  const v: unknown = JSON.parse(text)
  if (!Array.isArray(v)) return []
  return v.flatMap((c: unknown) =>
    c !== null && typeof c === 'object' && 'name' in c && typeof c.name === 'string'
      ? [{ name: c.name, ...('type' in c && typeof c.type === 'string' ? { type: c.type } : {}) }]
      : [],
  )
}

/** The newest observed metrics of each column of each dataset (`column_min:`, `column_nulls:`…). */
export function latestColumnMetrics(db: Db, datasetIds: number[]): Map<number, ColumnMetricFact[]> {
  if (datasetIds.length === 0) return new Map()
  // (dataset_id, name, observed_at) is unique: max() picks the newest row of each metric.
  const rows = readStatement<{
    datasetId: number
    name: string
    value: number
    observedAt: string
  }>(
    db,
    `select dataset_id as datasetId, name, value, max(observed_at) as observedAt from metrics
      where dataset_id ${IDS} and name glob 'column_*:*' group by dataset_id, name`,
  ).all(JSON.stringify(datasetIds))
  const out = new Map<number, ColumnMetricFact[]>()
  for (const r of rows) {
    const entry = Object.entries(COLUMN_METRICS).find(([, prefix]) => r.name.startsWith(prefix))
    if (!entry) continue
    const [metric, prefix] = entry as [ColumnMetricName, string]
    const list = out.get(r.datasetId) ?? []
    list.push({
      column: r.name.slice(prefix.length),
      metric,
      value: r.value,
      observedAt: r.observedAt,
    })
    out.set(r.datasetId, list)
  }
  return out
}

/** The latest result of each test on each dataset, with its failing-row count. */
export function latestResultsWithFailures(
  db: Db,
  datasetIds: number[],
): Map<number, ContractAssertionFact[]> {
  if (datasetIds.length === 0) return new Map()
  // (key, dataset_id, observed_at) is unique: max() picks the latest row of each test.
  const rows = readStatement<ContractAssertionFact & { datasetId: number }>(
    db,
    `select dataset_id as datasetId, key, name, status, severity, max(observed_at) as observedAt,
        "column", message, failures
      from assertions where dataset_id ${IDS} group by key, dataset_id`,
  ).all(JSON.stringify(datasetIds))
  return groupBy(
    rows,
    (r) => r.datasetId,
    ({ datasetId: _, ...a }) => a,
  )
}

/**
 * The newest `perProduct` alert episodes of each product, newest first: the root cause stored
 * with the evaluation that opened one says when its problem started; its delivered `opened`
 * alert, when it was notified.
 */
export function recentEpisodes(
  db: Db,
  productIds: string[],
  perProduct = 10,
): Map<string, EpisodeFact[]> {
  if (productIds.length === 0) return new Map()
  const rows = readStatement<EpisodeFact & { productId: string }>(
    db,
    `select productId, openedAt, closedAt,
        (select json_extract(e.root_cause, '$.culprit.at') from evaluations e
          where e.product_id = x.productId and e.evaluated_at = x.openedAt order by e.id limit 1) as startedAt,
        (select min(a.delivered_at) from alerts a
          where a.episode_id = x.id and a.kind = 'opened' and a.status = 'delivered') as notifiedAt
      from (
        select id, product_id as productId, opened_at as openedAt, closed_at as closedAt,
          row_number() over (partition by product_id order by opened_at desc, id desc) as rn
        from alert_episodes where product_id ${IDS}
      ) x where rn <= ? order by openedAt desc, id desc`,
  ).all(JSON.stringify(productIds), perProduct)
  return groupBy(
    rows,
    (r) => r.productId,
    (r) => ({
      openedAt: r.openedAt,
      closedAt: r.closedAt,
      // a culprit's time after the episode opened is not when the problem started
      startedAt:
        typeof r.startedAt === 'string' && Date.parse(r.startedAt) <= Date.parse(r.openedAt)
          ? r.startedAt
          : null,
      notifiedAt: r.notifiedAt,
    }),
  )
}
