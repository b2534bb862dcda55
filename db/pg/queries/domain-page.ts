import type * as lite from '../../queries/domain-page.ts'
import {
  domainPageOf,
  domainTilesOf,
  trendsOf,
  type DomainPageReads,
  type TrendRow,
} from '../../queries/domain-page.ts'
import { NO_DOMAIN } from '../../queries/overview.ts'
import type { PgConn, PgModule } from '../module.ts'
import { catalog } from './catalog.ts'
import { overview } from './overview.ts'

// The mesh home's domain tiles and one domain's page on PostgreSQL: SQLite's aggregates per
// domain (pair), times compared as the ISO text they are stored as. The rows become the API's
// shapes by db/queries/domain-page.ts's assembly functions: only the SQL is this engine's.

const DAY_MS = 86_400_000
const RANK = `max(case status when 'breach' then 3 when 'warn' then 2 when 'ok' then 1 else 0 end)`

/** Daily score points since `days` before `now`, by a product's domain or its id; `domain` filters. */
async function dailyTrend(
  q: PgConn,
  now: Date,
  days: number,
  by: 'domain' | 'product',
  domain?: string,
) {
  const since = new Date(now.getTime() - days * DAY_MS).toISOString()
  const rows = await q.query<TrendRow>(
    `with daily as (
       select ${by === 'domain' ? 'p.domain' : 'p.id'} as k, substr(e.evaluated_at, 1, 10) as day,
         e.score, e.status,
         row_number() over (
           partition by e.product_id, substr(e.evaluated_at, 1, 10)
           order by e.evaluated_at desc, e.id desc) as rn
       from evaluations e join products p on p.id = e.product_id
       where e.evaluated_at >= $1 and e.status <> 'unknown' and ($2::text is null or p.domain = $2)
     )
     select k, day, avg(score) as score, ${RANK} as rank from daily where rn = 1
     group by k, day order by k, day`,
    [since, domain ?? null],
  )
  return trendsOf(rows.rows)
}

const domainIs = (col: string) => `coalesce(${col}, '${NO_DOMAIN}') = $1`

export const domainPage = {
  async domainTiles(q, now, days = 30) {
    return domainTilesOf(
      await overview.lineageOverview(q),
      await dailyTrend(q, now, days, 'domain'),
    )
  },

  async domainPage(q, name, now, days = 30, limit = 500) {
    const row = (
      await q.query<{ name: string; owner: string | null; description: string | null }>(
        'select name, owner, description from domains where name = $1',
        [name],
      )
    ).rows[0]
    const products = await catalog.listProducts(q, { domain: name })
    const trend = await dailyTrend(q, now, days, 'product', name)
    const published = (
      await q.query<DomainPageReads['published'][number]>(
        `select d.id, d.name, d.access, coalesce(j.domain, '${NO_DOMAIN}') as consumer,
           count(distinct j.id) as jobs
         from datasets d
         left join lineage_edges e on e.dataset_id = d.id and e.direction = 'input'
         left join jobs j on j.id = e.job_id and coalesce(j.domain, '${NO_DOMAIN}') <> $1
         where ${domainIs('d.domain')}
           and (d.access = 'public' or d.id in (select dataset_id from product_outputs))
         group by d.id, j.domain order by d.name, d.id, consumer limit $2`,
        [name, limit],
      )
    ).rows
    const consumes = (
      await q.query<DomainPageReads['consumes'][number]>(
        `select d.id, d.name, coalesce(d.domain, '${NO_DOMAIN}') as provider,
           count(distinct j.id) as readers
         from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id
         where e.direction = 'input' and ${domainIs('j.domain')}
           and coalesce(d.domain, '${NO_DOMAIN}') <> $1
         group by d.id order by provider, d.name, d.id limit $2`,
        [name, limit],
      )
    ).rows
    const counts = (
      await q.query<NonNullable<DomainPageReads['counts']>>(
        `select (select count(*) from datasets d where ${domainIs('d.domain')}) as datasets,
                (select count(*) from jobs j where ${domainIs('j.domain')}) as jobs`,
        [name],
      )
    ).rows[0]
    return domainPageOf(name, { row, products, trend, published, consumes, counts })
  },
} satisfies PgModule<typeof lite>
