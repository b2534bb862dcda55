import { sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { listProducts } from './catalog.ts'
import { lineageOverview, NO_DOMAIN, type OverviewDomain, type OverviewEdge } from './overview.ts'

// The mesh home's domain tiles and one domain's page: SQL aggregates per domain (pair), so 200
// domains of 50k datasets stay a few hundred rows. The assembly (rows in, the API's shapes out) is
// engine-neutral: db/pg/queries/domain-page.ts calls the same functions with its rows.

const DAY_MS = 86_400_000
const RANK = sql`max(case status when 'breach' then 3 when 'warn' then 2 when 'ok' then 1 else 0 end)`
const STATUS_OF = ['unknown', 'ok', 'warn', 'breach'] as const

/** One day of a score trend: the mean of each product's last scored evaluation that day. */
export interface TrendPoint {
  day: string
  score: number
  status: (typeof STATUS_OF)[number]
}

/** Daily score points since `days` before `now`, keyed by `key` (a product's domain, or its id). */
function dailyTrend(db: Db, now: Date, days: number, by: 'domain' | 'product', where = sql`1 = 1`) {
  const since = new Date(now.getTime() - days * DAY_MS).toISOString()
  const key = by === 'domain' ? sql`p.domain` : sql`p.id`
  const rows = db.all<TrendRow>(sql`
    with daily as (
      select ${key} as k, substr(e.evaluated_at, 1, 10) as day, e.score, e.status,
        row_number() over (
          partition by e.product_id, substr(e.evaluated_at, 1, 10)
          order by e.evaluated_at desc, e.id desc) as rn
      from evaluations e join products p on p.id = e.product_id
      where e.evaluated_at >= ${since} and e.status <> 'unknown' and ${where}
    )
    select k, day, avg(score) as score, ${RANK} as rank from daily where rn = 1
    group by k, day order by k, day`)
  return trendsOf(rows)
}

export interface TrendRow {
  k: string
  day: string
  score: number
  rank: number
}

/** A trend query's rows (key, day, mean score, worst status rank) as trend points by key. */
export function trendsOf(rows: readonly TrendRow[]): Map<string, TrendPoint[]> {
  const out = new Map<string, TrendPoint[]>()
  for (const r of rows) {
    const list = out.get(r.k) ?? []
    list.push({
      day: r.day,
      score: Math.round(r.score * 10) / 10,
      status: STATUS_OF[r.rank] ?? 'unknown',
    })
    out.set(r.k, list)
  }
  return out
}

/** Every domain as a tile: products by status, 30-day trend, providers and consumers. */
export function domainTiles(db: Db, now: Date, days = 30) {
  return domainTilesOf(lineageOverview(db), dailyTrend(db, now, days, 'domain'))
}

/** The domain tiles from the lineage overview and the trend by domain. */
export function domainTilesOf(
  { domains, edges }: { domains: OverviewDomain[]; edges: OverviewEdge[] },
  trend: Map<string, TrendPoint[]>,
) {
  return domains.map((d) => ({
    name: d.name,
    owner: d.owner,
    datasets: d.datasets,
    jobs: d.jobs,
    products: d.products,
    status: d.status,
    productCounts: d.productCounts,
    trend: trend.get(d.name) ?? [],
    providers: edges.filter((e) => e.target === d.name).map((e) => e.source),
    consumers: edges.filter((e) => e.source === d.name).map((e) => e.target),
  }))
}

const domainIs = (col: ReturnType<typeof sql>, name: string) =>
  sql`coalesce(${col}, ${NO_DOMAIN}) = ${name}`

/** One domain's page, or undefined when nothing has that domain. */
export function domainPage(db: Db, name: string, now: Date, days = 30, limit = 500) {
  const row = db.all<{ name: string; owner: string | null; description: string | null }>(
    sql`select name, owner, description from domains where name = ${name}`,
  )[0]
  const products = listProducts(db, { domain: name })
  const trend = dailyTrend(db, now, days, 'product', sql`p.domain = ${name}`)
  const published = db.all<DomainPageReads['published'][number]>(sql`
    select d.id, d.name, d.access, coalesce(j.domain, ${NO_DOMAIN}) as consumer, count(distinct j.id) as jobs
    from datasets d
    left join lineage_edges e on e.dataset_id = d.id and e.direction = 'input'
    left join jobs j on j.id = e.job_id and coalesce(j.domain, ${NO_DOMAIN}) <> ${name}
    where ${domainIs(sql`d.domain`, name)}
      and (d.access = 'public' or d.id in (select dataset_id from product_outputs))
    group by d.id, j.domain order by d.name, d.id, consumer limit ${limit}`)
  const consumes = db.all<DomainPageReads['consumes'][number]>(sql`
    select d.id, d.name, coalesce(d.domain, ${NO_DOMAIN}) as provider, count(distinct j.id) as readers
    from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id
    where e.direction = 'input' and ${domainIs(sql`j.domain`, name)}
      and coalesce(d.domain, ${NO_DOMAIN}) <> ${name}
    group by d.id order by provider, d.name, d.id limit ${limit}`)
  const counts = db.all<NonNullable<DomainPageReads['counts']>>(sql`select
    (select count(*) from datasets d where ${domainIs(sql`d.domain`, name)}) as datasets,
    (select count(*) from jobs j where ${domainIs(sql`j.domain`, name)}) as jobs`)[0]
  return domainPageOf(name, { row, products, trend, published, consumes, counts })
}

/** What domainPage reads, on either engine. */
export interface DomainPageReads {
  row: { owner: string | null; description: string | null } | undefined
  products: ReturnType<typeof listProducts>
  trend: Map<string, TrendPoint[]>
  /** One row per published dataset and consuming domain (`jobs` 0: none). */
  published: {
    id: number
    name: string
    access: string | null
    consumer: string | null
    jobs: number
  }[]
  consumes: { id: number; name: string; provider: string; readers: number }[]
  counts: { datasets: number; jobs: number } | undefined
}

/** One domain's page from its reads, or undefined when nothing has that domain. */
export function domainPageOf(
  name: string,
  { row, products, trend, published, consumes, counts }: DomainPageReads,
) {
  if (!row && products.length === 0 && !counts?.datasets && !counts?.jobs) return undefined
  const byDataset = new Map<
    number,
    {
      id: number
      name: string
      access: string | null
      consumers: { domain: string; jobs: number }[]
    }
  >()
  for (const r of published) {
    const d = byDataset.get(r.id) ?? { id: r.id, name: r.name, access: r.access, consumers: [] }
    if (r.jobs > 0 && r.consumer !== null) d.consumers.push({ domain: r.consumer, jobs: r.jobs })
    byDataset.set(r.id, d)
  }
  return {
    name,
    owner: row?.owner ?? null,
    description: row?.description ?? null,
    datasets: counts?.datasets ?? 0,
    jobs: counts?.jobs ?? 0,
    products: products.map((p) => ({
      id: p.id,
      name: p.name,
      owner: p.owner,
      description: p.description,
      status: p.evaluation?.status ?? 'unknown',
      score: p.evaluation?.score ?? null,
      evaluatedAt: p.evaluation?.evaluatedAt ?? null,
      trend: trend.get(p.id) ?? [],
    })),
    published: [...byDataset.values()],
    consumes,
  }
}
