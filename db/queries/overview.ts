import { sql, type SQL } from 'drizzle-orm'
import type { Status } from '../../common/vocab.ts'
import type { Db } from '../client.ts'
import { lineageNeighbourhood, type LineageOptions, type NodeId } from './lineage.ts'

// The web view's lineage queries. Every answer is computed by SQL aggregates over indexed joins, so a
// 5k-dataset mesh is never loaded into JS as a whole: the overview is one row per domain (pair).

/** A node's status: the evaluators' vocabulary (common/vocab.ts). */
export type NodeStatus = Status

/** Rows with no domain are grouped under this name. */
export const NO_DOMAIN = '(none)'

const STATUS_BY_RANK: NodeStatus[] = ['unknown', 'ok', 'warn', 'breach']
const statusOf = (rank: number | null): NodeStatus => STATUS_BY_RANK[rank ?? 0] ?? 'unknown'

// The result assembly below (rows in, the API's shapes out) is engine-neutral: PostgreSQL's
// db/pg/queries/overview.ts calls the same functions with its rows.

// Status ranks: 0 unknown, 1 ok, 2 warn, 3 breach, so max() is "worst". The CTEs are joined (not
// correlated) so SQLite materializes each once and indexes it automatically.
const withRanks = (datasetFilter: SQL, jobFilter: SQL) => sql`
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
    select e.product_id, e.status from evaluations e
    where e.id = (select max(e2.id) from evaluations e2 where e2.product_id = e.product_id)
  ),
  product_rank as (
    select po.dataset_id, max(case le.status when 'breach' then 3 when 'warn' then 2 when 'ok' then 1 else 0 end) as rank
    from product_outputs po join latest_evals le on le.product_id = po.product_id
    where ${datasetFilter} group by po.dataset_id
  ),
  latest_runs as (
    select job_id, state,
      row_number() over (partition by job_id order by coalesce(started_at, updated_at) desc, id desc) as rn
    from runs where ${jobFilter}
  ),
  job_rank as (
    select job_id, case
      when upper(state) in ('FAIL', 'FAILED', 'ERROR', 'UPSTREAM_FAILED') then 3
      when upper(state) in ('ABORT', 'SKIPPED', 'UP_FOR_RETRY') then 2
      when upper(state) in ('COMPLETE', 'SUCCESS') then 1 else 0 end as rank
    from latest_runs where rn = 1
  )`
const DATASET_FROM = sql`datasets d left join test_rank tr on tr.dataset_id = d.id
  left join product_rank pr on pr.dataset_id = d.id`
const DATASET_RANK = sql`max(coalesce(tr.rank, 0), coalesce(pr.rank, 0))`
const JOB_FROM = sql`jobs j left join job_rank jr on jr.job_id = j.id`
const JOB_RANK = sql`coalesce(jr.rank, 0)`

const dom = (col: SQL) => sql`coalesce(${col}, ${NO_DOMAIN})`

export interface OverviewDomain {
  name: string
  owner: string | null
  datasets: number
  jobs: number
  products: number
  status: NodeStatus
  /** Datasets and jobs by status. */
  counts: Record<NodeStatus, number>
  /** Products by their latest evaluation status. */
  productCounts: Record<NodeStatus, number>
}

export interface OverviewEdge {
  source: string
  target: string
  /** job↔dataset edges crossing from source domain to target domain. */
  count: number
}

const emptyCounts = (): Record<NodeStatus, number> => ({ ok: 0, warn: 0, breach: 0, unknown: 0 })

