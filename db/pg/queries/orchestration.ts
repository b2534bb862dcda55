import type * as lite from '../../queries/orchestration.ts'
import type { OrchestrationJob } from '../../queries/orchestration.ts'
import type { PgConn, PgModule } from '../module.ts'

// The orchestration around a set of jobs on PostgreSQL: the same reads as SQLite's, id lists as
// one array parameter; meta arrives parsed (a json column).

const DBT_TYPES = ['dbt_model', 'dbt_seed', 'dbt_snapshot']
const SELECT = `select id, namespace, name, type, domain, parent_id as "parentId", meta from jobs`

type Row = Omit<OrchestrationJob, 'meta'> & { meta: unknown }

const objectOf = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1)

// SQLite's json_each(meta, '$.dbtModels'): an array's elements, or the one value itself; only
// text ones can equal a model's name.
const MODELS_OF = `(
  select e #>> '{}' from json_array_elements(
    case when json_typeof(j.meta -> 'dbtModels') = 'array' then j.meta -> 'dbtModels' else '[]' end) e
   where json_typeof(e) = 'string'
  union all
  select j.meta ->> 'dbtModels' where json_typeof(j.meta -> 'dbtModels') = 'string')`

async function rows(q: PgConn, text: string, args: unknown[]): Promise<Row[]> {
  return (await q.query<Row>(text, args)).rows
}

export const orchestration = {
  async orchestrationJobs(q, jobIds, limit = 2000) {
    const byId = new Map<number, Row>()
    let truncated = false
    const add = (found: Row[]) => {
      for (const r of found) {
        if (byId.has(r.id)) continue
        if (byId.size >= limit) {
          truncated = true
          return
        }
        byId.set(r.id, r)
      }
    }
    const byIds = `${SELECT} where id = any($1::int8[]) order by id`
    add(await rows(q, byIds, [jobIds]))
    for (let level = 0; level < 2; level++) {
      const parents = [...byId.values()].flatMap((r) =>
        r.parentId !== null && !byId.has(r.parentId) ? [r.parentId] : [],
      )
      if (parents.length === 0) break
      add(await rows(q, byIds, [parents]))
    }
    const models = [...byId.values()]
      .filter((r) => DBT_TYPES.includes(r.type))
      .map((r) => shortName(r.name))
    if (models.length > 0)
      add(
        await rows(
          q,
          `select j.id, j.namespace, j.name, j.type, j.domain, j.parent_id as "parentId", j.meta
             from jobs j
            where j.type = 'airflow_task' and exists (
              select 1 from ${MODELS_OF} m(value) where m.value = any($1::text[]))
            order by j.id`,
          [[...new Set(models)]],
        ),
      )
    const dags = [...byId.values()].filter((r) => r.type === 'airflow_dag').map((r) => r.id)
    const dagsOfTasks = [...byId.values()].flatMap((r) =>
      r.type === 'airflow_task' && r.parentId !== null ? [r.parentId] : [],
    )
    const allDags = [...new Set([...dags, ...dagsOfTasks])]
    if (allDags.length > 0) {
      add(await rows(q, byIds, [allDags]))
      add(
        await rows(q, `${SELECT} where parent_id = any($1::int8[]) order by id limit $2`, [
          allDags,
          limit + 1,
        ]),
      )
    }
    return {
      jobs: [...byId.values()].map((r) => ({ ...r, meta: objectOf(r.meta) })),
      truncated,
    }
  },
} satisfies PgModule<typeof lite>
