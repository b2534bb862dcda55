import type { Ref, Run } from '../../../collectors/batch.ts'
import { mergeRun } from '../../queries/merge.ts'
import { assertNotRaced } from './absent.ts'
import { byKey, jsonOrNull, orNull, unnest } from './unnest.ts'
import type { Writes } from './writes.ts'

// storeBatch's runs on PostgreSQL (db/queries/store-runs.ts): the stored runs are read and locked
// in run_id order (SELECT … FOR UPDATE), each observation merged onto them in order as on SQLite,
// and only runs whose merged row differs are written. A run another replica inserted between the
// read and the insert is merged again onto its row, so no observation is lost.

const FIELDS = [
  'job_id',
  'state',
  'started_at',
  'ended_at',
  'nominal_time',
  'error',
  'rows_affected',
  'parent_run_id',
  'facets',
] as const
type Field = (typeof FIELDS)[number]
type Values = Record<Field, string | number | null>
interface Stored extends Values {
  run_id: string
  state: string
  started_at: string | null
  ended_at: string | null
  nominal_time: string | null
  error: string | null
  rows_affected: number | null
  parent_run_id: string | null
  facets: string | null
}

const COLUMNS = {
  run_id: 'text',
  job_id: 'int8',
  state: 'text',
  started_at: 'text',
  ended_at: 'text',
  nominal_time: 'text',
  error: 'text',
  rows_affected: 'int8',
  parent_run_id: 'text',
  facets: 'json',
} as const

const SELECT_LOCKED = `
select run_id, ${FIELDS.map((f) => (f === 'facets' ? 'facets::text as facets' : f)).join(', ')}
  from runs where run_id = any($1::text[]) order by run_id for update`

const runOf = (row: Stored, job: Ref): Run => ({
  runId: row.run_id,
  job,
  state: row.state as Run['state'],
  startedAt: row.started_at ?? undefined,
  endedAt: row.ended_at ?? undefined,
  nominalTime: row.nominal_time ?? undefined,
  error: row.error ?? undefined,
  rowsAffected: row.rows_affected ?? undefined,
  parentRunId: row.parent_run_id ?? undefined,
  ...(row.facets === null ? {} : { facets: JSON.parse(row.facets) as Record<string, unknown> }),
})

const valuesOf = (r: Run, jobId: number): Values => ({
  job_id: jobId,
  state: r.state,
  started_at: orNull(r.startedAt),
  ended_at: orNull(r.endedAt),
  nominal_time: orNull(r.nominalTime),
  error: orNull(r.error),
  rows_affected: orNull(r.rowsAffected),
  parent_run_id: orNull(r.parentRunId),
  facets: jsonOrNull(r.facets),
})

/** Each observation of the batch folded onto the stored run (if any), in order. */
function mergeAll(
  batchRuns: readonly Run[],
  stored: ReadonlyMap<string, Stored>,
): Map<string, Run> {
  const merged = new Map<string, Run>()
  for (const r of batchRuns) {
    let prev = merged.get(r.runId)
    if (!prev) {
      const row = stored.get(r.runId)
      if (row) prev = runOf(row, r.job)
    }
    merged.set(r.runId, prev ? mergeRun(prev, r) : r)
  }
  return merged
}

/**
 * Stores the batch's runs merged with what is stored; returns how many distinct runs it names.
 * The writes are held (writes.ts); a run another replica inserted meanwhile is merged again once
 * they are sent, onto its row, then locked.
 */
export async function storeRuns(
  tx: Writes,
  batchRuns: readonly Run[],
  jobId: (r: Ref) => number,
  now: string,
  absent?: ReadonlySet<string>,
): Promise<number> {
  if (batchRuns.length === 0) return 0
  return storeRound(tx, batchRuns, jobId, now, absent, 0)
}

async function storeRound(
  tx: Writes,
  todo: readonly Run[],
  jobId: (r: Ref) => number,
  now: string,
  absent: ReadonlySet<string> | undefined,
  round: number,
): Promise<number> {
  const ids = [...new Set(todo.map((r) => r.runId))].sort(byKey)
  const stored = new Map<string, Stored>()
  for (const row of (await tx.query<Stored>(SELECT_LOCKED, [ids])).rows) stored.set(row.run_id, row)
  // a scoped batch's run not stored at its check: built on only after a check of its owner
  assertNotRaced('run', absent, stored.keys())
  const merged = mergeAll(todo, stored)
  const updates: Values[] = []
  const updateIds: string[] = []
  const inserts: { runId: string; values: Values }[] = []
  for (const id of ids) {
    const r = merged.get(id)
    if (!r) continue
    const values = valuesOf(r, jobId(r.job))
    const before = stored.get(id)
    if (!before) inserts.push({ runId: id, values })
    else if (FIELDS.some((f) => before[f] !== values[f])) {
      updates.push(values)
      updateIds.push(id)
    }
  }
  if (updates.length > 0) {
    const u = unnest(COLUMNS, updates.length, (c, i) =>
      c === 'run_id' ? updateIds[i] : updates[i]?.[c as Field],
    )
    tx.hold(
      `update runs as t
          set ${FIELDS.map((f) => `${f} = u.${f}${f === 'facets' ? '::json' : ''}`).join(', ')},
              updated_at = $${u.values.length + 1}::text
         from ${u.from}
        where t.run_id = u.run_id`,
      [...u.values, now],
    )
  }
  if (inserts.length === 0) return merged.size
  const u = unnest(COLUMNS, inserts.length, (c, i) =>
    c === 'run_id' ? inserts[i]?.runId : inserts[i]?.values[c as Field],
  )
  const cols = Object.keys(COLUMNS)
  tx.hold<{ run_id: string }>(
    `insert into runs (${cols.join(', ')}, updated_at)
     select ${cols.map((c) => (c === 'facets' ? 'u.facets::json' : `u.${c}`)).join(', ')},
            $${u.values.length + 1}::text
       from ${u.from} order by u.ord
         on conflict (run_id) do nothing
     returning run_id`,
    [...u.values, now],
    async (rows) => {
      const inserted = new Set(rows.map((x) => x.run_id))
      const raced = new Set(inserts.map((x) => x.runId).filter((id) => !inserted.has(id)))
      if (raced.size === 0) return
      assertNotRaced('run', absent, raced)
      if (round > 0) throw new Error(`runs ${[...raced].join(', ')} could not be stored`)
      // At most twice: a run inserted meanwhile is found (and locked) by the second read.
      await storeRound(
        tx,
        todo.filter((x) => raced.has(x.runId)),
        jobId,
        now,
        absent,
        1,
      )
    },
  )
  return merged.size
}
