import { sql } from 'drizzle-orm'
import type { Db } from '../client.ts'
import { durationOf, RUN_ROW_SELECT, toRunRow, type RunRow } from './runs.ts'

// A run's timeline: the DAG run (or dbt invocation) it belongs to, its steps (tasks, models) with
// their tries and the dbt models each Cosmos task ran, and the same job's last runs.

const FROM = sql`runs r join jobs j on j.id = r.job_id left join jobs p on p.id = j.parent_id`

type Sql = Parameters<typeof toRunRow>[0] & { facets: string | null; meta: string | null }
const SELECT = sql`${RUN_ROW_SELECT}, r.facets, j.meta`

export interface TimelineStep extends RunRow {
  tries: number | null
  /** The median duration of this job's earlier runs (its expected time), when it has any. */
  expectedMs: number | null
  /** The dbt models a Cosmos/dbt task ran, each with its own run when one is recorded. */
  models: TimelineModel[]
}

export interface TimelineModel {
  name: string
  jobId: number | null
  run: RunRow | null
}

const parse = (s: string | null): Record<string, unknown> => {
  try {
    const v: unknown = s === null ? null : JSON.parse(s)
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

function one(db: Db, where: ReturnType<typeof sql>): Sql | undefined {
  return db.all<Sql>(sql`select ${SELECT} from ${FROM} where ${where} order by r.id limit 1`)[0]
}

/** The root of a run: its parent run's, and so on up (a task's DAG run; a model's dbt invocation). */
function rootOf(db: Db, runId: string): Sql | undefined {
  let run = one(db, sql`r.run_id = ${runId}`)
  for (let i = 0; run?.parentRunId && i < 5; i++) {
    const up = one(db, sql`r.run_id = ${run.parentRunId}`)
    if (!up) break
    run = up
  }
  return run
}

/** The median duration of a job's runs that ended before `before` (the last 20). */
function expectedDuration(db: Db, jobId: number, before: string | null): number | null {
  if (before === null) return null
  const rows = db.all<{ s: string; e: string }>(sql`select started_at as s, ended_at as e from runs
    where job_id = ${jobId} and started_at is not null and ended_at is not null
      and started_at < ${before}
    order by started_at desc, id desc limit 20`)
  const ms = rows
    .map((r) => durationOf(r.s, r.e))
    .filter((d): d is number => d !== null)
    .sort((a, b) => a - b)
  if (ms.length === 0) return null
  const mid = Math.floor(ms.length / 2)
  return ms.length % 2 ? (ms[mid] ?? null) : ((ms[mid - 1] ?? 0) + (ms[mid] ?? 0)) / 2
}

/** The dbt models a task ran (Cosmos: `meta.dbtModels`; dbt-ol child runs), with their runs. */
function modelsOf(db: Db, step: Sql, children: Sql[]): TimelineModel[] {
  const named = parse(step.meta)['dbtModels']
  const names = Array.isArray(named) ? named.filter((n): n is string => typeof n === 'string') : []
  const out: TimelineModel[] = children.map((c) => ({
    name: c.jobName.slice(c.jobName.lastIndexOf('.') + 1),
    jobId: c.jobId,
    run: toRunRow(c),
  }))
  for (const name of names) {
    if (out.some((m) => m.name === name)) continue
    const job = db.all<{ id: number }>(sql`select id from jobs
      where type in ('dbt_model', 'dbt_seed', 'dbt_snapshot') and (name = ${name} or name like ${`%.${name}`})
      order by (domain = (select domain from jobs where id = ${step.jobId})) desc, id
      limit 1`)[0]
    // The model's own run inside the task's window, when dbt-ol (or a dbt collect) recorded one.
    const run =
      job && step.startedAt && step.endedAt
        ? one(
            db,
            sql`r.job_id = ${job.id} and r.started_at >= ${step.startedAt} and r.started_at <= ${step.endedAt}`,
          )
        : undefined
    out.push({ name, jobId: job?.id ?? null, run: run ? toRunRow(run) : null })
  }
  return out
}

/** Undefined for an unknown run. */
export function runTimeline(db: Db, runId: string, historyLimit = 20) {
  const root = rootOf(db, runId)
  if (!root) return undefined
  const stepRows = db.all<Sql>(sql`select ${SELECT} from ${FROM}
    where r.parent_run_id = ${root.runId}
    order by coalesce(r.started_at, r.ended_at, r.updated_at), r.id`)
  const grand = stepRows.length
    ? db.all<Sql>(sql`select ${SELECT} from ${FROM}
        where r.parent_run_id in (select value from json_each(${JSON.stringify(stepRows.map((s) => s.runId))}))
        order by coalesce(r.started_at, r.updated_at), r.id`)
    : []
  const steps: TimelineStep[] = stepRows.map((s) => {
    const tries = parse(s.facets)['airflow']
    const tryNumber =
      tries && typeof tries === 'object' && 'tryNumber' in tries ? Number(tries.tryNumber) : null
    return {
      ...toRunRow(s),
      tries: Number.isFinite(tryNumber) ? tryNumber : null,
      expectedMs: expectedDuration(db, s.jobId, s.startedAt),
      models: modelsOf(
        db,
        s,
        grand.filter((g) => g.parentRunId === s.runId),
      ),
    }
  })
  const rootFacets = parse(root.facets)['airflow']
  const history = db
    .all<Sql>(
      sql`select ${SELECT} from ${FROM} where r.job_id = ${root.jobId}
      order by coalesce(r.started_at, r.updated_at) desc, r.id desc limit ${historyLimit}`,
    )
    .map(toRunRow)
    .reverse()
  const schedule = db.all<{ schedule: string | null }>(
    sql`select schedule from jobs where id = ${root.jobId}`,
  )[0]?.schedule
  return {
    run: {
      ...toRunRow(root),
      nominalTime: nominalOf(db, root.runId),
      expectedMs: expectedDuration(db, root.jobId, root.startedAt),
      runType:
        rootFacets && typeof rootFacets === 'object' && 'runType' in rootFacets
          ? String(rootFacets.runType)
          : null,
    },
    schedule: parse(schedule ?? null),
    steps,
    history,
  }
}

const nominalOf = (db: Db, runId: string): string | null =>
  db.all<{ n: string | null }>(sql`select nominal_time as n from runs where run_id = ${runId}`)[0]
    ?.n ?? null
