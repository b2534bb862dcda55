import type { Ref, Run } from '../../collectors/batch.ts'
import { mergeRun } from './merge.ts'
import { encodeJson, orNull, type Statements, type StoredRunRow } from './statements.ts'

export function storeRuns(
  s: Statements,
  batchRuns: Run[],
  jobId: (r: Ref) => number,
  now: string,
): number {
  const stored = new Map<string, StoredRunRow>()
  if (batchRuns.length > 0) {
    const ids = [...new Set(batchRuns.map((r) => r.runId))]
    for (const row of s.runsByRunIds.all({ runIds: JSON.stringify(ids) }))
      stored.set(row.run_id, row)
  }
  const merged = new Map<string, Run>()
  for (const r of batchRuns) {
    let prev = merged.get(r.runId)
    if (!prev) {
      const row = stored.get(r.runId)
      if (row) {
        prev = {
          runId: row.run_id,
          job: r.job,
          state: row.state as Run['state'],
          startedAt: row.started_at ?? undefined,
          endedAt: row.ended_at ?? undefined,
          nominalTime: row.nominal_time ?? undefined,
          error: row.error ?? undefined,
          rowsAffected: row.rows_affected ?? undefined,
          parentRunId: row.parent_run_id ?? undefined,
          facets:
            row.facets === null ? undefined : (JSON.parse(row.facets) as Record<string, unknown>),
        }
      }
    }
    merged.set(r.runId, prev ? mergeRun(prev, r) : r)
  }
  for (const r of merged.values()) {
    s.upsertRun.run({
      runId: r.runId,
      jobId: jobId(r.job),
      state: r.state,
      startedAt: orNull(r.startedAt),
      endedAt: orNull(r.endedAt),
      nominalTime: orNull(r.nominalTime),
      error: orNull(r.error),
      rowsAffected: orNull(r.rowsAffected),
      parentRunId: orNull(r.parentRunId),
      facets: encodeJson(r.facets),
      now,
    })
  }
  return merged.size
}
