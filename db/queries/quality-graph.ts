import { and, desc, eq, inArray, like, ne, or } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import { storedRunTags } from '../../common/tags.ts'
import type { Db } from '../client.ts'
import { checks, datasets, jobs, lineageEdges, productOutputs, products } from '../schema.ts'
import type { DatasetRow, JobRow } from '../schema.ts'
import { lineageNeighbourhood, type NodeId } from './lineage.ts'
import {
  groupBy,
  inChunks,
  latestAssertions,
  loadOrchestrationJobs,
  orchestrationLinks,
  recentMetrics,
  type OrchestrationJobs,
} from './quality.ts'
import type { GovernanceFacts, GovProduct, RcEdge, RcNode } from './quality-facts.ts'
import { readStatement } from './statements.ts'

// Only the columns a root-cause node shows: whole rows would parse every JSON column. Read with
// statements compiled once per connection (readStatement): a root cause asks them for every
// product that is not ok, and building and compiling each cost more than reading its few rows.
type DatasetNode = Pick<DatasetRow, 'id' | 'namespace' | 'name' | 'domain' | 'kind'>
type JobNode = Pick<
  JobRow,
  'id' | 'namespace' | 'name' | 'domain' | 'type' | 'parentId' | 'schedule'
>
const IDS = 'in (select value from json_each(?))'

const datasetNodes = (db: Db, ids: number[]): DatasetNode[] =>
  ids.length === 0
    ? []
    : readStatement<DatasetNode>(
        db,
        `select id, namespace, name, domain, kind from datasets where id ${IDS} order by id`,
      ).all(JSON.stringify(ids))

/** Jobs by id (only DAGs with `dagsOnly`), schedule parsed as drizzle's json column would. */
function jobNodes(db: Db, ids: number[], dagsOnly = false): JobNode[] {
  if (ids.length === 0) return []
  return readStatement<Omit<JobNode, 'schedule'> & { schedule: string | null }>(
    db,
    `select id, namespace, name, domain, type, parent_id as parentId, schedule from jobs
      where id ${IDS}${dagsOnly ? ` and type = 'airflow_dag'` : ''} order by id`,
  )
    .all(JSON.stringify(ids))
    .map((j) => ({
      id: j.id,
      namespace: j.namespace,
      name: j.name,
      domain: j.domain,
      type: j.type,
      parentId: j.parentId,
      schedule: j.schedule === null ? null : (JSON.parse(j.schedule) as JobNode['schedule']),
    }))
}

export interface RootCauseGraph {
  outputs: string[]
  nodes: RcNode[]
  edges: RcEdge[]
  domainFailures: RcNode[]
  truncated: boolean
}

/**
 * The bounded upstream neighbourhood of a product for root cause: lineage up to `depth` hops,
 * plus the Airflow tasks linked to its datasets (meta.dbtModels/dbtSources, config links) and
 * their DAGs, each node with its latest run, latest tests and freshness.
 */
