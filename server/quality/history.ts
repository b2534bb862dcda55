import type { DimensionResult, ProductEvaluation, Status } from './facts.ts'

export interface StoredEvaluation {
  evaluatedAt: string
  score: number
  status: Status
  dimensions: readonly DimensionResult[]
}

const fingerprint = (dims: readonly DimensionResult[]): string =>
  JSON.stringify(
    // Not the reason: it carries ages ("written 12 min ago") that change on every evaluation.
    dims.map((d) => [d.dimension, d.status, Math.round(d.score ?? 0)]),
  )

/**
 * Whether a new evaluation is worth a history row: the status, score or any dimension's status
 * or score changed, or the last stored one is older than `everyMs` (a heartbeat), so history
 * grows with change, not with the evaluation rate.
 */
export function shouldStore(
  prev: StoredEvaluation | undefined,
  next: Pick<ProductEvaluation, 'status' | 'score' | 'dimensions' | 'evaluatedAt'>,
  everyMs: number,
): boolean {
  if (!prev) return true
  if (prev.status !== next.status) return true
  if (next.score !== null && Math.abs(prev.score - next.score) >= 0.5) return true
  if (fingerprint(prev.dimensions) !== fingerprint(next.dimensions)) return true
  return Date.parse(next.evaluatedAt) - Date.parse(prev.evaluatedAt) >= everyMs
}

/** When the current status began: the oldest evaluation of the latest unbroken run of it (history newest first). */
export function statusSince(
  historyNewestFirst: readonly { evaluatedAt: string; status: Status }[],
): { status: Status; since: string } | undefined {
  const head = historyNewestFirst[0]
  if (!head) return undefined
  let since = head.evaluatedAt
  for (const e of historyNewestFirst) {
    if (e.status !== head.status) break
    since = e.evaluatedAt
  }
  return { status: head.status, since }
}
