import pRetry, { AbortError } from 'p-retry'
import type { Batch } from '../collectors/batch.ts'

export interface PushOptions {
  token?: string | undefined
  fetch?: typeof fetch
  retries?: number
  retryDelayMs?: number
}

/** What the server said the OpenLineage HTTP clients also retry on: transient. */
const TRANSIENT = new Set([500, 502, 503, 504])

/** POSTs a batch to a meshwatch server; retries (with backoff) only what the server says is transient. */
export async function pushBatch(server: string, batch: Batch, opts: PushOptions = {}) {
  const f = opts.fetch ?? fetch
  const url = new URL('/api/batches', server).toString()
  const body = JSON.stringify(batch)
  const attempt = async () => {
    let res: Response
    try {
      res = await f(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
        body,
      })
    } catch (e) {
      throw new Error(`could not reach ${url}: ${(e as Error).message}`, { cause: e })
    }
    const json: unknown = await res.json().catch(() => ({}))
    if (res.ok) {
      const b = json as { duplicate?: boolean; counts?: Record<string, number> }
      return { duplicate: b.duplicate === true, counts: b.counts ?? {} }
    }
    const why = (json as { error?: { message?: string } }).error?.message ?? res.statusText
    const err = new Error(`${url} answered ${res.status}: ${why}`)
    if (TRANSIENT.has(res.status)) throw err
    throw new AbortError(err)
  }
  return pRetry(attempt, {
    retries: opts.retries ?? 3,
    minTimeout: opts.retryDelayMs ?? 250,
    factor: 2,
  })
}
