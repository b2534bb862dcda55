import { and, inArray, like, or, sql, type SQL, type SQLWrapper } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { datasets, jobs, products, runs } from '../schema.ts'
import { chunk } from './merge.ts'
import { readStatement } from './statements.ts'
import type {
  AssertionFact,
  JobFact,
  LatestRunFact,
  MetricFact,
  OutputFacts,
  ProductFacts,
  RunFact,
  UpstreamFacts,
  DatasetFact,
} from './quality-facts.ts'

const VOLUME_METRICS = ['row_count', 'rows_affected']
const DATASET_FACT = {
  id: datasets.id,
  namespace: datasets.namespace,
  name: datasets.name,
  domain: datasets.domain,
  kind: datasets.kind,
  access: datasets.access,
  contractEnforced: datasets.contractEnforced,
}
const FRESHNESS_METRIC = 'freshness_age_seconds'
const IDS = 'in (select value from json_each(?))'

export interface LoadFactsOptions {
  /** Only these products (default: all). */
  productIds?: string[] | undefined
  now: Date
  /** Runs of producers are loaded this far back (the largest reliability window). */
  windowDays: number
  /** Dataset hops upstream searched for failing tests and stale sources (0: none). */
  upstreamDepth: number
  /** Config links: job name → dataset name (or name suffix) it writes. */
  links?: { job: string; writes: string }[] | undefined
}

export type ProductRowWithSla = typeof products.$inferSelect

/**
 * Everything the evaluators need for many products, in a fixed number of set queries
 * (independent of the product count): outputs, producers and their DAGs, runs, latest tests,
 * volume/freshness metrics, last two schema versions, and upstream problems.
 */
