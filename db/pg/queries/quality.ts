import type * as lite from '../../queries/quality.ts'
import { groupBy, type OrchestrationJobs, type ProductRowWithSla } from '../../queries/quality.ts'
import type {
  AssertionFact,
  DatasetFact,
  JobFact,
  LatestRunFact,
  MetricFact,
  OutputFacts,
  UpstreamFacts,
} from '../../queries/quality-facts.ts'
import type { PgConn, PgModule } from '../module.ts'
import { assembleFacts, FRESHNESS_METRIC, type ProducerRun } from '../quality-assemble.ts'
import { columnsOf } from '../rows.ts'
import { products } from '../schema.ts'

// The evaluator's set reads on PostgreSQL: a fixed number of statements whatever the product
// count, each id list one array parameter (= any($1)). Rows come back in the order SQLite's plans
// read them (its indexes', spelled out here as ORDER BY), so the facts are the same lists.

const PRODUCT = columnsOf(products)
const DATASET = `id, namespace, name, domain, kind, access, contract_enforced as "contractEnforced"`
const JOB = `id, namespace, name, type, domain, owner, parent_id as "parentId", schedule`

type JobRef = { namespace: string; name: string }
const refsOf = (v: unknown): JobRef[] =>
  Array.isArray(v)
    ? v.filter(
        (r): r is JobRef =>
          typeof r === 'object' &&
          r !== null &&
          typeof r.namespace === 'string' &&
          typeof r.name === 'string',
      )
    : []
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
const tableOf = (name: string): string => (name.split(/[./]/).at(-1) ?? name).toLowerCase()

async function loadJobs(q: PgConn, ids: number[]): Promise<JobFact[]> {
  if (ids.length === 0) return []
  return (
    await q.query<JobFact>(`select ${JOB} from jobs where id = any($1::int8[]) order by id`, [ids])
  ).rows
}

async function latestAssertions(
  q: PgConn,
  datasetIds: number[],
): Promise<Map<number, AssertionFact[]>> {
  if (datasetIds.length === 0) return new Map()
  // the newest result of each test, in (key, dataset) order as SQLite's group by reads them
  const r = await q.query<AssertionFact & { datasetId: number }>(
    `select distinct on (key, dataset_id) dataset_id as "datasetId", key, name, status, severity,
            observed_at as "observedAt", "column", message
       from assertions where dataset_id = any($1::int8[])
      order by key, dataset_id, observed_at desc`,
    [datasetIds],
  )
  return groupBy(
    r.rows,
    (x) => x.datasetId,
    ({ datasetId: _d, ...a }) => a,
  )
}

async function recentMetrics(
  q: PgConn,
  datasetIds: number[],
  perName: number,
): Promise<Map<number, (MetricFact & { runId: string | null })[]>> {
  if (datasetIds.length === 0) return new Map()
  const r = await q.query<MetricFact & { runId: string | null; datasetId: number }>(
    `select dataset_id as "datasetId", name, value, status, observed_at as "observedAt", run_id as "runId"
       from (select m.*, row_number() over (partition by m.dataset_id, m.name order by m.observed_at desc) as rn
               from metrics m where m.dataset_id = any($1::int8[])) x
      where rn <= $2 order by observed_at, dataset_id, name`,
    [datasetIds, perName],
  )
  return groupBy(
    r.rows,
    (x) => x.datasetId,
    ({ datasetId: _d, ...m }) => m,
  )
}

async function lastVersions(
  q: PgConn,
  datasetIds: number[],
): Promise<Map<number, OutputFacts['versions']>> {
  if (datasetIds.length === 0) return new Map()
  // columns are only needed where there are two versions to compare
  const r = await q.query<{ datasetId: number; columns: unknown; observedAt: string }>(
    `select dataset_id as "datasetId", case when n >= 2 then columns end as columns, observed_at as "observedAt"
       from (select v.*, row_number() over (partition by v.dataset_id order by v.id desc) as rn,
                    count(*) over (partition by v.dataset_id) as n
               from dataset_versions v where v.dataset_id = any($1::int8[])) x
      where rn <= 2 order by id`,
    [datasetIds],
  )
  return groupBy(
    r.rows,
    (x) => x.datasetId,
    (x) => ({ columns: parseColumns(x.columns), observedAt: x.observedAt }),
  )
}