/** One node per domain with counts and worst status, and the cross-domain edges with counts. */
export function lineageOverview(db: Db): { domains: OverviewDomain[]; edges: OverviewEdge[] } {
  const nodeRows = db.all<{ domain: string; kind: string; rank: number; n: number }>(sql`
    ${withRanks(sql`1 = 1`, sql`1 = 1`)},
    ds as (select ${dom(sql`d.domain`)} as domain, ${DATASET_RANK} as rank from ${DATASET_FROM}),
    js as (
      select ${dom(sql`j.domain`)} as domain, ${JOB_RANK} as rank
      from ${JOB_FROM} where exists (select 1 from lineage_edges e where e.job_id = j.id)
    )
    select domain, 'dataset' as kind, rank, count(*) as n from ds group by domain, rank
    union all
    select domain, 'job' as kind, rank, count(*) as n from js group by domain, rank`)
  const productRows = db.all<{ domain: string; status: string | null; n: number }>(sql`
    with latest_evals as (
      select e.product_id, e.status from evaluations e
      where e.id = (select max(e2.id) from evaluations e2 where e2.product_id = e.product_id)
    )
    select p.domain as domain, le.status as status, count(*) as n
    from products p left join latest_evals le on le.product_id = p.id
    group by p.domain, le.status`)
  const owners = db.all<{ name: string; owner: string | null }>(
    sql`select name, owner from domains`,
  )
  const edges = db.all<OverviewEdge>(sql`
    select source, target, sum(n) as count from (
      select ${dom(sql`d.domain`)} as source, ${dom(sql`j.domain`)} as target, count(*) as n
      from lineage_edges e join datasets d on d.id = e.dataset_id join jobs j on j.id = e.job_id
      where e.direction = 'input' group by 1, 2
      union all
      select ${dom(sql`j.domain`)} as source, ${dom(sql`d.domain`)} as target, count(*) as n
      from lineage_edges e join datasets d on d.id = e.dataset_id join jobs j on j.id = e.job_id
      where e.direction = 'output' group by 1, 2
    ) where source <> target group by source, target order by source, target`)
  return assembleOverview(nodeRows, productRows, owners, edges)
}

/** What lineageOverview reads: nodes and products counted by domain and rank/status, domain owners. */
interface OverviewRows {
  nodes: readonly { domain: string; kind: string; rank: number; n: number }[]
  products: readonly { domain: string; status: string | null; n: number }[]
  owners: readonly { name: string; owner: string | null }[]
}

/** lineageOverview's answer from its rows (either engine). */
export function assembleOverview(
  nodeRows: OverviewRows['nodes'],
  productRows: OverviewRows['products'],
  ownerRows: OverviewRows['owners'],
  edges: OverviewEdge[],
): { domains: OverviewDomain[]; edges: OverviewEdge[] } {
  const owners = new Map(ownerRows.map((r) => [r.name, r.owner]))
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
  for (const r of nodeRows) {
    const d = get(r.domain)
    if (r.kind === 'dataset') d.datasets += r.n
    else d.jobs += r.n
    d.counts[statusOf(r.rank)] += r.n
    worst.set(r.domain, Math.max(worst.get(r.domain) ?? 0, r.rank))
  }
  for (const r of productRows) {
    const d = get(r.domain)
    const s: NodeStatus =
      r.status === 'ok' || r.status === 'warn' || r.status === 'breach' ? r.status : 'unknown'
    d.products += r.n
    d.productCounts[s] += r.n
    worst.set(r.domain, Math.max(worst.get(r.domain) ?? 0, STATUS_BY_RANK.indexOf(s)))
  }
  for (const d of byName.values()) d.status = statusOf(worst.get(d.name) ?? 0)
  return { domains: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)), edges }
}

export interface GraphNode {
  id: NodeId
  kind: 'dataset' | 'job'
  name: string
  namespace: string
  domain: string
  type: string | null
  owner: string | null
  status: NodeStatus
  /** Ids of the products this dataset is an output of. */
  products: string[]
  /**
   * A job's producer when its type does not say it (Spark, Flink, Great Expectations…): the jobType
   * facet's integration, else its latest run's processing_engine name, else that run's event's producer.
   */
  integration: string | null
}

export interface GraphEdge {
  source: NodeId
  target: NodeId
}

/** Statuses and product membership of the given nodes (a bounded set: one domain or a focus). */
export function describeGraphNodes(db: Db, ids: readonly NodeId[]): GraphNode[] {
  if (ids.length === 0) return []
  const { ds, js } = splitNodeIds(ids)
  return [
    ...datasetNodes(db, sql`d.id in (select value from json_each(${JSON.stringify(ds)}))`),
    ...jobNodes(db, sql`j.id in (select value from json_each(${JSON.stringify(js)}))`),
  ]
}

/** Node ids split into dataset and job row ids. */
export function splitNodeIds(ids: readonly NodeId[]): { ds: number[]; js: number[] } {
  return {
    ds: ids.filter((i) => i.startsWith('dataset:')).map((i) => Number(i.slice(8))),
    js: ids.filter((i) => i.startsWith('job:')).map((i) => Number(i.slice(4))),
  }
}

/** A graph node's row as both engines read it. */
export interface NodeRow {
  id: number
  name: string
  namespace: string
  domain: string
  type: string | null
  owner: string | null
  rank: number
}