export function loadProductFacts(
  db: Db,
  opts: LoadFactsOptions,
): { rows: ProductRowWithSla[]; facts: ProductFacts[] } {
  const rows =
    opts.productIds === undefined
      ? db.select().from(products).all()
      : chunk(opts.productIds, 5000).flatMap((part) =>
          db.select().from(products).where(inArray(products.id, part)).all(),
        )
  if (rows.length === 0) return { rows, facts: [] }
  // The set reads below go straight to statements compiled once per connection, with the ids
  // as one JSON parameter: drizzle's row mapping of tens of thousands of rows cost more than
  // SQLite's reading them.
  const outs = readStatement<{ productId: string; datasetId: number }>(
    db,
    opts.productIds === undefined
      ? 'select product_id as productId, dataset_id as datasetId from product_outputs'
      : `select product_id as productId, dataset_id as datasetId from product_outputs where product_id ${IDS}`,
  ).all(...(opts.productIds === undefined ? [] : [JSON.stringify(rows.map((r) => r.id))]))
  const outIds = [...new Set(outs.map((o) => o.datasetId))]
  const dsRows = new Map(
    readStatement<Omit<DatasetFact, 'contractEnforced'> & { contractEnforced: number | null }>(
      db,
      `select id, namespace, name, domain, kind, access, contract_enforced as contractEnforced
        from datasets where id ${IDS}`,
    )
      .all(JSON.stringify(outIds))
      .map((d): [number, DatasetFact] => [
        d.id,
        {
          id: d.id,
          namespace: d.namespace,
          name: d.name,
          domain: d.domain,
          kind: d.kind,
          access: d.access,
          contractEnforced: d.contractEnforced === null ? null : d.contractEnforced !== 0,
        },
      ]),
  )

  const producerEdges = readStatement<{ datasetId: number; jobId: number }>(
    db,
    `select dataset_id as datasetId, job_id as jobId from lineage_edges
      where dataset_id ${IDS} and direction = 'output'`,
  ).all(JSON.stringify(outIds))
  const producersOf = groupBy(
    producerEdges,
    (e) => e.datasetId,
    (e) => e.jobId,
  )
  for (const [dsId, jobIds] of orchestrationLinks(db, [...dsRows.values()], opts.links)) {
    producersOf.set(dsId, [...new Set([...(producersOf.get(dsId) ?? []), ...jobIds])])
  }
  const jobIds = [...new Set([...producersOf.values()].flat())]
  const jobRows = new Map(loadJobs(db, jobIds).map((j) => [j.id, j]))
  const parentIds = [
    ...new Set(
      [...jobRows.values()].flatMap((j) =>
        j.parentId !== null && !jobRows.has(j.parentId) ? [j.parentId] : [],
      ),
    ),
  ]
  for (const j of loadJobs(db, parentIds)) jobRows.set(j.id, j)

  const since = new Date(opts.now.getTime() - opts.windowDays * 86_400_000).toISOString()
  const allJobIds = [...jobRows.keys()]
  const jobIdsJson = JSON.stringify(allJobIds)
  const runRows = readStatement<{
    jobId: number
    state: string
    startedAt: string | null
    endedAt: string | null
    error: string | null
    rowsAffected: number | null
  }>(
    db,
    `select job_id as jobId, state, started_at as startedAt, ended_at as endedAt, error,
        rows_affected as rowsAffected
      from runs where job_id ${IDS} and coalesce(ended_at, started_at) >= ?`,
  ).all(jobIdsJson, since)
  // The latest success of each job, however old, so freshness can say how stale it is.
  const lastOk = new Map(
    readStatement<{ jobId: number; at: string }>(
      db,
      `select job_id as jobId, max(coalesce(ended_at, started_at)) as at from runs
        where job_id ${IDS} and state = 'COMPLETE' group by job_id`,
    )
      .all(jobIdsJson)
      .map((r) => [r.jobId, r.at]),
  )
  const runsOf = groupBy(
    runRows,
    (r) => r.jobId,
    (r) => r,
  )
  const latestDagRuns = latestRunsWithFacets(
    db,
    [...jobRows.values()].filter((j) => j.type === 'airflow_dag').map((j) => j.id),
    since,
  )
  const assertionsOf = latestAssertions(db, outIds)
  const metricsOf = recentMetrics(db, outIds, 31)
  const versionsOf = lastVersions(db, outIds)
  const upstream =
    opts.upstreamDepth > 0
      ? upstreamProblems(db, outIds, opts.upstreamDepth)
      : new Map<number, UpstreamFacts[]>()

  const outputFacts = new Map<number, OutputFacts>()
  const factsOf = (dsId: number): OutputFacts | undefined => {
    const cached = outputFacts.get(dsId)
    if (cached) return cached
    const d = dsRows.get(dsId)
    if (!d) return undefined
    const producers = (producersOf.get(dsId) ?? []).flatMap((id) => {
      const j = jobRows.get(id)
      return j ? [toJobFact(j)] : []
    })
    const dagIds = new Set<number>()
    for (const p of producers) {
      if (p.type === 'airflow_dag') dagIds.add(p.id)
      const parent = p.parentId === null ? undefined : jobRows.get(p.parentId)
      if (parent?.type === 'airflow_dag') dagIds.add(parent.id)
    }
    const metrics = metricsOf.get(dsId) ?? []
    const producerRuns: RunFact[] = []
    const volume: MetricFact[] = metrics.filter((m) => VOLUME_METRICS.includes(m.name))
    for (const p of producers) {
      const list = [...(runsOf.get(p.id) ?? [])]
      const ok = lastOk.get(p.id)
      if (ok && !list.some((r) => r.state === 'COMPLETE' && (r.endedAt ?? r.startedAt) === ok)) {
        list.push({
          jobId: p.id,
          state: 'COMPLETE',
          startedAt: null,
          endedAt: ok,
          error: null,
          rowsAffected: null,
        })
      }
      for (const r of list) {
        producerRuns.push({
          jobId: r.jobId,
          state: r.state,
          startedAt: r.startedAt,
          endedAt: r.endedAt,
          error: r.error,
        })
        const at = r.endedAt ?? r.startedAt
        if (r.rowsAffected !== null && at && r.state === 'COMPLETE')
          volume.push({
            name: 'rows_affected',
            value: r.rowsAffected,
            status: null,
            observedAt: at,
          })
      }
    }
    // Field by field, not `...d`: a spread row then fifteen more keys cost as much as the rest.
    const f: OutputFacts = {
      id: d.id,
      namespace: d.namespace,
      name: d.name,
      domain: d.domain,
      kind: d.kind,
      access: d.access,
      contractEnforced: d.contractEnforced,
      producers,
      dags: [...dagIds].flatMap((id) => {
        const j = jobRows.get(id)
        return j
          ? [
              {
                ...toJobFact(j),
                lastSuccessAt: lastOk.get(id) ?? null,
                latestRun: latestDagRuns.get(id) ?? null,
              },
            ]
          : []
      }),
      runs: producerRuns,
      assertions: assertionsOf.get(dsId) ?? [],
      volume,
      freshness: metrics.filter((m) => m.name === FRESHNESS_METRIC).at(-1) ?? null,
      writeSignals: metrics
        .filter((m) => m.runId !== null && m.name !== FRESHNESS_METRIC)
        .map((m) => m.observedAt),
      versions: versionsOf.get(dsId) ?? [],
    }
    outputFacts.set(dsId, f)
    return f
  }
  const outsOf = groupBy(
    outs,
    (o) => o.productId,
    (o) => o.datasetId,
  )
  const facts = rows.map((p): ProductFacts => {
    const ids = outsOf.get(p.id) ?? []
    const own = new Set(ids)
    const up = new Map<number, UpstreamFacts>()
    for (const id of ids) {
      for (const u of upstream.get(id) ?? []) {
        const seen = up.get(u.id)
        if (!own.has(u.id) && (!seen || seen.depth > u.depth)) up.set(u.id, u)
      }
    }
    return {
      id: p.id,
      name: p.name,
      domain: p.domain,
      owner: p.owner,
      description: p.description,
      outputs: ids.flatMap((id) => {
        const f = factsOf(id)
        return f ? [f] : []
      }),
      upstream: [...up.values()],
    }
  })
  return { rows, facts }
}

