import { collectAirflow } from '../collectors/airflow/collect.ts'
import { airflowJob, soleLeader, type Leader } from '../db/leader.ts'
import type { AirflowAuth } from '../collectors/airflow/client.ts'
import type { AirflowSourceConfig } from './config-file.ts'
import { nowOf, SILENT, type Deps } from './deps.ts'
import { ingestBatch } from './ingest.ts'
import { redact } from './log.ts'
import { own } from '../collectors/own.ts'
import { credentialsInUrl, splitCredentials } from '../collectors/airflow/url.ts'

export interface AirflowSource {
  url: string
  auth: AirflowAuth
  apiVersion?: 'v1' | 'v2' | undefined
  namespace?: string | undefined
  intervalSeconds: number
  timeoutMs?: number | undefined
  retries?: number | undefined
  /** Items per page (Airflow caps v1 at 100). */
  pageSize?: number | undefined
  /** Injected in tests (an in-process stand-in for Airflow). */
  fetch?: typeof fetch
}

/** The Airflow's name: its URL without credentials or trailing slash. */
const airflowName = (url: string): string => splitCredentials(url).url.replace(/\/+$/, '')

export const collectorName = (url: string): string => airflowJob(airflowName(url))

export type PollResult =
  | {
      ok: true
      cursor: string
      counts: Record<string, number>
      duplicate: boolean
      warnings: string[]
    }
  | {
      ok: false
      error: string
      /** Another poll (another replica's) moved the cursor since this one read it: none stored. */
      superseded?: true
    }

/** A poll found the cursor moved by another (a replica that took the lead meanwhile). */
class CursorMovedError extends Error {
  override name = 'CursorMovedError'
}

/**
 * One poll of one Airflow: read from the stored cursor (or `since`), then store the batch and the
 * new cursor in one transaction. On any failure nothing of the poll is stored and the cursor stays.
 * The cursor moves compare-and-set: a poll whose cursor another moved meanwhile stores nothing.
 */
export async function pollAirflow(
  deps: Deps,
  src: AirflowSource,
  opts: { since?: string } = {},
): Promise<PollResult> {
  const name = collectorName(src.url)
  const { store } = deps
  try {
    const read = (await store.collectors.getCollectorState(name))?.cursor ?? null
    const { batch, cursor, warnings } = await collectAirflow({
      url: src.url,
      auth: src.auth,
      ...(src.apiVersion ? { apiVersion: src.apiVersion } : {}),
      ...(src.namespace ? { namespace: src.namespace } : {}),
      ...(src.timeoutMs ? { timeoutMs: src.timeoutMs } : {}),
      ...(src.retries !== undefined ? { retries: src.retries } : {}),
      ...(src.pageSize ? { pageSize: src.pageSize } : {}),
      ...(src.fetch ? { fetch: src.fetch } : {}),
      ...(opts.since ? { since: opts.since } : { cursor: read ?? undefined }),
      dbtModels: await store.admin.listDbtModelNames(),
    })
    const at = nowOf(deps).toISOString()
    const r = await store.transaction(async (tx) => {
      const stored = await ingestBatch({ ...deps, store: tx }, batch)
      if (!(await tx.collectors.advancePollCursor(name, read, cursor, at)))
        throw new CursorMovedError(
          `the cursor of ${name} moved since this poll read it (another replica polled); stored nothing`,
        )
      return stored
    })
    return { ok: true, cursor, counts: r.counts, duplicate: r.duplicate, warnings }
  } catch (e) {
    if (e instanceof CursorMovedError) return { ok: false, error: e.message, superseded: true }
    const error = redact(e instanceof Error ? e.message : String(e))
    await store.collectors.recordPollFailure(name, error, nowOf(deps).toISOString())
    return { ok: false, error }
  }
}

/**
 * Polls every configured Airflow on its interval (first poll at once), each only while this
 * replica leads its job (airflowJob of its URL): one replica polls each Airflow. Returns a stop
 * function, which resolves once the polls in flight have ended (so the store can be closed).
 */
