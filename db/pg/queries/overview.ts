import type * as lite from '../../queries/overview.ts'
import {
  assembleOverview,
  containsPattern,
  datasetNodeOf,
  domainEdgesOf,
  focusOf,
  focusOptions,
  jobNodeOf,
  NO_DOMAIN,
  splitNodeIds,
  type DomainEdgeRow,
  type GraphNode,
  type NodeRow,
  type OverviewEdge,
} from '../../queries/overview.ts'
import type { LineageOptions, NodeId } from '../../queries/lineage.ts'
import type { PgConn, PgModule } from '../module.ts'
import { pgNeighbourhood } from './lineage.ts'

// The web view's lineage queries on PostgreSQL: the same aggregates as SQLite's (status ranks 0
// unknown … 3 breach, max() the worst), id lists as arrays, the product walk one recursive CTE
// whose steps carry the datasets seen so far. The rows become the API's shapes by SQLite's
// module's assembly functions (db/queries/overview.ts): only the SQL is this engine's.

const dom = (col: string) => `coalesce(${col}, '${NO_DOMAIN}')`

// `datasetFilter`/`jobFilter` restrict the ranked rows (by dataset_id / job_id).
const withRanks = (datasetFilter: string, jobFilter: string) => `
  with latest_assertions as (
    select dataset_id, status, severity,
      row_number() over (partition by dataset_id, key order by observed_at desc, id desc) as rn
    from assertions where status <> 'skipped' and ${datasetFilter}
  ),
  test_rank as (
    select dataset_id, max(case
      when status in ('fail', 'error') and severity <> 'warn' then 3
      when status in ('fail', 'error', 'warn') then 2
      when status = 'pass' then 1 else 0 end) as rank
    from latest_assertions where rn = 1 group by dataset_id
  ),
  latest_evals as (
    select distinct on (product_id) product_id, status from evaluations order by product_id, id desc
  ),
  product_rank as (
    select po.dataset_id, max(case le.status when 'breach' then 3 when 'warn' then 2 when 'ok' then 1 else 0 end) as rank
    from product_outputs po join latest_evals le on le.product_id = po.product_id
    where ${datasetFilter} group by po.dataset_id
  ),
  latest_runs as (
    select distinct on (job_id) job_id, state from runs where ${jobFilter}
     order by job_id, coalesce(started_at, updated_at) desc, id desc
  ),
  job_rank as (
    select job_id, case
      when upper(state) in ('FAIL', 'FAILED', 'ERROR', 'UPSTREAM_FAILED') then 3
      when upper(state) in ('ABORT', 'SKIPPED', 'UP_FOR_RETRY') then 2
      when upper(state) in ('COMPLETE', 'SUCCESS') then 1 else 0 end as rank
    from latest_runs
  )`
const DATASET_FROM = `datasets d left join test_rank tr on tr.dataset_id = d.id
  left join product_rank pr on pr.dataset_id = d.id`
const DATASET_RANK = `greatest(coalesce(tr.rank, 0), coalesce(pr.rank, 0))`
const JOB_FROM = `jobs j left join job_rank jr on jr.job_id = j.id`
const JOB_RANK = `coalesce(jr.rank, 0)`

async function datasetNodes(q: PgConn, where: string, args: unknown[]): Promise<GraphNode[]> {
  const rows = await q.query<NodeRow & { products: string[] | null }>(
    `${withRanks(`dataset_id in (select d.id from datasets d where ${where})`, 'false')}
     select d.id, d.name, d.namespace, ${dom('d.domain')} as domain, d.kind as type, d.owner,
       ${DATASET_RANK} as rank,
       array(select po.product_id from product_outputs po where po.dataset_id = d.id order by po.product_id) as products
     from ${DATASET_FROM} where ${where} order by d.id`,
    args,
  )
  return rows.rows.map(datasetNodeOf)
}

const TYPED_JOBS = `('dbt_model', 'dbt_seed', 'dbt_snapshot', 'dbt_project', 'airflow_task', 'airflow_dag')`
const INTEGRATION = `case when j.type in ${TYPED_JOBS} then null else coalesce(
  j.meta #>> '{openlineage,integration}',
  (select coalesce(r.facets #>> '{processing_engine,name}',
      (select e.payload::json ->> 'producer' from raw_events e where e.run_id = r.run_id order by e.id limit 1),
      (select f.value ->> '_producer' from json_each(case when json_typeof(r.facets) = 'object' then r.facets end)
         with ordinality f where f.value ->> '_producer' is not null order by f.ordinality limit 1))
    from runs r where r.job_id = j.id order by r.id desc limit 1)) end`

async function jobNodes(q: PgConn, where: string, args: unknown[]): Promise<GraphNode[]> {
  const rows = await q.query<NodeRow & { integration: string | null }>(
    `${withRanks('false', `job_id in (select j.id from jobs j where ${where})`)}
     select j.id, j.name, j.namespace, ${dom('j.domain')} as domain, j.type, j.owner, ${JOB_RANK} as rank,
       ${INTEGRATION} as integration
     from ${JOB_FROM} where ${where} order by j.id`,
    args,
  )
  return rows.rows.map(jobNodeOf)
}

async function describeGraphNodes(q: PgConn, ids: readonly NodeId[]): Promise<GraphNode[]> {
  if (ids.length === 0) return []
  const { ds, js } = splitNodeIds(ids)
  return [
    ...(await datasetNodes(q, 'd.id = any($1::int8[])', [ds])),
    ...(await jobNodes(q, 'j.id = any($1::int8[])', [js])),
  ]
}