const nodeOf = (
  kind: GraphNode['kind'],
  r: NodeRow,
  products: string[],
  integration: string | null,
): GraphNode => ({
  id: `${kind}:${r.id}`,
  kind,
  name: r.name,
  namespace: r.namespace,
  domain: r.domain,
  type: r.type,
  owner: r.owner,
  status: statusOf(r.rank),
  products,
  integration,
})

/** A dataset's graph node from its row (its products already a list). */
export const datasetNodeOf = (r: NodeRow & { products: string[] | null }): GraphNode =>
  nodeOf('dataset', r, r.products ?? [], null)

/** A job's graph node from its row (`integration` as stored, or a producer URL). */
export const jobNodeOf = (r: NodeRow & { integration: string | null }): GraphNode =>
  nodeOf('job', r, [], r.integration === null ? null : integrationName(r.integration))

function datasetNodes(db: Db, where: SQL): GraphNode[] {
  const rows = db.all<NodeRow & { products: string | null }>(sql`
    ${withRanks(sql`dataset_id in (select d.id from datasets d where ${where})`, sql`0 = 1`)}
    select d.id, d.name, d.namespace, ${dom(sql`d.domain`)} as domain, d.kind as type, d.owner,
      ${DATASET_RANK} as rank,
      (select json_group_array(po.product_id order by po.product_id) from product_outputs po where po.dataset_id = d.id) as products
    from ${DATASET_FROM} where ${where} order by d.id`)
  return rows.map((r) =>
    datasetNodeOf({ ...r, products: r.products ? (JSON.parse(r.products) as string[]) : [] }),
  )
}

// Job types that name their producer; any other job's producer is looked up (one indexed run).
const TYPED_JOBS = sql`('dbt_model', 'dbt_seed', 'dbt_snapshot', 'dbt_project', 'airflow_task', 'airflow_dag')`
const INTEGRATION = sql`case when j.type in ${TYPED_JOBS} then null else coalesce(
  json_extract(j.meta, '$.openlineage.integration'),
  (select coalesce(json_extract(r.facets, '$.processing_engine.name'),
      (select json_extract(e.payload, '$.producer') from raw_events e where e.run_id = r.run_id order by e.id limit 1),
      (select f.value ->> '_producer' from json_each(r.facets) f
        where f.value ->> '_producer' is not null limit 1))
    from runs r where r.job_id = j.id order by r.id desc limit 1)) end`

/**
 * An integration's name as stored (`SPARK`, `spark`) or a producer URL
 * (`…/integration/spark`, `…/provider/great_expectations`), as lower-case snake case.
 */
export function integrationName(s: string): string | null {
  if (!s.includes('/'))
    return (
      s
        .trim()
        .toLowerCase()
        .replace(/[\s-]+/g, '_') || null
    )
  if (/github\.com\/apache\/airflow/i.test(s)) return 'airflow'
  const m = /\/provider\/([\w-]+)\/?$/.exec(s) ?? /\/integration\/([\w-]+)/.exec(s)
  return m?.[1] ? m[1].toLowerCase().replace(/-/g, '_') : null
}

function jobNodes(db: Db, where: SQL): GraphNode[] {
  const rows = db.all<NodeRow & { integration: string | null }>(sql`
    ${withRanks(sql`0 = 1`, sql`job_id in (select j.id from jobs j where ${where})`)}
    select j.id, j.name, j.namespace, ${dom(sql`j.domain`)} as domain, j.type, j.owner, ${JOB_RANK} as rank,
      ${INTEGRATION} as integration
    from ${JOB_FROM} where ${where} order by j.id`)
  return rows.map(jobNodeOf)
}

/**
 * One domain expanded: its datasets and the jobs that touch lineage, their edges, and the edges that
 * cross into other domains (with the foreign node's domain, so a collapsed domain can stand in for it).
 */
export function domainGraph(db: Db, domain: string) {
  const inDomain = (col: SQL) => sql`${dom(col)} = ${domain}`
  const nodes = [
    ...datasetNodes(db, inDomain(sql`d.domain`)),
    ...jobNodes(
      db,
      sql`${inDomain(sql`j.domain`)} and exists (select 1 from lineage_edges e where e.job_id = j.id)`,
    ),
  ]
  const rows = db.all<DomainEdgeRow>(sql`
    select e.job_id as jobId, e.dataset_id as datasetId, e.direction,
      ${dom(sql`j.domain`)} as jobDomain, ${dom(sql`d.domain`)} as datasetDomain
    from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id
    where ${inDomain(sql`j.domain`)} or ${inDomain(sql`d.domain`)}
    order by e.job_id, e.dataset_id, e.direction`)
  return { domain, nodes, edges: domainEdgesOf(domain, rows) }
}