type JobRow = JobFact

/** Per job, its newest run inside the window with the run's facets (a DAG run's Deadline Alerts live there). */
function latestRunsWithFacets(db: Db, jobIds: number[], since: string): Map<number, LatestRunFact> {
  const out = new Map<number, LatestRunFact & { at: string }>()
  for (const part of chunk(jobIds, 5000)) {
    const rows = db
      .select({
        jobId: runs.jobId,
        runId: runs.runId,
        startedAt: runs.startedAt,
        endedAt: runs.endedAt,
        facets: runs.facets,
      })
      .from(runs)
      .where(
        and(
          inArray(runs.jobId, part),
          sql`coalesce(${runs.endedAt}, ${runs.startedAt}) >= ${since}`,
        ),
      )
      .all()
    for (const r of rows) {
      const at = r.startedAt ?? r.endedAt ?? ''
      const seen = out.get(r.jobId)
      if (!seen || at > seen.at)
        out.set(r.jobId, { runId: r.runId, startedAt: r.startedAt, facets: r.facets ?? null, at })
    }
  }
  return new Map([...out].map(([id, { at: _at, ...run }]) => [id, run]))
}

const toJobFact = (j: JobRow): JobFact => ({
  id: j.id,
  namespace: j.namespace,
  name: j.name,
  type: j.type,
  domain: j.domain,
  owner: j.owner,
  parentId: j.parentId,
  schedule: j.schedule,
})

