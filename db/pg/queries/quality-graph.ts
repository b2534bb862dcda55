import { storedRunTags } from '../../../common/tags.ts'
import type * as lite from '../../queries/quality-graph.ts'
import {
  jobDependencies,
  rootCauseNodes,
  type RootCauseGraph,
} from '../../queries/quality-graph.ts'
import type { NodeId } from '../../queries/lineage.ts'
import { groupBy } from '../../queries/quality.ts'
import type { GovProduct, RcEdge, RcNode } from '../../queries/quality-facts.ts'
import type * as sq from '../../schema.ts'
import type { PgConn, PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { products } from '../schema.ts'
import { pgNeighbourhood } from './lineage.ts'
import { quality } from './quality.ts'

// Root cause's bounded upstream graph and the governance policies' facts on PostgreSQL: the
// lineage walk is the recursive statement of lineage.ts, id lists are array parameters, and the
// rows come in SQLite's (explicit) orders.

type DatasetNode = Pick<
  typeof sq.datasets.$inferSelect,
  'id' | 'namespace' | 'name' | 'domain' | 'kind'
>
type JobNode = Pick<
  typeof sq.jobs.$inferSelect,
  'id' | 'namespace' | 'name' | 'domain' | 'type' | 'parentId' | 'schedule'
>
type ProductRow = typeof sq.products.$inferSelect

const PRODUCT = columnsOf(products)
const idOf = (n: string): number => Number(n.slice(n.indexOf(':') + 1))

async function datasetNodes(q: PgConn, ids: number[]): Promise<DatasetNode[]> {
  if (ids.length === 0) return []
  return (
    await q.query<DatasetNode>(
      'select id, namespace, name, domain, kind from datasets where id = any($1::int8[]) order by id',
      [ids],
    )
  ).rows
}

async function jobNodes(q: PgConn, ids: number[], dagsOnly = false): Promise<JobNode[]> {
  if (ids.length === 0) return []
  return (
    await q.query<JobNode>(
      `select id, namespace, name, domain, type, parent_id as "parentId", schedule from jobs
        where id = any($1::int8[])${dagsOnly ? ` and type = 'airflow_dag'` : ''} order by id`,
      [ids],
    )
  ).rows
}

type LatestRun = { state: string; at: string | null; error: string | null }
type RunSql = { runId: string; tags: unknown }
/** The run's id and tags (TagsRunFacet) for root cause to name the run it blames. */
const blamedRun = (r: RunSql) => ({ runId: r.runId, runTags: storedRunTags(r.tags) })
const RUN_SQL = `run_id as "runId", facets #> '{tags,tags}' as tags`

async function latestRuns(q: PgConn, jobIds: number[]) {
  if (jobIds.length === 0) return new Map<number, LatestRun & ReturnType<typeof blamedRun>>()
  const r = await q.query<LatestRun & RunSql & { jobId: number }>(
    `select distinct on (job_id) job_id as "jobId", state, coalesce(ended_at, started_at) as at, error,
       ${RUN_SQL}
       from runs where job_id = any($1::int8[])
      order by job_id, coalesce(started_at, ended_at) desc nulls last, id desc`,
    [jobIds],
  )
  return new Map(
    r.rows.map((x) => [x.jobId, { state: x.state, at: x.at, error: x.error, ...blamedRun(x) }]),
  )
}

async function lastSuccess(q: PgConn, jobIds: number[]): Promise<Map<number, string>> {
  if (jobIds.length === 0) return new Map()
  const r = await q.query<{ jobId: number; at: string }>(
    `select job_id as "jobId", max(coalesce(ended_at, started_at)) as at from runs
      where job_id = any($1::int8[]) and state = 'COMPLETE' group by job_id`,
    [jobIds],
  )
  return new Map(r.rows.map((x) => [x.jobId, x.at]))
}

async function lastFailure(q: PgConn, jobIds: number[]) {
  type Failure = { at: string | null; error: string | null }
  if (jobIds.length === 0) return new Map<number, Failure & ReturnType<typeof blamedRun>>()
  const r = await q.query<Failure & RunSql & { jobId: number }>(
    `select distinct on (job_id) job_id as "jobId", coalesce(ended_at, started_at) as at, error,
       ${RUN_SQL}
       from runs where state = 'FAIL' and job_id = any($1::int8[])
      order by job_id, coalesce(ended_at, started_at) desc nulls last, id desc`,
    [jobIds],
  )
  return new Map(r.rows.map((x) => [x.jobId, { at: x.at, error: x.error, ...blamedRun(x) }]))
}

async function recentTaskFailures(q: PgConn, domains: string[], since: string): Promise<RcNode[]> {
  if (domains.length === 0) return []
  const tasks = (
    await q.query<Omit<JobNode, 'parentId'>>(
      `select id, namespace, name, domain, type, schedule from jobs
        where type = 'airflow_task' and domain = any($1::text[]) order by id`,
      [domains],
    )
  ).rows
  const latest = await latestRuns(
    q,
    tasks.map((t) => t.id),
  )
  return tasks.flatMap((t): RcNode[] => {
    const r = latest.get(t.id)
    if (!r || r.state !== 'FAIL' || (r.at !== null && r.at < since)) return []
    return [
      {
        id: `job:${t.id}`,
        kind: 'job',
        namespace: t.namespace,
        name: t.name,
        domain: t.domain,
        type: t.type,
        schedule: t.schedule,
        latestRun: r,
      },
    ]
  })
}

type GraphOpts = Parameters<typeof lite.loadRootCauseGraph>[2]
type GraphWant = Parameters<typeof lite.loadRootCauseGraphs>[1][number]

/** What one product's graph needs from the set reads, before its runs, tests and freshness. */
interface Pending {
  outs: number[]
  nodeIds: Set<NodeId>
  edges: Map<string, RcEdge>
  truncated: boolean
  dsRows: DatasetNode[]
  jobRows: Map<number, JobNode>
}

const byId = <T extends { id: number }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]))
const sortedIds = (ids: Iterable<number>) => [...new Set(ids)].sort((a, b) => a - b)