export function startAirflowPollers(
  deps: Deps,
  sources: AirflowSource[],
  leader: Leader = soleLeader(),
): () => Promise<void> {
  const log = deps.log ?? SILENT
  const timers: NodeJS.Timeout[] = []
  const inFlight = new Set<Promise<void>>()
  let stopped = false
  for (const src of sources) {
    let running = false
    const poll = async () => {
      try {
        const r = await leader.runIfLeader(collectorName(src.url), () => pollAirflow(deps, src))
        if (!r) return
        if (r.ok) log.info('polled Airflow', { url: src.url, cursor: r.cursor, ...r.counts })
        else if (r.superseded) log.info('Airflow poll superseded', { url: src.url, error: r.error })
        else
          log.warn('Airflow poll failed; will retry next interval', {
            url: src.url,
            error: r.error,
          })
      } catch (e) {
        // e.g. the store went away while recording a failure: logged, never an unhandled rejection
        log.error('Airflow poll failed; will retry next interval', {
          url: src.url,
          error: redact(e instanceof Error ? e.message : String(e)),
        })
      } finally {
        running = false
      }
    }
    const tick = () => {
      if (running || stopped) return
      running = true
      const p = poll()
      inFlight.add(p)
      void p.finally(() => inFlight.delete(p))
    }
    tick()
    const t = setInterval(tick, src.intervalSeconds * 1000)
    t.unref()
    timers.push(t)
  }
  return async () => {
    stopped = true
    for (const t of timers) clearInterval(t)
    await Promise.all(inFlight)
  }
}

/** The sources of meshwatch.yml `collectors.airflow` plus MESHWATCH_AIRFLOW_* env, secrets read from env. */
export function airflowSourcesOf(
  configured: readonly AirflowSourceConfig[],
  env: Record<string, string | undefined>,
): { sources: AirflowSource[]; problems: string[] } {
  const sources: AirflowSource[] = []
  const problems: string[] = []
  const all: (AirflowSourceConfig & { pageSize?: number })[] = [...configured]
  if (env.MESHWATCH_AIRFLOW_URL) {
    const pageSize = Number(env.MESHWATCH_AIRFLOW_PAGE_SIZE)
    all.push({
      url: env.MESHWATCH_AIRFLOW_URL,
      ...(env.MESHWATCH_AIRFLOW_USERNAME ? { username: env.MESHWATCH_AIRFLOW_USERNAME } : {}),
      password_env: 'MESHWATCH_AIRFLOW_PASSWORD',
      token_env: 'MESHWATCH_AIRFLOW_TOKEN',
      interval_seconds: Number(env.MESHWATCH_AIRFLOW_INTERVAL_SECONDS ?? 300) || 300,
      // items per request (Airflow caps v1 at 100); tests replay recordings made with a small one
      ...(env.MESHWATCH_AIRFLOW_PAGE_SIZE ? { pageSize } : {}),
    })
  }
  for (const c of all) {
    if (c.pageSize !== undefined && !(Number.isInteger(c.pageSize) && c.pageSize > 0)) {
      problems.push(
        `Airflow ${c.url}: MESHWATCH_AIRFLOW_PAGE_SIZE must be a positive integer, not ${JSON.stringify(env.MESHWATCH_AIRFLOW_PAGE_SIZE)}`,
      )
      continue
    }
    if (splitCredentials(c.url).hadCredentials) {
      problems.push(
        `Airflow ${credentialsInUrl(c.url, 'MESHWATCH_AIRFLOW_USERNAME and MESHWATCH_AIRFLOW_PASSWORD (or username + password_env)')}`,
      )
      continue
    }
    const token = c.token_env ? own(env, c.token_env) : undefined
    const password = c.password_env ? own(env, c.password_env) : undefined
    let auth: AirflowAuth
    if (token) auth = { token }
    else if (c.username && password !== undefined) auth = { username: c.username, password }
    else {
      problems.push(
        `Airflow ${c.url}: no credentials: set ${c.token_env ?? 'a token_env'} or username + ${c.password_env ?? 'a password_env'}`,
      )
      continue
    }
    sources.push({
      url: c.url,
      auth,
      apiVersion: c.api_version,
      namespace: c.namespace,
      intervalSeconds: c.interval_seconds,
      timeoutMs: c.timeout_ms,
      retries: c.retries,
      pageSize: c.pageSize,
    })
  }
  return { sources, problems }
}