function loadJobs(db: Db, ids: number[]): JobRow[] {
  if (ids.length === 0) return []
  return readStatement<Omit<JobRow, 'schedule'> & { schedule: string | null }>(
    db,
    `select id, namespace, name, type, domain, owner, parent_id as parentId, schedule
      from jobs where id ${IDS}`,
  )
    .all(JSON.stringify(ids))
    .map((j) => ({
      id: j.id,
      namespace: j.namespace,
      name: j.name,
      type: j.type,
      domain: j.domain,
      owner: j.owner,
      parentId: j.parentId,
      // as drizzle's json column reads it
      schedule: j.schedule === null ? null : (JSON.parse(j.schedule) as JobRow['schedule']),
    }))
}

const tableOf = (name: string): string => (name.split(/[./]/).at(-1) ?? name).toLowerCase()

/** The jobs orchestration links can name, loaded once for every product of an evaluation. */
export interface OrchestrationJobs {
  /** Airflow tasks with the tables their meta.dbtModels / meta.dbtSources name. */
  tasks: { id: number; tables: string[] }[]
  /** Jobs named by config links, by name. */
  linkJobs: Map<string, number>
  /**
   * [upstream job id, downstream job id]: the upstreamJobs / downstreamJobs the jobs' OpenLineage
   * run facets declared (JobDependenciesRunFacet), resolved to stored jobs.
   */
  dependencies: [number, number][]
}

export function loadOrchestrationJobs(
  db: Db,
  links: { job: string; writes: string }[] = [],
): OrchestrationJobs {
  const tasks = db
    .select({ id: jobs.id, meta: jobs.meta })
    .from(jobs)
    .where(
      sql`${jobs.type} = 'airflow_task' and (${jobs.meta} like '%dbtModels%' or ${jobs.meta} like '%dbtSources%')`,
    )
    .all()
    .map((t) => ({
      id: t.id,
      tables: [...strings(t.meta?.['dbtModels']), ...strings(t.meta?.['dbtSources'])].map(tableOf),
    }))
  const linkJobs = new Map<string, number>()
  if (links.length > 0) {
    const rows = db
      .select({ id: jobs.id, name: jobs.name })
      .from(jobs)
      .where(inArray(jobs.name, [...new Set(links.map((l) => l.job))]))
      .all()
    // The first job of a name wins, as a linear find over the rows did.
    for (const j of rows) if (!linkJobs.has(j.name)) linkJobs.set(j.name, j.id)
  }
  return { tasks, linkJobs, dependencies: declaredDependencies(db) }
}

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

