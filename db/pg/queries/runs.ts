import type * as lite from '../../queries/runs.ts'
import { columnLineageAround, toRunRow, type AroundRow } from '../../queries/runs.ts'
import type * as sq from '../../schema.ts'
import type { PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { jobs, runs as runsTable } from '../schema.ts'
import type { ColumnEdgeRow } from '../../queries/column-lineage.ts'
import { columnLineage } from './column-lineage.ts'

// Jobs, runs, dataset versions and column lineage on PostgreSQL; times compared as the ISO text
// they are stored as ("C" collation, as SQLite compares them).

type JobRow = typeof sq.jobs.$inferSelect
type RunRow = typeof sq.runs.$inferSelect

const JOB = columnsOf(jobs)
const RUN = columnsOf(runsTable)

/** The columns toRunRow reads (RUN_ROW_SELECT's, quoted for PostgreSQL). */
export const PG_RUN_ROW_SELECT = `r.run_id as "runId", r.state, r.started_at as "startedAt",
  r.ended_at as "endedAt", r.error, r.parent_run_id as "parentRunId",
  r.facets #> '{tags,tags}' as tags, j.id as "jobId",
  j.name as "jobName", j.type as "jobType", p.id as "parentId", p.name as "parentName",
  p.type as "parentType"`

export const runs = {
  async getJob(q, id) {
    return (await q.query<JobRow>(`select ${JOB} from jobs where id = $1`, [id])).rows[0]
  },

  async listJobRuns(q, jobId, opts) {
    const r = await q.query<RunRow>(
      `select ${RUN} from runs where job_id = $1 and ($2::int8 is null or id < $2)
        order by id desc limit $3`,
      [jobId, opts.before ?? null, opts.limit],
    )
    return r.rows
  },

  async getRunWithPrevious(q, runId) {
    const run = (await q.query<RunRow>(`select ${RUN} from runs where run_id = $1`, [runId]))
      .rows[0]
    if (!run) return undefined
    const job = (await q.query<JobRow>(`select ${JOB} from jobs where id = $1`, [run.jobId]))
      .rows[0]
    const previous = (
      run.startedAt === null
        ? await q.query<RunRow>(
            `select ${RUN} from runs where job_id = $1 and id <> $2 and id < $2
              order by id desc limit 1`,
            [run.jobId, run.id],
          )
        : await q.query<RunRow>(
            `select ${RUN} from runs where job_id = $1 and id <> $2
                and started_at is not null and started_at < $3
              order by started_at desc, id desc limit 1`,
            [run.jobId, run.id, run.startedAt],
          )
    ).rows[0]
    return { run, job, previous }
  },

  async runExists(q, runId) {
    const r = await q.query(
      `select 1 from runs where run_id = $1
       union all select 1 from raw_events where run_id = $1 limit 1`,
      [runId],
    )
    return r.rows.length > 0
  },

  async listDatasetVersions(q, datasetId) {
    const r = await q.query<{
      id: number
      columnsHash: string
      columns: { name: string; type?: string }[]
      observedAt: string
    }>(
      `select id, columns_hash as "columnsHash", columns, observed_at as "observedAt"
         from dataset_versions where dataset_id = $1 order by id desc`,
      [datasetId],
    )
    return r.rows
  },

  async datasetColumnLineage(q, datasetId) {
    const stored = (
      await q.query<AroundRow & { source: ColumnEdgeRow['source'] }>(
        `select e.dataset_id as "datasetId", t.namespace, t.name, e."column",
                e.from_dataset_id as "fromDatasetId", f.namespace as "fromNamespace",
                f.name as "fromName", e.from_column as "fromColumn", e.transformation, e.source
           from column_edges e join datasets f on f.id = e.from_dataset_id
           join datasets t on t.id = e.dataset_id
          where e.dataset_id = $1 or e.from_dataset_id = $1
          order by e."column", e.from_column, e.dataset_id, e.from_dataset_id, e.source`,
        [datasetId],
      )
    ).rows
    // a model's dataset-wide edges (joins, filters, groupings) as one per output column, as SQLite's
    return columnLineageAround(datasetId, stored, await columnLineage.expandDatasetWide(q, stored))
  },

  async listProductRuns(q, productId, limit, tag?: string) {
    const r = await q.query<Parameters<typeof toRunRow>[0]>(
      `select ${PG_RUN_ROW_SELECT}
         from runs r join jobs j on j.id = r.job_id left join jobs p on p.id = j.parent_id
        where r.job_id in (
          select e.job_id from product_outputs po
            join lineage_edges e on e.dataset_id = po.dataset_id and e.direction = 'output'
           where po.product_id = $1)
          and ($3::text is null or exists (
            select 1 from json_array_elements(case when json_typeof(r.facets #> '{tags,tags}') = 'array'
              then r.facets #> '{tags,tags}' end) t
             where t ->> 'key' = $3 or (t ->> 'key') || ':' || (t ->> 'value') = $3))
        order by coalesce(r.started_at, r.updated_at) desc, r.id desc limit $2`,
      [productId, limit, tag ?? null],
    )
    return r.rows.map(toRunRow)
  },
} satisfies PgModule<typeof lite>