function parseColumns(v: unknown): { name: string; type?: string }[] {
  if (!Array.isArray(v)) return []
  return v.flatMap((c: unknown) => {
    if (c === null || typeof c !== 'object' || !('name' in c) || typeof c.name !== 'string')
      return []
    return [
      { name: c.name, ...('type' in c && typeof c.type === 'string' ? { type: c.type } : {}) },
    ]
  })
}

/** Failing tests and stale sources upstream of the targets, walked down from the problems, by target. */
async function upstreamProblems(
  q: PgConn,
  targets: number[],
  depth: number,
): Promise<Map<number, UpstreamFacts[]>> {
  const out = new Map<number, UpstreamFacts[]>()
  const sources = (
    await q.query<{ id: number }>(
      `select dataset_id as id from (
         select distinct on (key, dataset_id) dataset_id, status from assertions
          order by key, dataset_id, observed_at desc) a
        where status in ('fail', 'error', 'warn')
       union
       select dataset_id from (
         select distinct on (dataset_id) dataset_id, status from metrics where name = $1
          order by dataset_id, observed_at desc) m
        where status in ('warn', 'error')`,
      [FRESHNESS_METRIC],
    )
  ).rows.map((r) => r.id)
  if (sources.length === 0) return out
  const reach = new Map<number, Map<number, number>>()
  const walk = await q.query<{ src: number; target: number; depth: number }>(
    `with recursive down(src, ds, depth) as (
       select s, s, 0 from unnest($1::int8[]) as s
       union
       select d.src, o.dataset_id, d.depth + 1 from down d
         join lineage_edges i on i.dataset_id = d.ds and i.direction = 'input'
         join lineage_edges o on o.job_id = i.job_id and o.direction = 'output'
        where d.depth < $2
     )
     select src, ds as target, min(depth) as depth from down
      where ds <> src and ds = any($3::int8[]) group by src, ds order by src, ds`,
    [sources, depth, targets],
  )
  for (const r of walk.rows)
    (reach.get(r.src) ?? reach.set(r.src, new Map()).get(r.src))?.set(r.target, r.depth)
  const srcIds = [...reach.keys()]
  if (srcIds.length === 0) return out
  const rows = new Map(
    (
      await q.query<DatasetFact>(`select ${DATASET} from datasets where id = any($1::int8[])`, [
        srcIds,
      ])
    ).rows.map((d) => [d.id, d]),
  )
  const tests = await latestAssertions(q, srcIds)
  const metrics = await recentMetrics(q, srcIds, 1)
  for (const [src, hits] of reach) {
    const d = rows.get(src)
    if (!d) continue
    for (const [target, dist] of hits)
      out.set(target, [
        ...(out.get(target) ?? []),
        {
          ...d,
          depth: dist,
          assertions: tests.get(src) ?? [],
          freshness: (metrics.get(src) ?? []).find((m) => m.name === FRESHNESS_METRIC) ?? null,
        },
      ])
  }
  return out
}

