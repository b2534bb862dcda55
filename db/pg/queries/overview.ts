import type * as lite from '../../queries/overview.ts'
import {
  integrationName,
  NO_DOMAIN,
  type GraphEdge,
  type GraphNode,
  type NodeStatus,
  type OverviewDomain,
  type OverviewEdge,
} from '../../queries/overview.ts'
import type { LineageOptions, NodeId } from '../../queries/lineage.ts'
import type { PgConn, PgModule } from '../module.ts'
import { pgNeighbourhood } from './lineage.ts'

// The web view's lineage queries on PostgreSQL: the same aggregates as SQLite's (status ranks 0
// unknown … 3 breach, max() the worst), id lists as arrays, the product walk one recursive CTE
// whose steps carry the datasets seen so far.

const STATUS_BY_RANK: NodeStatus[] = ['unknown', 'ok', 'warn', 'breach']
const statusOf = (rank: number | null): NodeStatus => STATUS_BY_RANK[rank ?? 0] ?? 'unknown'
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

const emptyCounts = (): Record<NodeStatus, number> => ({ ok: 0, warn: 0, breach: 0, unknown: 0 })

async function datasetNodes(q: PgConn, where: string, args: unknown[]): Promise<GraphNode[]> {
  const rows = await q.query<{
    id: number
    name: string
    namespace: string
    domain: string
    type: string | null
    owner: string | null
    rank: number
    products: string[] | null
  }>(
    `${withRanks(`dataset_id in (select d.id from datasets d where ${where})`, 'false')}
     select d.id, d.name, d.namespace, ${dom('d.domain')} as domain, d.kind as type, d.owner,
       ${DATASET_RANK} as rank,
       array(select po.product_id from product_outputs po where po.dataset_id = d.id order by po.product_id) as products
     from ${DATASET_FROM} where ${where} order by d.id`,
    args,
  )
  return rows.rows.map((r) => ({
    id: `dataset:${r.id}`,
    kind: 'dataset',
    name: r.name,
    namespace: r.namespace,
    domain: r.domain,
    type: r.type,
    owner: r.owner,
    status: statusOf(r.rank),
    products: r.products ?? [],
    integration: null,
  }))
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
  const rows = await q.query<{
    id: number
    name: string
    namespace: string
    domain: string
    type: string | null
    owner: string | null
    rank: number
    integration: string | null
  }>(
    `${withRanks('false', `job_id in (select j.id from jobs j where ${where})`)}
     select j.id, j.name, j.namespace, ${dom('j.domain')} as domain, j.type, j.owner, ${JOB_RANK} as rank,
       ${INTEGRATION} as integration
     from ${JOB_FROM} where ${where} order by j.id`,
    args,
  )
  return rows.rows.map((r) => ({
    id: `job:${r.id}`,
    kind: 'job',
    name: r.name,
    namespace: r.namespace,
    domain: r.domain,
    type: r.type,
    owner: r.owner,
    status: statusOf(r.rank),
    products: [],
    integration: r.integration === null ? null : integrationName(r.integration),
  }))
}

async function describeGraphNodes(q: PgConn, ids: readonly NodeId[]): Promise<GraphNode[]> {
  if (ids.length === 0) return []
  const ds = ids.filter((i) => i.startsWith('dataset:')).map((i) => Number(i.slice(8)))
  const js = ids.filter((i) => i.startsWith('job:')).map((i) => Number(i.slice(4)))
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
    const owners = new Map(
      (
        await q.query<{ name: string; owner: string | null }>('select name, owner from domains')
      ).rows.map((r) => [r.name, r.owner]),
    )
    const byName = new Map<string, OverviewDomain>()
    const get = (name: string) => {
      let d = byName.get(name)
      if (!d) {
        d = {
          name,
          owner: owners.get(name) ?? null,
          datasets: 0,
          jobs: 0,
          products: 0,
          status: 'unknown',
          counts: emptyCounts(),
          productCounts: emptyCounts(),
        }
        byName.set(name, d)
      }
      return d
    }
    const worst = new Map<string, number>()
    for (const r of nodeRows.rows) {
      const d = get(r.domain)
      if (r.kind === 'dataset') d.datasets += r.n
      else d.jobs += r.n
      d.counts[statusOf(r.rank)] += r.n
      worst.set(r.domain, Math.max(worst.get(r.domain) ?? 0, r.rank))
    }
    for (const r of productRows.rows) {
      const d = get(r.domain)
      const s: NodeStatus =
        r.status === 'ok' || r.status === 'warn' || r.status === 'breach' ? r.status : 'unknown'
      d.products += r.n
      d.productCounts[s] += r.n
      worst.set(r.domain, Math.max(worst.get(r.domain) ?? 0, STATUS_BY_RANK.indexOf(s)))
    }
    for (const d of byName.values()) d.status = statusOf(worst.get(d.name) ?? 0)
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
    return {
      domains: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)),
      edges: edges.rows,
    }
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
    const rows = await q.query<{
      jobId: number
      datasetId: number
      direction: string
      jobDomain: string
      datasetDomain: string
    }>(
      `select e.job_id as "jobId", e.dataset_id as "datasetId", e.direction,
         ${dom('j.domain')} as "jobDomain", ${dom('d.domain')} as "datasetDomain"
       from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id
       where ${dom('j.domain')} = $1 or ${dom('d.domain')} = $1
       order by e.job_id, e.dataset_id, e.direction`,
      [domain],
    )
    const edges: (GraphEdge & { foreign?: { id: NodeId; domain: string } })[] = rows.rows.map(
      (r) => {
        const job: NodeId = `job:${r.jobId}`
        const ds: NodeId = `dataset:${r.datasetId}`
        const [source, target] = r.direction === 'input' ? [ds, job] : [job, ds]
        if (r.jobDomain !== domain)
          return { source, target, foreign: { id: job, domain: r.jobDomain } }
        if (r.datasetDomain !== domain)
          return { source, target, foreign: { id: ds, domain: r.datasetDomain } }
        return { source, target }
      },
    )
    return { domain, nodes, edges }
  },

  async lineageFocus(q, opts: LineageOptions) {
    const hood = await pgNeighbourhood(q, { ...opts, maxNodes: opts.maxNodes ?? 1500 })
    const depth = new Map(hood.nodes.map((n) => [n.id, n.depth]))
    const nodes = (
      await describeGraphNodes(
        q,
        hood.nodes.map((n) => n.id),
      )
    ).map((n) => ({ ...n, depth: depth.get(n.id) ?? 0 }))
    return { root: hood.root, nodes, edges: hood.edges, truncated: hood.truncated }
  },

  /** SQLite lowers the name (ASCII) and LIKEs it case-blind: ILIKE under "C" is the same test. */
  async searchNodes(q, text, limit = 20) {
    const like = `%${text.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`
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