/** A lineage edge touching a domain, with both ends' domains. */
export interface DomainEdgeRow {
  jobId: number
  datasetId: number
  direction: string
  jobDomain: string
  datasetDomain: string
}

/** domainGraph's edges: each one crossing out of `domain` names its foreign end and that end's domain. */
export function domainEdgesOf(
  domain: string,
  rows: readonly DomainEdgeRow[],
): (GraphEdge & { foreign?: { id: NodeId; domain: string } })[] {
  return rows.map((r) => {
    const job: NodeId = `job:${r.jobId}`
    const ds: NodeId = `dataset:${r.datasetId}`
    const [source, target] = r.direction === 'input' ? [ds, job] : [job, ds]
    if (r.jobDomain !== domain) return { source, target, foreign: { id: job, domain: r.jobDomain } }
    if (r.datasetDomain !== domain)
      return { source, target, foreign: { id: ds, domain: r.datasetDomain } }
    return { source, target }
  })
}

/** The neighbourhood of a node, with statuses and products for every node in it. */
export function lineageFocus(db: Db, opts: LineageOptions) {
  const hood = lineageNeighbourhood(db, focusOptions(opts))
  return focusOf(
    hood,
    describeGraphNodes(
      db,
      hood.nodes.map((n) => n.id),
    ),
  )
}

/** lineageFocus's walk options: at most 1500 nodes unless asked. */
export const focusOptions = (opts: LineageOptions): LineageOptions => ({
  ...opts,
  maxNodes: opts.maxNodes ?? 1500,
})

/** lineageFocus's answer: the neighbourhood's described nodes, each with its depth. */
export function focusOf<R, E>(
  hood: { root: R; nodes: { id: NodeId; depth: number }[]; edges: E; truncated: boolean },
  described: GraphNode[],
) {
  const depth = new Map(hood.nodes.map((n) => [n.id, n.depth]))
  const nodes = described.map((n) => ({ ...n, depth: depth.get(n.id) ?? 0 }))
  return { root: hood.root, nodes, edges: hood.edges, truncated: hood.truncated }
}

/** A LIKE pattern (escape `\\`) for names containing `q`, lower-cased. */
export const containsPattern = (q: string) =>
  `%${q.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%`

/** Datasets and jobs whose name contains `q` (case-insensitive), products first, then shortest names. */
export function searchNodes(db: Db, q: string, limit = 20) {
  const like = containsPattern(q)
  return db.all<{
    id: NodeId
    name: string
    domain: string
    kind: 'dataset' | 'job'
    product: number
  }>(sql`
    select * from (
      select 'dataset:' || d.id as id, d.name, ${dom(sql`d.domain`)} as domain, 'dataset' as kind,
        exists (select 1 from product_outputs po where po.dataset_id = d.id) as product
      from datasets d where lower(d.name) like ${like} escape '\\'
      union all
      select 'job:' || j.id as id, j.name, ${dom(sql`j.domain`)} as domain, 'job' as kind, 0 as product
      from jobs j where lower(j.name) like ${like} escape '\\'
        and exists (select 1 from lineage_edges e where e.job_id = j.id)
    ) order by product desc, kind, length(name), name, id limit ${limit}`)
}

/** Products upstream and downstream of a product's outputs, with the dataset hops to reach them. */
export function productNeighbours(db: Db, productId: string, maxDepth = 12) {
  const walk = (dir: 'up' | 'down') => {
    const [from, to] = dir === 'up' ? ['output', 'input'] : ['input', 'output']
    return db.all<{
      id: string
      name: string
      domain: string
      owner: string | null
      hops: number
    }>(sql`
      with recursive walk(id, depth) as (
        select dataset_id, 0 from product_outputs where product_id = ${productId}
        union
        select nxt.dataset_id, w.depth + 1 from walk w
        join lineage_edges cur on cur.dataset_id = w.id and cur.direction = ${from}
        join lineage_edges nxt on nxt.job_id = cur.job_id and nxt.direction = ${to}
        where w.depth < ${maxDepth}
      )
      select p.id, p.name, p.domain, p.owner, min(w.depth) as hops
      from walk w join product_outputs po on po.dataset_id = w.id join products p on p.id = po.product_id
      where p.id <> ${productId}
        and w.id not in (select dataset_id from product_outputs where product_id = ${productId})
      group by p.id order by hops, p.id`)
  }
  return { upstream: walk('up'), downstream: walk('down') }
}