async function declaredDependencies(q: PgConn): Promise<[number, number][]> {
  const declared = (
    await q.query<{ id: number; meta: Record<string, unknown> | null }>(
      `select id, meta from jobs
        where meta::text ilike '%upstreamJobs%' or meta::text ilike '%downstreamJobs%' order by id`,
    )
  ).rows
  if (declared.length === 0) return []
  const named = [
    ...new Set(
      declared.flatMap((j) =>
        [...refsOf(j.meta?.['upstreamJobs']), ...refsOf(j.meta?.['downstreamJobs'])].map(
          (r) => r.name,
        ),
      ),
    ),
  ]
  const ids = new Map(
    (
      await q.query<{ id: number; namespace: string; name: string }>(
        'select id, namespace, name from jobs where name = any($1::text[]) order by id',
        [named],
      )
    ).rows.map((r) => [`${r.namespace}\u0000${r.name}`, r.id]),
  )
  const idOfRef = (r: JobRef) => ids.get(`${r.namespace}\u0000${r.name}`)
  const pairs: [number, number][] = []
  for (const j of declared) {
    for (const u of refsOf(j.meta?.['upstreamJobs'])) {
      const id = idOfRef(u)
      if (id !== undefined && id !== j.id) pairs.push([id, j.id])
    }
    for (const d of refsOf(j.meta?.['downstreamJobs'])) {
      const id = idOfRef(d)
      if (id !== undefined && id !== j.id) pairs.push([j.id, id])
    }
  }
  return pairs
}

async function loadOrchestrationJobs(
  q: PgConn,
  links: { job: string; writes: string }[] = [],
): Promise<OrchestrationJobs> {
  // SQLite's LIKE ignores ASCII case: ILIKE on the document as written does the same
  const tasks = (
    await q.query<{ id: number; meta: Record<string, unknown> | null }>(
      `select id, meta from jobs where type = 'airflow_task'
          and (meta::text ilike '%dbtModels%' or meta::text ilike '%dbtSources%') order by id`,
    )
  ).rows.map((t) => ({
    id: t.id,
    tables: [...strings(t.meta?.['dbtModels']), ...strings(t.meta?.['dbtSources'])].map(tableOf),
  }))
  const linkJobs = new Map<string, number>()
  if (links.length > 0) {
    const rows = await q.query<{ id: number; name: string }>(
      'select id, name from jobs where name = any($1::text[]) order by id',
      [[...new Set(links.map((l) => l.job))]],
    )
    // the first job of a name wins
    for (const j of rows.rows) if (!linkJobs.has(j.name)) linkJobs.set(j.name, j.id)
  }
  return { tasks, linkJobs, dependencies: await declaredDependencies(q) }
}

async function orchestrationLinks(
  q: PgConn,
  targets: { id: number; name: string; kind: string | null }[],
  links: { job: string; writes: string }[] = [],
  known?: OrchestrationJobs,
): Promise<Map<number, number[]>> {
  const out = new Map<number, number[]>()
  if (targets.length === 0) return out
  const { tasks, linkJobs } = known ?? (await loadOrchestrationJobs(q, links))
  const byTable = groupBy(
    targets,
    (d) => tableOf(d.name),
    (d) => d,
  )
  const add = (dsId: number, jobId: number) => out.set(dsId, [...(out.get(dsId) ?? []), jobId])
  for (const t of tasks)
    for (const table of t.tables) for (const d of byTable.get(table) ?? []) add(d.id, t.id)
  for (const l of links) {
    const job = linkJobs.get(l.job)
    if (job === undefined) continue
    for (const d of targets)
      if (d.name === l.writes || d.name.endsWith(`.${l.writes}`)) add(d.id, job)
  }
  return out
}

