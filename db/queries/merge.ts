import { createHash } from 'node:crypto'
import type { Run, RunState } from '../../collectors/batch.ts'

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

export function columnsHash(cols: { name: string; type?: string }[]): string {
  return createHash('sha256').update(JSON.stringify(cols)).digest('hex').slice(0, 32)
}

const TERMINAL: ReadonlySet<RunState> = new Set(['COMPLETE', 'FAIL', 'ABORT'])

/**
 * Folds a later-received observation of a run into what is known. Tolerates out-of-order delivery:
 * a START arriving after COMPLETE does not reopen the run; facets of the same name are replaced.
 */
export function mergeRun(prev: Run, next: Run): Run {
  const state =
    TERMINAL.has(prev.state) && !TERMINAL.has(next.state) ? prev.state : next.state
  const facets =
    prev.facets || next.facets ? { ...(prev.facets ?? {}), ...(next.facets ?? {}) } : undefined
  return {
    runId: prev.runId,
    job: next.job,
    state,
    startedAt: minTime(prev.startedAt, next.startedAt),
    endedAt: next.endedAt ?? prev.endedAt,
    nominalTime: next.nominalTime ?? prev.nominalTime,
    error: next.error ?? prev.error,
    rowsAffected: next.rowsAffected ?? prev.rowsAffected,
    parentRunId: next.parentRunId ?? prev.parentRunId,
    ...(facets ? { facets } : {}),
  }
}

function minTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  return Date.parse(a) <= Date.parse(b) ? a : b
}