export function loadRootCauseGraph(
  db: Db,
  productId: string,
  opts: {
    depth: number
    maxNodes?: number
    links?: { job: string; writes: string }[] | undefined
    now: Date
    /** Loaded once when evaluating many products. */
    orchestration?: OrchestrationJobs | undefined
  },
): RootCauseGraph | undefined {
  const outs = readStatement<{ id: number }>(
    db,
    'select dataset_id as id from product_outputs where product_id = ? order by dataset_id',
  ).all(productId)
  if (
    outs.length === 0 &&
    !db.select({ id: products.id }).from(products).where(eq(products.id, productId)).get()
  )
    return undefined
  const edges = new Map<string, RcEdge>()
  const nodeIds = new Set<NodeId>()
  let truncated = false
  for (const o of outs) {
    const n = lineageNeighbourhood(db, {
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
  const dsRows = datasetNodes(db, dsIds)
  // Loaded once per evaluation of many products (the scans of every job's meta it makes are
  // independent of the product), or here for one.
  const orchestration = opts.orchestration ?? loadOrchestrationJobs(db, opts.links)
  for (const [dsId, jobIds] of orchestrationLinks(db, dsRows, opts.links, orchestration)) {
    for (const j of jobIds) {
      nodeIds.add(`job:${j}`)
      edges.set(`job:${j}>dataset:${dsId}`, {
        source: `job:${j}`,
        target: `dataset:${dsId}`,
        via: 'orchestration',
      })
    }
  }
  let jobIds = [...nodeIds].filter((n) => n.startsWith('job:')).map(idOf)
  const jobRows = new Map(jobNodes(db, jobIds).map((j) => [j.id, j]))
  const parentIds = [
    ...new Set([...jobRows.values()].flatMap((j) => (j.parentId === null ? [] : [j.parentId]))),
  ]
  for (const p of jobNodes(db, parentIds, true)) {
    jobRows.set(p.id, p)
    for (const j of jobRows.values()) {
      if (j.parentId === p.id)
        edges.set(`job:${p.id}>job:${j.id}`, {
          source: `job:${p.id}`,
          target: `job:${j.id}`,
          via: 'parent',
        })
    }
  }
  // Job dependencies (OpenLineage JobDependenciesRunFacet / LineageFacet, kept as the jobs'
  // upstreamJobs / downstreamJobs meta): a job that must finish first is upstream of the job.
  for (const [from, to] of jobDependencies(orchestration.dependencies, new Set(jobRows.keys()))) {
    if (!jobRows.has(from)) {
      const row = jobNodes(db, [from])[0]
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
  const latest = latestRuns(db, jobIds)
  const lastOk = lastSuccess(db, jobIds)
  const lastFail = lastFailure(db, jobIds)
  const tests = latestAssertions(db, dsIds)
  const metrics = recentMetrics(db, dsIds, 1)
  const nodes = rootCauseNodes(dsRows, jobRows.values(), {
    tests,
    metrics,
    lastOk,
    latest,
    lastFail,
  })
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
    domainFailures: recentTaskFailures(
      db,
      staleDomains,
      new Date(opts.now.getTime() - 2 * 86_400_000).toISOString(),
    ),
    truncated,
  }
}

/**
 * The root cause graphs of many products (loadRootCauseGraph of each, its own depth): one call for
 * the evaluator, which PostgreSQL answers with set reads.
 */
export function loadRootCauseGraphs(
  db: Db,
  wants: { productId: string; depth: number }[],
  opts: Omit<Parameters<typeof loadRootCauseGraph>[2], 'depth'>,
): (RootCauseGraph | undefined)[] {
  return wants.map((w) => loadRootCauseGraph(db, w.productId, { ...opts, depth: w.depth }))
}

/**
 * [upstream job id, downstream job id] pairs that end at (or start from) a job of `targets`, from
 * the declared dependency pairs (loadOrchestrationJobs), followed up to three hops upstream.
 */
export function jobDependencies(
  pairs: [number, number][],
  targets: Set<number>,
): [number, number][] {
  if (pairs.length === 0) return []
  const out: [number, number][] = []
  const seen = new Set<string>()
  let frontier = targets
  for (let hop = 0; hop < 3 && frontier.size > 0; hop++) {
    const next = new Set<number>()
    for (const [from, to] of pairs) {
      if (!frontier.has(to) || seen.has(`${from}>${to}`)) continue
      seen.add(`${from}>${to}`)
      out.push([from, to])
      if (!targets.has(from)) next.add(from)
    }
    frontier = next
  }
  return out
}

const idOf = (n: string): number => Number(n.slice(n.indexOf(':') + 1))

type RunSql = { run_id: string; tags: string | null }
/** The run's id and tags (TagsRunFacet) for root cause to name the run it blames. */
const blamedRun = (r: RunSql) => ({ runId: r.run_id, runTags: storedRunTags(r.tags) })

function latestRuns(db: Db, jobIds: number[]) {
  if (jobIds.length === 0)
    return new Map<
      number,
      { state: string; at: string | null; error: string | null } & ReturnType<typeof blamedRun>
    >()
  const rows = readStatement<
    {
      job_id: number
      state: string
      at: string | null
      error: string | null
    } & RunSql
  >(
    db,
    `select job_id, state, at, error, run_id, tags from (
      select job_id, state, error, coalesce(ended_at, started_at) as at, run_id,
        json_extract(facets, '$.tags.tags') as tags,
        row_number() over (partition by job_id order by coalesce(started_at, ended_at) desc, id desc) as rn
      from runs where job_id ${IDS}
    ) where rn = 1`,
  ).all(JSON.stringify(jobIds))
  return new Map(
    rows.map((r) => [r.job_id, { state: r.state, at: r.at, error: r.error, ...blamedRun(r) }]),
  )
}

function lastSuccess(db: Db, jobIds: number[]) {
  if (jobIds.length === 0) return new Map<number, string>()
  const rows = readStatement<{ job_id: number; at: string }>(
    db,
    `select job_id, max(coalesce(ended_at, started_at)) as at from runs
      where job_id ${IDS} and state = 'COMPLETE' group by job_id`,
  ).all(JSON.stringify(jobIds))
  return new Map(rows.map((r) => [r.job_id, r.at]))
}

function lastFailure(db: Db, jobIds: number[]) {
  if (jobIds.length === 0)
    return new Map<
      number,
      { at: string | null; error: string | null } & ReturnType<typeof blamedRun>
    >()
  const rows = readStatement<{ job_id: number; at: string | null; error: string | null } & RunSql>(
    db,
    `select job_id, at, error, run_id, tags from (
      select job_id, error, coalesce(ended_at, started_at) as at, run_id,
        json_extract(facets, '$.tags.tags') as tags,
        row_number() over (partition by job_id order by coalesce(ended_at, started_at) desc, id desc) as rn
      from runs where state = 'FAIL' and job_id ${IDS}
    ) where rn = 1`,
  ).all(JSON.stringify(jobIds))
  return new Map(rows.map((r) => [r.job_id, { at: r.at, error: r.error, ...blamedRun(r) }]))
}

function recentTaskFailures(db: Db, domains: string[], since: string): RcNode[] {
  if (domains.length === 0) return []
  const tasks = db
    .select({
      id: jobs.id,
      namespace: jobs.namespace,
      name: jobs.name,
      domain: jobs.domain,
      type: jobs.type,
      schedule: jobs.schedule,
    })
    .from(jobs)
    .where(and(eq(jobs.type, 'airflow_task'), inArray(jobs.domain, domains)))
    .orderBy(jobs.id)
    .all()
  const latest = latestRuns(
    db,
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

/** What the governance policies read: products with their outputs' unique tests, public models, DAGs, cross-domain reads. */
export function loadGovernanceFacts(
  db: Db,
): GovernanceFacts & { productSla: Map<string, boolean> } {
  const prods = db.select().from(products).orderBy(products.id).all()
  const outs = db
    .select({
      productId: productOutputs.productId,
      id: datasets.id,
      name: datasets.name,
      meta: datasets.meta,
    })
    .from(productOutputs)
    .innerJoin(datasets, eq(datasets.id, productOutputs.datasetId))
    .orderBy(productOutputs.productId, productOutputs.datasetId)
    .all()
  const uniques = groupBy(
    inChunks([...new Set(outs.map((o) => o.id))], (part) =>
      db
        .select({ datasetId: checks.datasetId, column: checks.column, kind: checks.kind })
        .from(checks)
        .where(
          and(
            inArray(checks.datasetId, part),
            or(eq(checks.kind, 'unique'), like(checks.kind, '%unique%')),
          ),
        )
        .orderBy(checks.datasetId, checks.key)
        .all(),
    ),
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
  const publicModels = db
    .select({
      id: datasets.id,
      name: datasets.name,
      domain: datasets.domain,
      kind: datasets.kind,
      access: datasets.access,
      contractEnforced: datasets.contractEnforced,
    })
    .from(datasets)
    .where(and(eq(datasets.kind, 'model'), eq(datasets.access, 'public')))
    .orderBy(datasets.id)
    .all()
  const dags = db
    .select({
      id: jobs.id,
      name: jobs.name,
      type: jobs.type,
      domain: jobs.domain,
      owner: jobs.owner,
    })
    .from(jobs)
    .where(eq(jobs.type, 'airflow_dag'))
    .orderBy(jobs.id)
    .all()
  const reader = alias(jobs, 'reader')
  const cross = db
    .select({
      job: {
        id: reader.id,
        name: reader.name,
        type: reader.type,
        domain: reader.domain,
        owner: reader.owner,
      },
      dataset: {
        id: datasets.id,
        name: datasets.name,
        domain: datasets.domain,
        kind: datasets.kind,
        access: datasets.access,
        contractEnforced: datasets.contractEnforced,
      },
    })
    .from(lineageEdges)
    .innerJoin(reader, eq(reader.id, lineageEdges.jobId))
    .innerJoin(datasets, eq(datasets.id, lineageEdges.datasetId))
    .where(and(eq(lineageEdges.direction, 'input'), ne(reader.domain, datasets.domain)))
    .orderBy(desc(reader.id), datasets.id)
    .all()
  return {
    products: govProducts,
    datasets: publicModels,
    dags,
    crossDomainReads: cross,
    productSla: new Map(govProducts.map((p) => [p.id, p.hasSla])),
  }
}

/** What a root-cause node carries beside its row: each keyed by the dataset's or job's id. */
interface NodeFacts {
  tests: ReadonlyMap<number, NonNullable<RcNode['assertions']>>
  metrics: ReadonlyMap<number, NonNullable<RcNode['freshness']>[]>
  lastOk: ReadonlyMap<number, NonNullable<RcNode['lastSuccessAt']>>
  latest: ReadonlyMap<number, NonNullable<RcNode['latestRun']>>
  lastFail: ReadonlyMap<number, NonNullable<RcNode['latestFailure']>>
}

/** The root-cause graph's nodes of the datasets and jobs read, with their facts (both engines). */
export function rootCauseNodes(
  dsRows: readonly {
    id: number
    namespace: string
    name: string
    domain: string | null
    kind: string | null
  }[],
  jobRows: Iterable<{
    id: number
    namespace: string
    name: string
    domain: string | null
    type: string | null
    schedule: RcNode['schedule']
  }>,
  f: NodeFacts,
): RcNode[] {
  return [
    ...dsRows.map((d): RcNode => ({
      id: `dataset:${d.id}`,
      kind: 'dataset',
      namespace: d.namespace,
      name: d.name,
      domain: d.domain,
      type: d.kind,
      assertions: f.tests.get(d.id) ?? [],
      freshness:
        (f.metrics.get(d.id) ?? []).find((m) => m.name === 'freshness_age_seconds') ?? null,
    })),
    ...[...jobRows].map((j): RcNode => ({
      id: `job:${j.id}`,
      kind: 'job',
      namespace: j.namespace,
      name: j.name,
      domain: j.domain,
      type: j.type,
      schedule: j.schedule,
      lastSuccessAt: f.lastOk.get(j.id) ?? null,
      latestRun: f.latest.get(j.id) ?? null,
      latestFailure: f.lastFail.get(j.id) ?? null,
    })),
  ]
}
