import type * as lite from '../../queries/run-timeline.ts'
import type { TimelineModel, TimelineStep } from '../../queries/run-timeline.ts'
import { durationOf, toRunRow } from '../../queries/runs.ts'
import type { PgConn, PgModule } from '../module.ts'
import { PG_RUN_ROW_SELECT } from './runs.ts'

// A run's timeline on PostgreSQL: the same statements as SQLite's, the steps' children read with
// one array parameter; facets, meta and schedule arrive parsed (json columns).

const FROM = `runs r join jobs j on j.id = r.job_id left join jobs p on p.id = j.parent_id`
const SELECT = `${PG_RUN_ROW_SELECT}, r.facets, j.meta`

type Sql = Parameters<typeof toRunRow>[0] & { facets: unknown; meta: unknown }

const objectOf = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

async function one(q: PgConn, where: string, args: unknown[]): Promise<Sql | undefined> {
  return (
    await q.query<Sql>(`select ${SELECT} from ${FROM} where ${where} order by r.id limit 1`, args)
  ).rows[0]
}

async function rootOf(q: PgConn, runId: string): Promise<Sql | undefined> {
  let run = await one(q, 'r.run_id = $1', [runId])
  for (let i = 0; run?.parentRunId && i < 5; i++) {
    const up = await one(q, 'r.run_id = $1', [run.parentRunId])
    if (!up) break
    run = up
  }
  return run
}

async function expectedDuration(q: PgConn, jobId: number, before: string | null) {
  if (before === null) return null
  const rows = await q.query<{ s: string; e: string }>(
    `select started_at as s, ended_at as e from runs
      where job_id = $1 and started_at is not null and ended_at is not null and started_at < $2
      order by started_at desc, id desc limit 20`,
    [jobId, before],
  )
  const ms = rows.rows
    .map((r) => durationOf(r.s, r.e))
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b)
  if (ms.length === 0) return null
  const mid = Math.floor(ms.length / 2)
  return ms.length % 2 ? (ms[mid] ?? null) : ((ms[mid - 1] ?? 0) + (ms[mid] ?? 0)) / 2
}

async function modelsOf(q: PgConn, step: Sql, children: Sql[]): Promise<TimelineModel[]> {
  const named = objectOf(step.meta)['dbtModels']
  const names = Array.isArray(named) ? named.filter((n): n is string => typeof n === 'string') : []
  const out: TimelineModel[] = children.map((c) => ({
    name: c.jobName.slice(c.jobName.lastIndexOf('.') + 1),
    jobId: c.jobId,
    run: toRunRow(c),
  }))
  for (const name of names) {
    if (out.some((m) => m.name === name)) continue
    // SQLite's LIKE: ASCII case ignored, no escape character; its NULLs sort last when descending
    const job = (
      await q.query<{ id: number }>(
        `select id from jobs
          where type in ('dbt_model', 'dbt_seed', 'dbt_snapshot')
            and (name = $1 or name ilike '%.' || $1 escape '')
          order by (domain = (select domain from jobs where id = $2)) desc nulls last, id
          limit 1`,
        [name, step.jobId],
      )
    ).rows[0]
    const run =
      job && step.startedAt && step.endedAt
        ? await one(q, 'r.job_id = $1 and r.started_at >= $2 and r.started_at <= $3', [
            job.id,
            step.startedAt,
            step.endedAt,
          ])
        : undefined
    out.push({ name, jobId: job?.id ?? null, run: run ? toRunRow(run) : null })
  }
  return out
}

export const runTimeline = {
  async runTimeline(q, runId, historyLimit = 20) {
    const root = await rootOf(q, runId)
    if (!root) return undefined
    const stepRows = (
      await q.query<Sql>(
        `select ${SELECT} from ${FROM} where r.parent_run_id = $1
          order by coalesce(r.started_at, r.ended_at, r.updated_at), r.id`,
        [root.runId],
      )
    ).rows
    const grand = stepRows.length
      ? (
          await q.query<Sql>(
            `select ${SELECT} from ${FROM} where r.parent_run_id = any($1::text[])
              order by coalesce(r.started_at, r.updated_at), r.id`,
            [stepRows.map((s) => s.runId)],
          )
        ).rows
      : []
    const steps: TimelineStep[] = []
    for (const s of stepRows) {
      const tries = objectOf(s.facets)['airflow']
      const tryNumber =
        tries && typeof tries === 'object' && 'tryNumber' in tries ? Number(tries.tryNumber) : null
      steps.push({
        ...toRunRow(s),
        tries: Number.isFinite(tryNumber) ? tryNumber : null,
        expectedMs: await expectedDuration(q, s.jobId, s.startedAt),
        models: await modelsOf(
          q,
          s,
          grand.filter((g) => g.parentRunId === s.runId),
        ),
      })
    }
    const rootFacets = objectOf(root.facets)['airflow']
    const history = (
      await q.query<Sql>(
        `select ${SELECT} from ${FROM} where r.job_id = $1
          order by coalesce(r.started_at, r.updated_at) desc, r.id desc limit $2`,
        [root.jobId, historyLimit],
      )
    ).rows
      .map(toRunRow)
      .reverse()
    const schedule = (
      await q.query<{ schedule: unknown }>('select schedule from jobs where id = $1', [root.jobId])
    ).rows[0]?.schedule
    const nominal = (
      await q.query<{ n: string | null }>('select nominal_time as n from runs where run_id = $1', [
        root.runId,
      ])
    ).rows[0]?.n
    return {
      run: {
        ...toRunRow(root),
        nominalTime: nominal ?? null,
        expectedMs: await expectedDuration(q, root.jobId, root.startedAt),
        runType:
          rootFacets && typeof rootFacets === 'object' && 'runType' in rootFacets
            ? String(rootFacets.runType)
            : null,
      },
      schedule: objectOf(schedule ?? null),
      steps,
      history,
    }
  },
} satisfies PgModule<typeof lite>
