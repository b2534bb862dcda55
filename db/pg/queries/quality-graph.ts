import { storedRunTags } from '../../../common/tags.ts'
import type * as lite from '../../queries/quality-graph.ts'
import { jobDependencies, type RootCauseGraph } from '../../queries/quality-graph.ts'
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

export const qualityGraph = {
  async loadRootCauseGraph(q, productId, opts): Promise<RootCauseGraph | undefined> {
    const outs = (
      await q.query<{ id: number }>(
        'select dataset_id as id from product_outputs where product_id = $1 order by dataset_id',
        [productId],
      )
    ).rows
    if (
      outs.length === 0 &&
      (await q.query('select 1 from products where id = $1', [productId])).rows.length === 0
    )
      return undefined
    const edges = new Map<string, RcEdge>()
    const nodeIds = new Set<NodeId>()
    let truncated = false
    for (const o of outs) {
      const n = await pgNeighbourhood(q, {
        node: `dataset:${o.id}`,
        depth: opts.depth,
        direction: 'up',
        maxNodes: opts.maxNodes ?? 2000,
      })
      truncated ||= n.truncated
      for (const x of n.nodes) nodeIds.add(x.id)
      for (const e of n.edges) edges.set(`${e.source}>${e.target}`, { ...e, via: 'lineage' })
    }
    const dsIds = [...nodeIds].filter((n) => n.startsWith('dataset:')).map(idOf)
    const dsRows = await datasetNodes(q, dsIds)
    const orchestration = opts.orchestration ?? (await quality.loadOrchestrationJobs(q, opts.links))
    for (const [dsId, jobIds] of await quality.orchestrationLinks(
      q,
      dsRows,
      opts.links,
      orchestration,
    ))
      for (const j of jobIds) {
        nodeIds.add(`job:${j}`)
        edges.set(`job:${j}>dataset:${dsId}`, {
          source: `job:${j}`,
          target: `dataset:${dsId}`,
          via: 'orchestration',
        })
      }
    let jobIds = [...nodeIds].filter((n) => n.startsWith('job:')).map(idOf)
    const jobRows = new Map((await jobNodes(q, jobIds)).map((j) => [j.id, j]))
    const parentIds = [
      ...new Set([...jobRows.values()].flatMap((j) => (j.parentId === null ? [] : [j.parentId]))),
    ]
    for (const p of await jobNodes(q, parentIds, true)) {
      jobRows.set(p.id, p)
      for (const j of jobRows.values())
        if (j.parentId === p.id)
          edges.set(`job:${p.id}>job:${j.id}`, {
            source: `job:${p.id}`,
            target: `job:${j.id}`,
            via: 'parent',
          })
    }
    for (const [from, to] of jobDependencies(orchestration.dependencies, new Set(jobRows.keys()))) {
      if (!jobRows.has(from)) {
        const row = (await jobNodes(q, [from]))[0]
        if (!row) continue
        jobRows.set(from, row)
      }
      edges.set(`job:${from}>job:${to}`, {
        source: `job:${from}`,
        target: `job:${to}`,
        via: 'orchestration',
      })
    }
    jobIds = [...jobRows.keys()]
    const latest = await latestRuns(q, jobIds)
    const lastOk = await lastSuccess(q, jobIds)
    const lastFail = await lastFailure(q, jobIds)
    const tests = await quality.latestAssertions(q, dsIds)
    const metrics = await quality.recentMetrics(q, dsIds, 1)
    const nodes: RcNode[] = [
      ...dsRows.map((d): RcNode => ({
        id: `dataset:${d.id}`,
        kind: 'dataset',
        namespace: d.namespace,
        name: d.name,
        domain: d.domain,
        type: d.kind,
        assertions: tests.get(d.id) ?? [],
        freshness:
          (metrics.get(d.id) ?? []).find((m) => m.name === 'freshness_age_seconds') ?? null,
      })),
      ...[...jobRows.values()].map((j): RcNode => ({
        id: `job:${j.id}`,
        kind: 'job',
        namespace: j.namespace,
        name: j.name,
        domain: j.domain,
        type: j.type,
        schedule: j.schedule,
        lastSuccessAt: lastOk.get(j.id) ?? null,
        latestRun: latest.get(j.id) ?? null,
        latestFailure: lastFail.get(j.id) ?? null,
      })),
    ]
    const staleDomains = [
      ...new Set(
        nodes
          .filter((n) => n.freshness?.status === 'error' || n.freshness?.status === 'warn')
          .flatMap((n) => (n.domain ? [n.domain] : [])),
      ),
    ]
    return {
      outputs: outs.map((o) => `dataset:${o.id}`),
      nodes,
      edges: [...edges.values()],
      domainFailures: await recentTaskFailures(
        q,
        staleDomains,
        new Date(opts.now.getTime() - 2 * 86_400_000).toISOString(),
      ),
      truncated,
    }
  },

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