/**
 * The root cause graphs of many products: each product's lineage walk is one statement, every
 * other read is one set read over all the products' nodes (a node's rows do not depend on the
 * other nodes asked for), so the graphs are those loadRootCauseGraph builds one at a time.
 */
async function loadRootCauseGraphs(
  q: PgConn,
  wants: GraphWant[],
  opts: Omit<GraphOpts, 'depth'>,
): Promise<(RootCauseGraph | undefined)[]> {
  if (wants.length === 0) return []
  const ids = [...new Set(wants.map((w) => w.productId))]
  const outsOf = groupBy(
    (
      await q.query<{ productId: string; id: number }>(
        `select product_id as "productId", dataset_id as id from product_outputs
          where product_id = any($1::text[]) order by product_id, dataset_id`,
        [ids],
      )
    ).rows,
    (r) => r.productId,
    (r) => r.id,
  )
  const bare = ids.filter((id) => !outsOf.has(id))
  const known = new Set(
    bare.length === 0
      ? []
      : (
          await q.query<{ id: string }>('select id from products where id = any($1::text[])', [
            bare,
          ])
        ).rows.map((r) => r.id),
  )
  const pending: (Pending | undefined)[] = []
  for (const w of wants) {
    const outs = outsOf.get(w.productId) ?? []
    if (outs.length === 0 && !known.has(w.productId)) {
      pending.push(undefined)
      continue
    }
    const edges = new Map<string, RcEdge>()
    const nodeIds = new Set<NodeId>()
    let truncated = false
    for (const o of outs) {
      const n = await pgNeighbourhood(q, {
        node: `dataset:${o}`,
        depth: w.depth,
        direction: 'up',
        maxNodes: opts.maxNodes ?? 2000,
      })
      truncated ||= n.truncated
      for (const x of n.nodes) nodeIds.add(x.id)
      for (const e of n.edges) edges.set(`${e.source}>${e.target}`, { ...e, via: 'lineage' })
    }
    pending.push({ outs, nodeIds, edges, truncated, dsRows: [], jobRows: new Map() })
  }
  const live = pending.filter((p): p is Pending => p !== undefined)
  const dsIdsOf = (p: Pending) => [...p.nodeIds].filter((n) => n.startsWith('dataset:')).map(idOf)
  const datasets = await datasetNodes(q, sortedIds(live.flatMap(dsIdsOf)))
  const orchestration = opts.orchestration ?? (await quality.loadOrchestrationJobs(q, opts.links))
  for (const p of live) {
    const mine = new Set(dsIdsOf(p))
    p.dsRows = datasets.filter((d) => mine.has(d.id))
    for (const [dsId, jobIds] of await quality.orchestrationLinks(
      q,
      p.dsRows,
      opts.links,
      orchestration,
    ))
      for (const j of jobIds) {
        p.nodeIds.add(`job:${j}`)
        p.edges.set(`job:${j}>dataset:${dsId}`, {
          source: `job:${j}`,
          target: `dataset:${dsId}`,
          via: 'orchestration',
        })
      }
  }
  const jobIdsOf = (p: Pending) => [...p.nodeIds].filter((n) => n.startsWith('job:')).map(idOf)
  const jobs = byId(await jobNodes(q, sortedIds(live.flatMap(jobIdsOf))))
  for (const p of live)
    for (const id of sortedIds(jobIdsOf(p))) {
      const j = jobs.get(id)
      if (j) p.jobRows.set(id, j)
    }
  const parentsOf = (p: Pending) =>
    sortedIds([...p.jobRows.values()].flatMap((j) => (j.parentId === null ? [] : [j.parentId])))
  const dags = byId(await jobNodes(q, sortedIds(live.flatMap(parentsOf)), true))
  const deps = live.map((p) => {
    for (const id of parentsOf(p)) {
      const d = dags.get(id)
      if (!d) continue
      p.jobRows.set(d.id, d)
      for (const j of p.jobRows.values())
        if (j.parentId === d.id)
          p.edges.set(`job:${d.id}>job:${j.id}`, {
            source: `job:${d.id}`,
            target: `job:${j.id}`,
            via: 'parent',
          })
    }
    return jobDependencies(orchestration.dependencies, new Set(p.jobRows.keys()))
  })
  const extra = byId(
    await jobNodes(
      q,
      sortedIds(
        live.flatMap((p, i) => (deps[i] ?? []).flatMap(([f]) => (p.jobRows.has(f) ? [] : [f]))),
      ),
    ),
  )
  live.forEach((p, i) => {
    for (const [from, to] of deps[i] ?? []) {
      if (!p.jobRows.has(from)) {
        const row = extra.get(from)
        if (!row) continue
        p.jobRows.set(from, row)
      }
      p.edges.set(`job:${from}>job:${to}`, {
        source: `job:${from}`,
        target: `job:${to}`,
        via: 'orchestration',
      })
    }
  })
  const jobIds = sortedIds(live.flatMap((p) => [...p.jobRows.keys()]))
  const dsIds = sortedIds(live.flatMap((p) => p.dsRows.map((d) => d.id)))
  const latest = await latestRuns(q, jobIds)
  const lastOk = await lastSuccess(q, jobIds)
  const lastFail = await lastFailure(q, jobIds)
  const tests = await quality.latestAssertions(q, dsIds)
  const metrics = await quality.recentMetrics(q, dsIds, 1)
  const nodesOf = (p: Pending): RcNode[] =>
    rootCauseNodes(p.dsRows, p.jobRows.values(), { tests, metrics, lastOk, latest, lastFail })
  const nodes = live.map(nodesOf)
  const staleOf = nodes.map(
    (ns) =>
      new Set(
        ns
          .filter((n) => n.freshness?.status === 'error' || n.freshness?.status === 'warn')
          .flatMap((n) => (n.domain ? [n.domain] : [])),
      ),
  )
  // a task's failure does not depend on the other domains asked for: one read, kept per product
  const failures = await recentTaskFailures(
    q,
    [...new Set(staleOf.flatMap((s) => [...s]))],
    new Date(opts.now.getTime() - 2 * 86_400_000).toISOString(),
  )
  let k = 0
  return pending.map((p) => {
    if (!p) return undefined
    const i = k++
    const stale = staleOf[i] ?? new Set<string>()
    return {
      outputs: p.outs.map((o) => `dataset:${o}`),
      nodes: nodes[i] ?? [],
      edges: [...p.edges.values()],
      domainFailures: failures.filter((f) => f.domain !== null && stale.has(f.domain)),
      truncated: p.truncated,
    }
  })
}

