import pRetry, { AbortError } from 'p-retry'
import { z } from 'zod'
import { refKey, type Batch } from '../collectors/batch.ts'
import type { KnownColumnLineage } from '../collectors/dbt/column-lineage/index.ts'

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

const StoredInputsSchema = z.object({
  inputs: z.array(
    z.object({
      namespace: z.string(),
      name: z.string(),
      hash: z.string(),
      columns: z.array(z.string()),
    }),
  ),
})

/**
 * What a meshwatch server computed column lineage from before (GET
 * /api/datasets/column-lineage-inputs), keyed as `collect dbt` looks it up: models whose SQL and
 * upstream columns hash the same are claimed unchanged instead of parsed again. A server that
 * cannot say (an older one, an error) gives `{ error }`: then every model is parsed.
 */
export async function fetchColumnLineageInputs(
  server: string,
  opts: Pick<PushOptions, 'token' | 'fetch'> & { namespace?: string | undefined } = {},
): Promise<{ known: KnownColumnLineage } | { error: string }> {
  const f = opts.fetch ?? fetch
  const url = new URL('/api/datasets/column-lineage-inputs', server)
  if (opts.namespace !== undefined) url.searchParams.set('namespace', opts.namespace)
  let res: Response
  try {
    res = await f(url.toString(), {
      headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
    })
  } catch (e) {
    return { error: `could not reach ${url.origin}: ${(e as Error).message}` }
  }
  const json: unknown = await res.json().catch(() => undefined)
  const parsed = StoredInputsSchema.safeParse(json)
  if (!res.ok || !parsed.success) {
    const why = res.ok ? 'not the expected JSON' : `${res.status} ${res.statusText}`
    return { error: `${url.pathname} answered ${why}` }
  }
  return {
    known: new Map(
      parsed.data.inputs.map((i) => [refKey(i), { hash: i.hash, columns: i.columns }] as const),
    ),
  }
}
