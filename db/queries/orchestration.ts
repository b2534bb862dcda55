import { sql } from 'drizzle-orm'
import type { Db } from '../client.ts'

// The orchestration around a set of jobs: the Airflow DAGs and tasks that run them, as the
// collectors stored it (jobs.parent_id from the Airflow API and OpenLineage parent facets; a
// task's meta.dbtModels from its rendered dbt command / Cosmos name; downstreamTaskIds;
// JobDependencies' upstreamJobs / downstreamJobs). Bounded: a view asks for what it draws.

export interface OrchestrationJob {
  id: number
  namespace: string
  name: string
  type: string
  domain: string | null
  parentId: number | null
  meta: Record<string, unknown>
}

const DBT_TYPES = ['dbt_model', 'dbt_seed', 'dbt_snapshot']

type Row = Omit<OrchestrationJob, 'meta'> & { meta: string | null }

const SELECT = sql`select id, namespace, name, type, domain, parent_id as parentId, meta from jobs`

function parseMeta(s: string | null): Record<string, unknown> {
  if (s === null) return {}
  try {
    const v: unknown = JSON.parse(s)
    return v !== null && typeof v === 'object' && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : {}
  } catch {
    return {}
  }
}

const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1)

/**
 * The jobs `jobIds` are orchestrated by, and those themselves: their parents (a task's DAG, a
 * dbt node's invocation and that one's parent), every task of those DAGs, and the tasks whose
 * dbt models include one of the dbt jobs given. At most `limit` jobs; `truncated` says if more.
 */
export function orchestrationJobs(
  db: Db,
  jobIds: readonly number[],
  limit = 2000,
): { jobs: OrchestrationJob[]; truncated: boolean } {
  const byId = new Map<number, Row>()
  let truncated = false
  const add = (rows: Row[]) => {
    for (const r of rows) {
      if (byId.has(r.id)) continue
      if (byId.size >= limit) {
        truncated = true
        return
      }
      byId.set(r.id, r)
    }
  }
  const inList = (ids: readonly (number | string)[]) =>
    sql`(select value from json_each(${JSON.stringify(ids)}))`
  add(db.all<Row>(sql`${SELECT} where id in ${inList(jobIds)} order by id`))
  // Parents, two levels up: task → DAG; dbt model → dbt invocation → the task that ran dbt.
  for (let level = 0; level < 2; level++) {
    const parents = [...byId.values()].flatMap((r) =>
      r.parentId !== null && !byId.has(r.parentId) ? [r.parentId] : [],
    )
    if (parents.length === 0) break
    add(db.all<Row>(sql`${SELECT} where id in ${inList(parents)} order by id`))
  }
  const models = [...byId.values()]
    .filter((r) => DBT_TYPES.includes(r.type))
    .map((r) => shortName(r.name))
  if (models.length > 0)
    add(
      db.all<Row>(sql`select distinct j.id, j.namespace, j.name, j.type, j.domain,
          j.parent_id as parentId, j.meta
        from jobs j, json_each(j.meta, '$.dbtModels') m
        where j.type = 'airflow_task'
          and m.value in ${inList([...new Set(models)])}
        order by j.id`),
    )
  const dags = [...byId.values()].filter((r) => r.type === 'airflow_dag').map((r) => r.id)
  const dagsOfTasks = [...byId.values()].flatMap((r) =>
    r.type === 'airflow_task' && r.parentId !== null ? [r.parentId] : [],
  )
  const allDags = [...new Set([...dags, ...dagsOfTasks])]
  if (allDags.length > 0) {
    add(db.all<Row>(sql`${SELECT} where id in ${inList(allDags)} order by id`))
    add(
      db.all<Row>(
        sql`${SELECT} where parent_id in ${inList(allDags)} order by id limit ${limit + 1}`,
      ),
    )
  }
  return {
    jobs: [...byId.values()].map((r) => ({ ...r, meta: parseMeta(r.meta) })),
    truncated,
  }
}
