// The typed API client: `hc<AppType>` gives request and response types from the server's routes.
import { hc, type InferResponseType } from 'hono/client'
import type { AppType } from '../server/app.ts'
import { authHeaders } from './token.ts'

export const api = hc<AppType>('/', { headers: authHeaders })

type Body<R> = R extends { json(): Promise<infer T> } ? T : never
type Success<R> = Exclude<Body<R>, { error: { code: string } }>

/** The body of a 2xx answer, or undefined for 404 (unknown thing, or an endpoint this server lacks). */
export async function ok<R extends { ok: boolean; status: number; json(): Promise<unknown> }>(
  res: R,
): Promise<Success<R> | undefined> {
  if (res.status === 404) return undefined
  if (res.status === 401 || res.status === 403)
    throw new Error(
      'this meshwatch needs a read token for its API: give one on the Incidents page (kept in this tab only)',
    )
  if (!res.ok) throw new Error(`${res.status} from the API`)
  // The route's own declared success type: hc has already typed it, only the error arm is removed.
  return (await res.json()) as Success<R>
}

// The answers' shapes, inferred from the server's routes (each declared once, where the data comes from).
type Answer<F extends (...args: never[]) => unknown> = Exclude<
  InferResponseType<F, 200>,
  { error: { code: string } }
>
export type ProductList = Answer<typeof api.api.products.$get>
export type CatalogProduct = ProductList['products'][number]
export type ProductDetail = Answer<(typeof api.api.products)[':id']['$get']>
export type ProductHistory = Answer<(typeof api.api.products)[':id']['history']['$get']>
export type RootCauseAnswer = Answer<(typeof api.api.products)[':id']['root-cause']['$get']>
export type Governance = Answer<typeof api.api.governance.$get>
export type ColumnLineage = Answer<(typeof api.api.datasets)[':id']['column-lineage']['$get']>
export type LineageOverview = Answer<typeof api.api.lineage.overview.$get>
export type DomainGraph = Answer<(typeof api.api.lineage.domains)[':domain']['$get']>
export type LineageFocus = Answer<typeof api.api.lineage.focus.$get>
export type DatasetDetail = Answer<(typeof api.api.datasets)[':id']['$get']>
export type ProductNeighbours = Answer<(typeof api.api.lineage.products)[':id']['$get']>
export type ProductRuns = Answer<typeof api.api.runs.$get>
export type RunTimeline = Answer<(typeof api.api.runs)[':runId']['timeline']['$get']>
export type DomainTiles = Answer<typeof api.api.domains.overview.$get>
export type DomainPage = Answer<(typeof api.api.domains)[':name']['$get']>
export type IncidentList = Answer<typeof api.api.incidents.$get>
export type IncidentSummary = IncidentList['incidents'][number]
export type IncidentDetail = Answer<(typeof api.api.incidents)[':id']['$get']>
export type IncidentStats = Answer<typeof api.api.incidents.stats.$get>
export type SearchAnswer = Answer<typeof api.api.search.$get>

/** The API's own words for a refused request (`{ error: { message } }`), else the status. */
export async function errorText(res: Response): Promise<string> {
  const body: unknown = await res.json().catch(() => undefined)
  const err = body && typeof body === 'object' && 'error' in body ? body.error : undefined
  const message = err && typeof err === 'object' && 'message' in err ? err.message : undefined
  return typeof message === 'string' ? `${res.status}: ${message}` : `${res.status} from the API`
}
