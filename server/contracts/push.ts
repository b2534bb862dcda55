import type { ContractUpload } from './ingest.ts'
import type { StoredContract } from '../../db/queries/contracts.ts'

/** POSTs contract files to a meshwatch server's /api/contracts; the server validates and stores them whole. */
export async function pushContracts(
  server: string,
  upload: ContractUpload,
  opts: { token?: string | undefined; fetch?: typeof fetch } = {},
): Promise<StoredContract[]> {
  const f = opts.fetch ?? fetch
  const url = new URL('/api/contracts', server).toString()
  let res: Response
  try {
    res = await f(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      },
      body: JSON.stringify(upload),
    })
  } catch (e) {
    throw new Error(`could not reach ${url}: ${(e as Error).message}`, { cause: e })
  }
  const json: unknown = await res.json().catch(() => ({}))
  if (res.ok) return (json as { stored?: StoredContract[] }).stored ?? []
  const err = (json as { error?: { message?: string; path?: string } }).error
  throw new Error(
    `${url} answered ${res.status}: ${err?.message ?? res.statusText}${err?.path ? ` (at ${err.path})` : ''}`,
  )
}
