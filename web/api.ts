// The typed API client: `hc<AppType>` gives request and response types from the server's routes.
import { hc } from 'hono/client'
import type { AppType } from '../server/app.ts'

export const api = hc<AppType>('/')

type Body<R> = R extends { json(): Promise<infer T> } ? T : never
type Success<R> = Exclude<Body<R>, { error: { code: string } }>

/** The body of a 2xx answer, or undefined for 404 (unknown thing, or an endpoint this server lacks). */
export async function ok<R extends { ok: boolean; status: number; json(): Promise<unknown> }>(
  res: R,
): Promise<Success<R> | undefined> {
  if (res.status === 404) return undefined
  if (res.status === 401 || res.status === 403)
    throw new Error('this meshwatch needs a read token for its API')
  if (!res.ok) throw new Error(`${res.status} from the API`)
  // The route's own declared success type: hc has already typed it, only the error arm is removed.
  return (await res.json()) as Success<R>
}