// Products reached from a product's outputs, one step a job hop; each step holds the datasets
// seen so far, so a dataset is reached once, at its fewest hops.
const PRODUCT_WALK = (from: string, to: string) => `
  with recursive walk(depth, frontier, seen) as (
    select 0, ids, ids from (select array(select dataset_id from product_outputs where product_id = $1) as ids) s
    union all
    select w.depth + 1, s.next, w.seen || s.next from walk w cross join lateral (
      select coalesce(array_agg(distinct nxt.dataset_id), '{}') as next
        from lineage_edges cur
        join lineage_edges nxt on nxt.job_id = cur.job_id and nxt.direction = '${to}'
       where cur.dataset_id = any(w.frontier) and cur.direction = '${from}'
         and nxt.dataset_id not in (select unnest(w.seen))
    ) s
    where w.depth < $2 and cardinality(w.frontier) > 0
  ),
  reached as (select unnest(frontier) as id, depth from walk where depth > 0)
  select p.id, p.name, p.domain, p.owner, min(w.depth)::int as hops
    from reached w join product_outputs po on po.dataset_id = w.id join products p on p.id = po.product_id
   where p.id <> $1
   group by p.id order by hops, p.id`

export const overview = {
  async lineageOverview(q) {
    const nodeRows = await q.query<{ domain: string; kind: string; rank: number; n: number }>(`
      ${withRanks('true', 'true')},
      ds as (select ${dom('d.domain')} as domain, ${DATASET_RANK} as rank from ${DATASET_FROM}),
      js as (
        select ${dom('j.domain')} as domain, ${JOB_RANK} as rank
        from ${JOB_FROM} where exists (select 1 from lineage_edges e where e.job_id = j.id)
      )
      select domain, 'dataset' as kind, rank, count(*) as n from ds group by domain, rank
      union all
      select domain, 'job' as kind, rank, count(*) as n from js group by domain, rank`)
    const productRows = await q.query<{ domain: string; status: string | null; n: number }>(`
      with latest_evals as (
        select distinct on (product_id) product_id, status from evaluations order by product_id, id desc
      )
      select p.domain as domain, le.status as status, count(*) as n
      from products p left join latest_evals le on le.product_id = p.id
      group by p.domain, le.status`)
    const owners = await q.query<{ name: string; owner: string | null }>(
      'select name, owner from domains',
    )
    const edges = await q.query<OverviewEdge>(`
      select source, target, sum(n)::int8 as count from (
        select ${dom('d.domain')} as source, ${dom('j.domain')} as target, count(*) as n
        from lineage_edges e join datasets d on d.id = e.dataset_id join jobs j on j.id = e.job_id
        where e.direction = 'input' group by 1, 2
        union all
        select ${dom('j.domain')} as source, ${dom('d.domain')} as target, count(*) as n
        from lineage_edges e join datasets d on d.id = e.dataset_id join jobs j on j.id = e.job_id
        where e.direction = 'output' group by 1, 2
      ) x where source <> target group by source, target
      order by source collate "C", target collate "C"`)
    return assembleOverview(nodeRows.rows, productRows.rows, owners.rows, edges.rows)
  },

  describeGraphNodes,

  async domainGraph(q, domain) {
    const nodes = [
      ...(await datasetNodes(q, `${dom('d.domain')} = $1`, [domain])),
      ...(await jobNodes(
        q,
        `${dom('j.domain')} = $1 and exists (select 1 from lineage_edges e where e.job_id = j.id)`,
        [domain],
      )),
    ]
    const rows = await q.query<DomainEdgeRow>(
      `select e.job_id as "jobId", e.dataset_id as "datasetId", e.direction,
         ${dom('j.domain')} as "jobDomain", ${dom('d.domain')} as "datasetDomain"
       from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id
       where ${dom('j.domain')} = $1 or ${dom('d.domain')} = $1
       order by e.job_id, e.dataset_id, e.direction`,
      [domain],
    )
    return { domain, nodes, edges: domainEdgesOf(domain, rows.rows) }
  },

  async lineageFocus(q, opts: LineageOptions) {
    const hood = await pgNeighbourhood(q, focusOptions(opts))
    return focusOf(
      hood,
      await describeGraphNodes(
        q,
        hood.nodes.map((n) => n.id),
      ),
    )
  },

  /** SQLite lowers the name (ASCII) and LIKEs it case-blind: ILIKE under "C" is the same test. */
  async searchNodes(q, text, limit = 20) {
    const like = containsPattern(text)
    const r = await q.query<{
      id: NodeId
      name: string
      domain: string
      kind: 'dataset' | 'job'
      product: number
    }>(
      `select * from (
        select 'dataset:' || d.id as id, d.name, ${dom('d.domain')} as domain, 'dataset' as kind,
          (exists (select 1 from product_outputs po where po.dataset_id = d.id))::int as product
        from datasets d where d.name ilike $1 escape '\\'
        union all
        select 'job:' || j.id as id, j.name, ${dom('j.domain')} as domain, 'job' as kind, 0 as product
        from jobs j where j.name ilike $1 escape '\\'
          and exists (select 1 from lineage_edges e where e.job_id = j.id)
      ) x order by product desc, kind collate "C", length(name), name collate "C", id collate "C"
      limit $2`,
      [like, limit],
    )
    return r.rows
  },

  async productNeighbours(q, productId, maxDepth = 12) {
    type Neighbour = {
      id: string
      name: string
      domain: string
      owner: string | null
      hops: number
    }
    const up = await q.query<Neighbour>(PRODUCT_WALK('output', 'input'), [productId, maxDepth])
    const down = await q.query<Neighbour>(PRODUCT_WALK('input', 'output'), [productId, maxDepth])
    return { upstream: up.rows, downstream: down.rows }
  },
} satisfies PgModule<typeof lite>