/** Every declared job dependency whose both ends are stored jobs (see OrchestrationJobs). */
function declaredDependencies(db: Db): [number, number][] {
  const declared = db
    .select({ id: jobs.id, meta: jobs.meta })
    .from(jobs)
    .where(or(like(jobs.meta, '%upstreamJobs%'), like(jobs.meta, '%downstreamJobs%')))
    .all()
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
  const ids = new Map<string, number>()
  for (const r of inChunks(named, (part) =>
    db
      .select({ id: jobs.id, namespace: jobs.namespace, name: jobs.name })
      .from(jobs)
      .where(inArray(jobs.name, part))
      .all(),
  )) {
    ids.set(`${r.namespace}\u0000${r.name}`, r.id)
  }
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

/**
 * Orchestration edges no lineage event records: Airflow tasks whose meta.dbtModels /
 * meta.dbtSources name a dataset's table, and `links` from meshwatch.yml.
 */
export function orchestrationLinks(
  db: Db,
  targets: { id: number; name: string; kind: string | null }[],
  links: { job: string; writes: string }[] = [],
  known?: OrchestrationJobs,
): Map<number, number[]> {
  const out = new Map<number, number[]>()
  if (targets.length === 0) return out
  const { tasks, linkJobs } = known ?? loadOrchestrationJobs(db, links)
  const byTable = groupBy(
    targets,
    (d) => tableOf(d.name),
    (d) => d,
  )
  const add = (dsId: number, jobId: number) => out.set(dsId, [...(out.get(dsId) ?? []), jobId])
  for (const t of tasks) {
    for (const table of t.tables) for (const d of byTable.get(table) ?? []) add(d.id, t.id)
  }
  for (const l of links) {
    const job = linkJobs.get(l.job)
    if (job === undefined) continue
    for (const d of targets)
      if (d.name === l.writes || d.name.endsWith(`.${l.writes}`)) add(d.id, job)
  }
  return out
}

const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

/** Latest result per test key on each dataset. */
export function latestAssertions(db: Db, datasetIds: number[]): Map<number, AssertionFact[]> {
  if (datasetIds.length === 0) return new Map()
  // (key, dataset_id, observed_at) is unique, so max() picks one row per test: SQLite returns
  // the other (bare) columns from that row, without a window's sort of every result.
  const rows = readStatement<{
    dataset_id: number
    key: string
    name: string
    status: string
    severity: string
    observed_at: string
    column: string | null
    message: string | null
  }>(
    db,
    `select dataset_id, key, name, status, severity, max(observed_at) as observed_at, "column", message
    from assertions where dataset_id ${IDS} group by key, dataset_id`,
  ).all(JSON.stringify(datasetIds))
  return groupBy(
    rows,
    (r) => r.dataset_id,
    (r) => ({
      key: r.key,
      name: r.name,
      status: r.status,
      severity: r.severity,
      observedAt: r.observed_at,
      column: r.column,
      message: r.message,
    }),
  )
}

/** The newest `perName` metrics of each name on each dataset, oldest first. */
export function recentMetrics(
  db: Db,
  datasetIds: number[],
  perName: number,
): Map<number, (MetricFact & { runId: string | null })[]> {
  if (datasetIds.length === 0) return new Map()
  const rows = readStatement<{
    dataset_id: number
    name: string
    value: number
    status: string | null
    observed_at: string
    run_id: string | null
  }>(
    db,
    `select dataset_id, name, value, status, observed_at, run_id from (
        select m.dataset_id, m.name, m.value, m.status, m.observed_at, m.run_id,
          row_number() over (partition by m.dataset_id, m.name order by m.observed_at desc) as rn
        from metrics m where m.dataset_id ${IDS}
      ) where rn <= ? order by observed_at`,
  ).all(JSON.stringify(datasetIds), perName)
  return groupBy(
    rows,
    (r) => r.dataset_id,
    (r) => ({
      name: r.name,
      value: r.value,
      status: r.status,
      observedAt: r.observed_at,
      runId: r.run_id,
    }),
  )
}

function lastVersions(db: Db, datasetIds: number[]): Map<number, OutputFacts['versions']> {
  // Columns are only needed (and parsed) where there are two versions to compare.
  if (datasetIds.length === 0) return new Map()
  const rows = db.all<{ dataset_id: number; columns: string | null; observed_at: string }>(sql`
      select dataset_id, case when n >= 2 then columns end as columns, observed_at from (
        select v.*, row_number() over (partition by v.dataset_id order by v.id desc) as rn,
          count(*) over (partition by v.dataset_id) as n
        from dataset_versions v where ${inIds(sql`v.dataset_id`, datasetIds)}
      ) where rn <= 2 order by id`)
  return groupBy(
    rows,
    (r) => r.dataset_id,
    (r) => ({
      columns: r.columns === null ? [] : parseColumns(r.columns),
      observedAt: r.observed_at,
    }),
  )
}

function parseColumns(text: string): { name: string; type?: string }[] {
  const v: unknown = JSON.parse(text)
  if (!Array.isArray(v)) return []
  return v.flatMap((c: unknown) => {
    if (c === null || typeof c !== 'object' || !('name' in c) || typeof c.name !== 'string')
      return []
    return [
      { name: c.name, ...('type' in c && typeof c.type === 'string' ? { type: c.type } : {}) },
    ]
  })
}

/**
 * Failing tests and stale sources upstream of the given datasets. Starts from the (few) datasets
 * with a problem and walks *down* to find which targets they reach, so the cost follows the
 * problems' blast radius, not the graph. Keyed by target dataset.
 */
function upstreamProblems(db: Db, targets: number[], depth: number): Map<number, UpstreamFacts[]> {
  const out = new Map<number, UpstreamFacts[]>()
  const failing = db.all<{ dataset_id: number }>(sql`
    select distinct dataset_id from (
      select dataset_id, status, max(observed_at) from assertions group by key, dataset_id
    ) where status in ('fail', 'error', 'warn')`)
  const stale = db.all<{ dataset_id: number }>(sql`
    select distinct dataset_id from (
      select dataset_id, status, row_number() over (partition by dataset_id order by observed_at desc) as rn from metrics where name = ${FRESHNESS_METRIC}
    ) where rn = 1 and status in ('warn', 'error')`)
  const sources = [...new Set([...failing, ...stale].map((r) => r.dataset_id))]
  if (sources.length === 0) return out
  // Every source walked down at once, one dataset hop (input edge, then the reader's outputs) per
  // step; min(depth) is the hop at which a breadth-first walk from the source meets the target.
  const reach = new Map<number, Map<number, number>>()
  for (const r of readStatement<{ src: number; target: number; depth: number }>(
    db,
    `with recursive down(src, ds, depth) as (
      select value, value, 0 from json_each(?)
      union
      select d.src, o.dataset_id, d.depth + 1 from down d
        join lineage_edges i on i.dataset_id = d.ds and i.direction = 'input'
        join lineage_edges o on o.job_id = i.job_id and o.direction = 'output'
        where d.depth < ?
    )
    select src, ds as target, min(depth) as depth from down
      where ds <> src and ds ${IDS} group by src, ds`,
  ).all(JSON.stringify(sources), depth, JSON.stringify(targets))) {
    ;(reach.get(r.src) ?? reach.set(r.src, new Map()).get(r.src))?.set(r.target, r.depth)
  }
  const srcIds = [...reach.keys()]
  if (srcIds.length === 0) return out
  const rows = new Map(
    inChunks(srcIds, (part) =>
      db.select(DATASET_FACT).from(datasets).where(inArray(datasets.id, part)).all(),
    ).map((d) => [d.id, d]),
  )
  const tests = latestAssertions(db, srcIds)
  const metrics = recentMetrics(db, srcIds, 1)
  for (const [src, hits] of reach) {
    const d = rows.get(src)
    if (!d) continue
    for (const [target, dist] of hits) {
      const u: UpstreamFacts = {
        ...d,
        depth: dist,
        assertions: tests.get(src) ?? [],
        freshness: (metrics.get(src) ?? []).find((m) => m.name === FRESHNESS_METRIC) ?? null,
      }
      out.set(target, [...(out.get(target) ?? []), u])
    }
  }
  return out
}

/**
 * \`column IN (ids)\` with the ids as ONE JSON parameter: the statement text stays short and the
 * same for any number of ids (a 5000-placeholder IN list cost more to build and compile than to run).
 */
export const inIds = (column: SQLWrapper, ids: readonly (number | string)[]): SQL =>
  sql`${column} in (select value from json_each(${JSON.stringify(ids)}))`

export function inChunks<T, R>(items: readonly T[], f: (part: T[]) => R[]): R[] {
  return items.length === 0 ? [] : chunk(items, 5000).flatMap(f)
}

export function groupBy<T, K, V>(
  items: readonly T[],
  key: (t: T) => K,
  value: (t: T) => V,
): Map<K, V[]> {
  const m = new Map<K, V[]>()
  for (const t of items) {
    const k = key(t)
    const list = m.get(k)
    if (list) list.push(value(t))
    else m.set(k, [value(t)])
  }
  return m
}