export const qualityGraph = {
  async loadRootCauseGraph(q, productId, opts): Promise<RootCauseGraph | undefined> {
    return (await loadRootCauseGraphs(q, [{ productId, depth: opts.depth }], opts))[0]
  },
  loadRootCauseGraphs,

  /** SQLite's LIKE '%unique%' ignores ASCII case: ILIKE here. */
  async loadGovernanceFacts(q) {
    const prods = (await q.query<ProductRow>(`select ${PRODUCT} from products order by id`)).rows
    const outs = (
      await q.query<{
        productId: string
        id: number
        name: string
        meta: Record<string, unknown> | null
      }>(
        `select o.product_id as "productId", d.id, d.name, d.meta
           from product_outputs o join datasets d on d.id = o.dataset_id
          order by o.product_id, o.dataset_id`,
      )
    ).rows
    const checkRows = (
      await q.query<{ datasetId: number; column: string | null; kind: string }>(
        `select dataset_id as "datasetId", "column", kind from checks
          where dataset_id = any($1::int8[]) and (kind = 'unique' or kind ilike '%unique%')
          order by dataset_id, key`,
        [[...new Set(outs.map((o) => o.id))]],
      )
    ).rows
    const uniques = groupBy(
      checkRows,
      (c) => c.datasetId,
      (c) => c.column ?? c.kind,
    )
    const outsOf = groupBy(
      outs,
      (o) => o.productId,
      (o) => ({ id: o.id, name: o.name, meta: o.meta, uniqueColumns: uniques.get(o.id) ?? [] }),
    )
    const govProducts: GovProduct[] = prods.map((p) => ({
      id: p.id,
      domain: p.domain,
      owner: p.owner,
      description: p.description,
      hasSla: p.sla !== null && Object.keys(p.sla).length > 0,
      outputs: outsOf.get(p.id) ?? [],
    }))
    const DATASET = `id, name, domain, kind, access, contract_enforced as "contractEnforced"`
    const publicModels = (
      await q.query(
        `select ${DATASET} from datasets where kind = 'model' and access = 'public' order by id`,
      )
    ).rows
    const dags = (
      await q.query(
        `select id, name, type, domain, owner from jobs where type = 'airflow_dag' order by id`,
      )
    ).rows
    const cross = (
      await q.query<{ job: unknown; dataset: unknown }>(
        `select json_build_object('id', r.id, 'name', r.name, 'type', r.type, 'domain', r.domain,
                  'owner', r.owner) as job,
                json_build_object('id', d.id, 'name', d.name, 'domain', d.domain, 'kind', d.kind,
                  'access', d.access, 'contractEnforced', d.contract_enforced) as dataset
           from lineage_edges e join jobs r on r.id = e.job_id join datasets d on d.id = e.dataset_id
          where e.direction = 'input' and r.domain <> d.domain
          order by r.id desc, d.id`,
      )
    ).rows
    return {
      products: govProducts,
      datasets: publicModels,
      dags,
      crossDomainReads: cross,
      productSla: new Map(govProducts.map((p) => [p.id, p.hasSla])),
    } as Awaited<ReturnType<typeof lite.loadGovernanceFacts>>
  },
} satisfies PgModule<typeof lite>
