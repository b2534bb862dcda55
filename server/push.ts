import type { Batch } from '../collectors/batch.ts'

export interface PushOptions {
  token?: string | undefined
  fetch?: typeof fetch
  retries?: number
}

/** POSTs a batch to a meshwatch server; retries only what the server says is transient. */
export async function pushBatch(server: string, batch: Batch, opts: PushOptions = {}) {
  const f = opts.fetch ?? fetch
  const url = new URL('/api/batches', server).toString()
  const retries = opts.retries ?? 3
  for (let attempt = 0; ; attempt++) {
    let res: Response
    try {
      res = await f(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
        },
        body: JSON.stringify(batch),
      })
    } catch (e) {
      if (attempt < retries) {
        await sleep(250 * 2 ** attempt)
        continue
      }
      throw new Error(`could not reach ${url}: ${(e as Error).message}`, { cause: e })
    }
    const body: unknown = await res.json().catch(() => ({}))
    if (res.ok) {
      const b = body as { duplicate?: boolean; counts?: Record<string, number> }
      return { duplicate: b.duplicate === true, counts: b.counts ?? {} }
    }
    if ([500, 502, 503, 504].includes(res.status) && attempt < retries) {
      await sleep(250 * 2 ** attempt)
      continue
    }
    const err = (body as { error?: { message?: string } }).error?.message ?? res.statusText
    throw new Error(`${url} answered ${res.status}: ${err}`)
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