export const quality = {
  async loadProductFacts(q, opts) {
    // In id order: SQLite reads a list of ids in that order (and all products in rowid order,
    // which PostgreSQL has no counterpart for: the same rows, maybe in another order).
    const rows = (
      await q.query<ProductRowWithSla>(
        `select ${PRODUCT} from products where $1::text[] is null or id = any($1::text[]) order by id`,
        [opts.productIds ?? null],
      )
    ).rows
    if (rows.length === 0) return { rows, facts: [] }
    const outputs = (
      await q.query<{ productId: string; datasetId: number }>(
        `select product_id as "productId", dataset_id as "datasetId" from product_outputs
          where product_id = any($1::text[]) order by product_id, dataset_id`,
        [rows.map((r) => r.id)],
      )
    ).rows
    const outIds = [...new Set(outputs.map((o) => o.datasetId))]
    const datasets = new Map(
      (
        await q.query<DatasetFact>(`select ${DATASET} from datasets where id = any($1::int8[])`, [
          outIds,
        ])
      ).rows.map((d) => [d.id, d]),
    )
    const edges = await q.query<{ datasetId: number; jobId: number }>(
      `select dataset_id as "datasetId", job_id as "jobId" from lineage_edges
        where dataset_id = any($1::int8[]) and direction = 'output' order by dataset_id, job_id`,
      [outIds],
    )
    const producersOf = groupBy(
      edges.rows,
      (e) => e.datasetId,
      (e) => e.jobId,
    )
    for (const [dsId, jobIds] of await orchestrationLinks(q, [...datasets.values()], opts.links))
      producersOf.set(dsId, [...new Set([...(producersOf.get(dsId) ?? []), ...jobIds])])
    const jobs = new Map(
      (await loadJobs(q, [...new Set([...producersOf.values()].flat())])).map((j) => [j.id, j]),
    )
    const parents = [
      ...new Set(
        [...jobs.values()].flatMap((j) =>
          j.parentId !== null && !jobs.has(j.parentId) ? [j.parentId] : [],
        ),
      ),
    ]
    for (const j of await loadJobs(q, parents)) jobs.set(j.id, j)
    const since = new Date(opts.now.getTime() - opts.windowDays * 86_400_000).toISOString()
    const jobIds = [...jobs.keys()]
    // runs_job (job_id, started_at) order, as SQLite reads them (its NULLs first)
    const runs = await q.query<
      ProducerRun & { runId: string; facets: Record<string, unknown> | null }
    >(
      `select job_id as "jobId", run_id as "runId", state, started_at as "startedAt", ended_at as "endedAt",
              error, rows_affected as "rowsAffected", facets
         from runs where job_id = any($1::int8[]) and coalesce(ended_at, started_at) >= $2
        order by job_id, started_at nulls first, id`,
      [jobIds, since],
    )
    const lastOk = new Map(
      (
        await q.query<{ jobId: number; at: string }>(
          `select job_id as "jobId", max(coalesce(ended_at, started_at)) as at from runs
            where job_id = any($1::int8[]) and state = 'COMPLETE' group by job_id`,
          [jobIds],
        )
      ).rows.map((r) => [r.jobId, r.at]),
    )
    const dagIds = new Set(
      [...jobs.values()].filter((j) => j.type === 'airflow_dag').map((j) => j.id),
    )
    const latestDagRuns = new Map<number, LatestRunFact & { at: string }>()
    for (const r of runs.rows) {
      if (!dagIds.has(r.jobId)) continue
      const at = r.startedAt ?? r.endedAt ?? ''
      const seen = latestDagRuns.get(r.jobId)
      if (!seen || at > seen.at)
        latestDagRuns.set(r.jobId, {
          runId: r.runId,
          startedAt: r.startedAt,
          facets: r.facets ?? null,
          at,
        })
    }
    const facts = assembleFacts({
      products: rows,
      outputs,
      datasets,
      producersOf,
      jobs,
      runsOf: groupBy(
        runs.rows,
        (r) => r.jobId,
        (r): ProducerRun => ({
          jobId: r.jobId,
          state: r.state,
          startedAt: r.startedAt,
          endedAt: r.endedAt,
          error: r.error,
          rowsAffected: r.rowsAffected,
        }),
      ),
      lastOk,
      latestDagRuns: new Map([...latestDagRuns].map(([id, { at: _at, ...run }]) => [id, run])),
      assertionsOf: await latestAssertions(q, outIds),
      metricsOf: await recentMetrics(q, outIds, 31),
      versionsOf: await lastVersions(q, outIds),
      upstream:
        opts.upstreamDepth > 0 ? await upstreamProblems(q, outIds, opts.upstreamDepth) : new Map(),
    })
    return { rows, facts }
  },
  loadOrchestrationJobs,
  orchestrationLinks,
  latestAssertions,
  recentMetrics,
} satisfies PgModule<typeof lite>
