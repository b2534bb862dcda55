import * as crypto from 'node:crypto'
import type { Run, RunState } from '../../collectors/batch.ts'

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size))
  return out
}

// One-shot crypto.hash (Node >= 20.12) is about twice as fast as createHash for a schema's
// ~1 KB of text, hashed once per dataset a batch stores; the same digest either way.
const sha256Hex: (text: string) => string =
  typeof crypto.hash === 'function'
    ? (text) => crypto.hash('sha256', text, 'hex')
    : (text) => crypto.createHash('sha256').update(text).digest('hex')

/** The hash of a schema version: of its columns' JSON text, or of the columns. */
export function columnsHash(cols: string | { name: string; type?: string }[]): string {
  const text = typeof cols === 'string' ? cols : JSON.stringify(cols)
  return sha256Hex(text).slice(0, 32)
}

const RANK: Record<RunState, number> = {
  OTHER: 0,
  START: 1,
  RUNNING: 2,
  COMPLETE: 3,
  FAIL: 3,
  ABORT: 3,
}

/**
 * Folds a later-received observation of a run into what is known. Tolerates out-of-order delivery:
 * a START arriving after COMPLETE (or RUNNING) does not reopen the run, OTHER never changes the state; facets of the same name are replaced.
 */
export function mergeRun(prev: Run, next: Run): Run {
  // Later-received wins only when it moves the run forward: OTHER carries metadata, not a transition.
  const state = RANK[next.state] >= RANK[prev.state] ? next.state : prev.state
  const facets = prev.facets || next.facets ? { ...prev.facets, ...next.facets } : undefined
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
