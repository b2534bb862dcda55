import { setTimeout as sleep } from 'node:timers/promises'

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001', '40P01'])
const ATTEMPTS = 8

const codeOf = (e: unknown): unknown =>
  e && typeof e === 'object' && 'code' in e ? (e as { code: unknown }).code : undefined

/** Whether `e` is a serialization failure (40001) or a deadlock (40P01). */
export const isRetryable = (e: unknown): boolean => RETRYABLE.has(codeOf(e) as string)

/**
 * Runs `attempt` (one whole transaction) again when PostgreSQL aborted it as a serialization
 * failure or a deadlock victim, after a short random pause, up to ATTEMPTS times in all.
 */
export async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt()
    } catch (e) {
      if (n >= ATTEMPTS || !isRetryable(e)) throw e
      await sleep(Math.random() * 5 * 2 ** n)
    }
  }
}
