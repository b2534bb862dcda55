import { CollectorError, type Batch } from '../batch.ts'
import { createAirflowClient, type AirflowClient, type AirflowClientOptions } from './client.ts'
import { mapAirflow, type AirflowSnapshot, type MapOptions } from './map.ts'
import { cronOf } from './schedule.ts'
import type { AfDagRun, AfTaskInstance } from './schema.ts'
import { splitCredentials } from './url.ts'

export type CollectAirflowOptions = AirflowClientOptions &
  Omit<MapOptions, 'producedAt'> & {
    /** Read runs changed since this time, overriding `cursor`. */
    since?: string | undefined
    /** The cursor returned by the previous poll. */
    cursor?: string | undefined
  }

export type CollectAirflowResult = { batch: Batch; cursor: string; warnings: string[] }

/** Re-read this much before the cursor: pages are read at different moments. */
const CURSOR_OVERLAP_MS = 60_000
const RUNS_PER_TI_REQUEST = 50
const PER_DAG_CONCURRENCY = 4

/**
 * Polls one Airflow (REST v2 or v1): all DAGs, tasks, assets and import errors, plus the DAG runs
 * and task instances changed since the cursor (and each DAG's latest run). Throws CollectorError
 * on auth failure, a 5xx/timeout after retries or a malformed response: then nothing is returned
 * and the caller keeps its cursor. The cursor is an ISO time in Airflow's clock, or '' when
 * Airflow has no runs yet.
 */
export async function collectAirflow(opts: CollectAirflowOptions): Promise<CollectAirflowResult> {
  const watermark = opts.since ?? (opts.cursor || undefined)
  if (watermark !== undefined && Number.isNaN(Date.parse(watermark))) {
    throw new CollectorError(`Airflow collector: cursor/since is not a date-time: ${watermark}`)
  }
  const since = watermark && new Date(watermark).toISOString()
  const client = await createAirflowClient(opts)
  const { api } = client

  const dagList = await client.getAll('/dags', api.dags)
  const dags = await mapLimit(dagList, PER_DAG_CONCURRENCY, async (dag) => {
    const path = `/dags/${encodeURIComponent(dag.dagId)}`
    const tasks = (await client.getJson(`${path}/tasks`, api.tasks)).items
    const timezone = cronOf(dag.scheduleSummary)
      ? (await client.getJson(`${path}/details`, api.dagDetails)).timezone
      : undefined
    return { dag, timezone, tasks }
  })

  const changed = await client.getAll('/dags/~/dagRuns', api.dagRuns, { updated_at_gte: since })
  const latest = await mapLimit(dagList, PER_DAG_CONCURRENCY, (dag) => latestRun(client, dag.dagId))
  const runs = dedupeRuns([...changed, ...latest.flat()])
  const taskInstances = await readTaskInstances(client, runs)

  const assets = await client.getAll(api.assetsPath, api.assets)
  const events = (
    await client.getAll(
      api.assetEventsPath,
      api.assetEvents,
      client.version === 'v2' ? { timestamp_gte: since } : {},
    )
  ).filter((e) => !since || e.timestamp >= since)
  const importErrors = await client.getAll('/importErrors', api.importErrors)

  const scope = `airflow:${splitCredentials(opts.url).url.replace(/\/+$/, '')}`
  const snapshot: AirflowSnapshot = {
    scope,
    dags,
    runs,
    taskInstances,
    assets,
    assetEvents: events,
    importErrors,
  }
  const batch = mapAirflow(snapshot, opts)
  return { batch, cursor: nextCursor(since, changed), warnings: batch.warnings }
}

async function latestRun(client: AirflowClient, dagId: string): Promise<AfDagRun[]> {
  const order_by = client.version === 'v2' ? '-run_after' : '-execution_date'
  const path = `/dags/${encodeURIComponent(dagId)}/dagRuns`
  return (await client.getJson(path, client.api.dagRuns, { limit: 1, order_by })).items
}

function dedupeRuns(runs: AfDagRun[]): AfDagRun[] {
  const byKey = new Map<string, AfDagRun>()
  for (const r of runs) byKey.set(`${r.dagId}\u0000${r.runId}`, r)
  return [...byKey.values()]
}

/** Task instances of exactly these runs, through the batch list endpoint, a chunk of runs at a time. */
async function readTaskInstances(
  client: AirflowClient,
  runs: AfDagRun[],
): Promise<AfTaskInstance[]> {
  const out: AfTaskInstance[] = []
  for (let i = 0; i < runs.length; i += RUNS_PER_TI_REQUEST) {
    const chunk = runs.slice(i, i + RUNS_PER_TI_REQUEST)
    const wanted = new Set(chunk.map((r) => `${r.dagId}\u0000${r.runId}`))
    const body = {
      dag_ids: [...new Set(chunk.map((r) => r.dagId))],
      dag_run_ids: [...new Set(chunk.map((r) => r.runId))],
    }
    const tis = await client.postAll(
      '/dags/~/dagRuns/~/taskInstances/list',
      client.api.taskInstances,
      body,
    )
    // run ids repeat across DAGs (manual__<time>): keep only the pairs asked for
    out.push(...tis.filter((t) => wanted.has(`${t.dagId}\u0000${t.runId}`)))
  }
  return out
}

/** The latest Airflow-clock time seen on the changed runs, less an overlap; never moves back. */
function nextCursor(since: string | undefined, runs: AfDagRun[]): string {
  let max = since ? Date.parse(since) : Number.NEGATIVE_INFINITY
  for (const r of runs) {
    for (const t of [r.queuedAt, r.startDate, r.endDate, r.lastSchedulingDecision]) {
      if (t) max = Math.max(max, Date.parse(t) - CURSOR_OVERLAP_MS)
    }
  }
  if (!Number.isFinite(max)) return ''
  return new Date(max).toISOString()
}

async function mapLimit<T, R>(
  items: T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = []
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
