import { aliasedTable, and, desc, eq, isNotNull, lt, ne, or, sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { columnEdges, datasets, datasetVersions, jobs, rawEvents, runs } from '../schema.ts'
import { storedRunTags } from '../../common/tags.ts'
import { expandDatasetWide } from './column-lineage.ts'

// SQLite's default (binary) order of text
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

export function getJob(db: Db, id: number) {
  return db.select().from(jobs).where(eq(jobs.id, id)).get()
}

/** A job's runs, newest first (by start, else last update), `limit` at a time before `before`. */
export function listJobRuns(db: Db, jobId: number, opts: { limit: number; before?: number }) {
  return db
    .select()
    .from(runs)
    .where(
      and(eq(runs.jobId, jobId), opts.before === undefined ? undefined : lt(runs.id, opts.before)),
    )
    .orderBy(desc(runs.id))
    .limit(opts.limit)
    .all()
}

/**
 * A run by its run id, with its job and the job's run before it (by start time when both have one,
 * else by arrival), or undefined.
 */
export function getRunWithPrevious(db: Db, runId: string) {
  const run = db.select().from(runs).where(eq(runs.runId, runId)).get()
  if (!run) return undefined
  const job = getJob(db, run.jobId)
  const earlier =
    run.startedAt === null
      ? lt(runs.id, run.id)
      : and(isNotNull(runs.startedAt), lt(runs.startedAt, run.startedAt))
  const previous = db
    .select()
    .from(runs)
    .where(and(eq(runs.jobId, run.jobId), ne(runs.id, run.id), earlier))
    .orderBy(run.startedAt === null ? desc(runs.id) : desc(runs.startedAt), desc(runs.id))
    .limit(1)
    .get()
  return { run, job, previous }
}

export function runExists(db: Db, runId: string): boolean {
  if (db.select({ id: runs.id }).from(runs).where(eq(runs.runId, runId)).get()) return true
  return (
    db.select({ id: rawEvents.id }).from(rawEvents).where(eq(rawEvents.runId, runId)).get() !==
    undefined
  )
}

/** Schema versions of a dataset, newest first. */
export function listDatasetVersions(db: Db, datasetId: number) {
  return db
    .select({
      id: datasetVersions.id,
      columnsHash: datasetVersions.columnsHash,
      columns: datasetVersions.columns,
      observedAt: datasetVersions.observedAt,
    })
    .from(datasetVersions)
    .where(eq(datasetVersions.datasetId, datasetId))
    .orderBy(desc(datasetVersions.id))
    .all()
}

/** Column edges into the dataset (upstream) and out of it (downstream), with dataset names. */
export function datasetColumnLineage(db: Db, datasetId: number) {
  const from = aliasedTable(datasets, 'from_ds')
  const to = aliasedTable(datasets, 'to_ds')
  const stored = db
    .select({
      datasetId: columnEdges.datasetId,
      namespace: to.namespace,
      name: to.name,
      column: columnEdges.column,
      fromDatasetId: columnEdges.fromDatasetId,
      fromNamespace: from.namespace,
      fromName: from.name,
      fromColumn: columnEdges.fromColumn,
      transformation: columnEdges.transformation,
      source: columnEdges.source,
    })
    .from(columnEdges)
    .innerJoin(from, eq(from.id, columnEdges.fromDatasetId))
    .innerJoin(to, eq(to.id, columnEdges.datasetId))
    .where(or(eq(columnEdges.datasetId, datasetId), eq(columnEdges.fromDatasetId, datasetId)))
    .orderBy(
      columnEdges.column,
      columnEdges.fromColumn,
      columnEdges.datasetId,
      columnEdges.fromDatasetId,
      columnEdges.source,
    )
    .all()
  // a model's dataset-wide edges (joins, filters, groupings) as one per output column
  return columnLineageAround(datasetId, stored, expandDatasetWide(db, stored))
}

/** A stored column edge with both datasets named: what columnLineageAround assembles. */
export type AroundRow = {
  datasetId: number
  namespace: string
  name: string
  column: string
  fromDatasetId: number
  fromNamespace: string
  fromName: string
  fromColumn: string
  transformation: string | null
}

/**
 * A dataset's column edges in and out, from its stored rows and those rows with the dataset-wide
 * ones expanded (re-sorted when expanded): the one assembly of datasetColumnLineage on both engines.
 */
export function columnLineageAround<R extends AroundRow>(
  datasetId: number,
  stored: R[],
  rows: R[],
) {
  if (rows !== stored)
    rows.sort((a, b) => cmp(a.column, b.column) || cmp(a.fromColumn, b.fromColumn))
  const edge = (r: R) => ({
    column: r.column,
    dataset: { id: r.datasetId, namespace: r.namespace, name: r.name },
    from: {
      id: r.fromDatasetId,
      namespace: r.fromNamespace,
      name: r.fromName,
      column: r.fromColumn,
    },
    transformation: r.transformation,
  })
  return {
    upstream: rows.filter((r) => r.datasetId === datasetId).map(edge),
    downstream: rows
      .filter((r) => r.fromDatasetId === datasetId && r.datasetId !== datasetId)
      .map(edge),
  }
}

/** A run as the page lists it: its job, the job's parent (DAG, dbt invocation) and its duration. */
export interface RunRow {
  runId: string
  state: string
  startedAt: string | null
  endedAt: string | null
  durationMs: number | null
  error: string | null
  parentRunId: string | null
  /** The run's TagsRunFacet entries, as tagList writes them (`key`, or `key:value`). */
  tags: string[]
  job: { id: number; name: string; type: string }
  parent: { id: number; name: string; type: string } | null
}

interface RunRowSql {
  runId: string
  state: string
  startedAt: string | null
  endedAt: string | null
  error: string | null
  parentRunId: string | null
  /** run.facets.tags.tags: JSON text on SQLite, parsed on PostgreSQL. */
  tags: unknown
  jobId: number
  jobName: string
  jobType: string
  parentId: number | null
  parentName: string | null
  parentType: string | null
}

export const RUN_ROW_SELECT = sql`r.run_id as runId, r.state, r.started_at as startedAt,
  r.ended_at as endedAt, r.error, r.parent_run_id as parentRunId,
  json_extract(r.facets, '$.tags.tags') as tags, j.id as jobId, j.name as jobName,
  j.type as jobType, p.id as parentId, p.name as parentName, p.type as parentType`

export const durationOf = (start: string | null, end: string | null): number | null => {
  const ms = Date.parse(end ?? '') - Date.parse(start ?? '')
  return Number.isFinite(ms) && ms >= 0 ? ms : null
}

/**
 * Where a run carries the tag: `key:value` as listed, or a key alone for any value of it
 * (SQLite; the PostgreSQL module writes the same with json_array_elements).
 */
export const runTagSql = (
  tag: string,
) => sql`exists (select 1 from json_each(r.facets, '$.tags.tags') t
  where json_extract(t.value, '$.key') = ${tag}
    or json_extract(t.value, '$.key') || ':' || json_extract(t.value, '$.value') = ${tag})`

export const toRunRow = (r: RunRowSql): RunRow => ({
  runId: r.runId,
  state: r.state,
  startedAt: r.startedAt,
  endedAt: r.endedAt,
  durationMs: durationOf(r.startedAt, r.endedAt),
  error: r.error,
  parentRunId: r.parentRunId,
  tags: storedRunTags(r.tags),
  job: { id: r.jobId, name: r.jobName, type: r.jobType },
  parent:
    r.parentId === null
      ? null
      : { id: r.parentId, name: r.parentName ?? '', type: r.parentType ?? '' },
})

/**
 * The runs of the jobs that write a product's outputs, newest first, with job, parent, duration and
 * tags; with `tag`, only the runs carrying it (runTagSql).
 */
export function listProductRuns(db: Db, productId: string, limit: number, tag?: string): RunRow[] {
  return db
    .all<RunRowSql>(
      sql`select ${RUN_ROW_SELECT}
      from runs r join jobs j on j.id = r.job_id left join jobs p on p.id = j.parent_id
      where r.job_id in (
        select e.job_id from product_outputs po
        join lineage_edges e on e.dataset_id = po.dataset_id and e.direction = 'output'
        where po.product_id = ${productId})${tag === undefined ? sql`` : sql` and ${runTagSql(tag)}`}
      order by coalesce(r.started_at, r.updated_at) desc, r.id desc limit ${limit}`,
    )
    .map(toRunRow)
}
