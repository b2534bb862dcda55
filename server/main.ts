import { existsSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import type { Db } from '../db/client.ts'
import { openLeader } from '../db/leader.ts'
import { openStore, type StoreSource } from '../db/open-store.ts'
import { sqliteDbOf, StoreUnsupportedError, type Store } from '../db/store.ts'
import { createApp } from './app.ts'
import type { AuthSettings } from './auth.ts'
import type { BodyLimits } from './body.ts'
import type { Deps, Logger } from './deps.ts'
import { demoClock } from './demo-clock.ts'
import { FIXTURES, loadDemo } from './demo.ts'
import { loadDemoContracts } from './contracts/demo.ts'
import { ingestContracts } from './contracts/ingest.ts'
import type { ContractDoc } from '../collectors/contracts/schema.ts'
import { loadConfigFile, type MeshwatchConfig } from './config-file.ts'
import { createDispatcher } from './alerts/dispatcher.ts'
import { createEvaluator } from './evaluate.ts'
import { handleError, notFoundOrMethod, pageNotBuilt } from './fallback.ts'
import { startRetention } from './openlineage.ts'
import { airflowSourcesOf, startAirflowPollers } from './airflow-poll.ts'
import { startLedJobs, type LedJob, type LedJobs } from './leader-jobs.ts'

export interface ServeOptions {
  /** A SQLite file (or ':memory:') or a postgres:// URL (db/open-store.ts). */
  dbFile: string
  /** Where dbFile came from, named when it cannot be opened; default both. */
  dbSource?: StoreSource
  port: number
  host: string
  demo: boolean
  log: Logger
  auth?: AuthSettings
  limits?: Partial<BodyLimits>
  /** meshwatch.yml, already validated; with the demo and none given, fixtures/meshwatch.yml. */
  meshwatch?: MeshwatchConfig
  /** Prune raw OpenLineage events older than this many days (hourly); their lineage is kept. */
  rawRetentionDays?: number
  /** Where Slack webhook URLs are looked up by the names meshwatch.yml gives; default process.env. */
  alertEnv?: Record<string, string | undefined>
  /** Base URL of the web view in alert links; default $MESHWATCH_PUBLIC_URL, then http://127.0.0.1:4000. */
  publicUrl?: string
  /** Where Airflow secrets (password_env/token_env) and MESHWATCH_AIRFLOW_* are read from. */
  env?: Record<string, string | undefined>
  /** meshwatch.yml's `contracts:`, read and validated (server/contracts/config.ts); stored at start. */
  contracts?: ContractDoc[]
  /** The built page (npm run build:web); default web/dist of this checkout. */
  webDir?: string
}

/** How often a replica checks the alert dispatcher's lead (the dispatcher's own poll interval). */
const DISPATCH_CHECK_MS = 5_000
/** How often a replica checks raw-event retention's lead (the pruning itself runs hourly). */
const RETENTION_CHECK_MS = 60_000

/** The leader job of loading the demo mesh into an empty store. */
const DEMO_JOB = 'demo'

const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url))

/** Opens the store (migrating it), loads the demo mesh into an empty one, and serves the API and page. */
export async function startServer(opts: ServeOptions): Promise<{
  server: ServerType
  /** SQLite's connection (for tests); reading it on PostgreSQL throws StoreUnsupportedError. */
  readonly db: Db
  store: Store
  url: string
  /** Stops serving and the periodic work, hands this replica's jobs over, closes the store. */
  close: () => Promise<void>
}> {
  const opened = await openStore(opts.dbFile, opts.dbSource ? { source: opts.dbSource } : {})
  const db = sqliteDbOf(opened)
  let led: LedJobs | undefined
  const leader = openLeader(opened, opts.dbFile, {
    name: `${hostname()}:${process.pid}`,
    onChange: (job, leads) => {
      if (!leads) led?.lost(job)
    },
  })
  const meshwatch =
    opts.meshwatch ?? (opts.demo ? loadConfigFile(join(FIXTURES, 'meshwatch.yml')) : undefined)
  const base: Deps = {
    store: opened,
    log: opts.log,
    auth: opts.auth,
    limits: opts.limits,
    env: opts.alertEnv ?? process.env,
    ...(meshwatch ? { meshwatch } : {}),
  }
  try {
    // Loaded before the evaluator exists: it scores the whole demo once, when it starts.
    // One replica of several starting on an empty store loads it (it keeps the lead of DEMO_JOB).
    if (
      opts.demo &&
      (await leader.runIfLeader(DEMO_JOB, () => true)) &&
      (await opened.admin.isEmpty())
    ) {
      const r = await loadDemo(base, { history: true })
      await loadDemoContracts(base, FIXTURES)
      if (r.recordedAt)
        await opened.admin.setDemoAnchor({
          recordedAt: r.recordedAt,
          loadedAt: new Date().toISOString(),
        })
      opts.log.info(`loaded the demo mesh: ${r.summary}`, { db: opts.dbFile })
    }
    // Before the evaluator starts, which then scores them; a stored one again is a no-op.
    if (opts.contracts?.length) await ingestContracts(base, opts.contracts)
  } catch (e) {
    // nothing may keep the process alive (the leader's session, the pool) after a failed start
    await leader.close()
    await opened.close()
    throw e
  }
  const anchor = await opened.admin.getDemoAnchor()
  if (anchor)
    opts.log.info(
      `demo clock: scoring as of the recording (${anchor.recordedAt}), advancing in real time`,
    )
  const store: Deps = { ...base, ...(anchor ? { now: demoClock(anchor) } : {}) }
  // What happens after a write: the evaluator re-scores what it touched and enqueues alerts.
  const evaluator = createEvaluator(store)
  const deps: Deps = { ...store, afterWrite: evaluator.afterWrite }
  const env = opts.alertEnv ?? process.env
  const intervalMs = (meshwatch?.evaluation?.interval_seconds ?? 60) * 1000
  // What one replica does for all, while it leads the job (db/leader.ts; one process on SQLite).
  const jobs: LedJob[] = [
    { job: 'evaluate', checkMs: intervalMs, start: () => evaluator.start(intervalMs) },
    {
      job: 'dispatch',
      checkMs: DISPATCH_CHECK_MS,
      // The evaluator's clock (the demo's, if any): alerts fall due at their evaluation's time.
      start: () =>
        createDispatcher({
          store: opened,
          config: meshwatch,
          env,
          publicUrl: opts.publicUrl ?? env.MESHWATCH_PUBLIC_URL,
          log: opts.log,
          ...(deps.now ? { now: deps.now } : {}),
        }).start(),
    },
  ]
  const days = opts.rawRetentionDays
  if (days)
    jobs.push({
      job: 'retention',
      checkMs: RETENTION_CHECK_MS,
      start: () => startRetention(opened, days, opts.log),
    })
  led = startLedJobs(leader, jobs, opts.log)
  const airflow = airflowSourcesOf(meshwatch?.collectors?.airflow ?? [], opts.env ?? {})
  for (const p of airflow.problems) opts.log.warn(p)
  const stopPollers = startAirflowPollers(deps, airflow.sources, leader)
  const stopAll = async () => {
    await stopPollers()
    await led?.stop()
    // hands every job to another replica at once, rather than when this session times out
    await leader.close()
  }
  const api = createApp(deps)
  const root = new Hono()
  const webDir = opts.webDir ?? WEB_DIST
  root.route('/', api)
  // An unknown /api path is a JSON 404/405, not the page.
  root.all(
    '/api/*',
    notFoundOrMethod(() => root.routes),
  )
  if (existsSync(join(webDir, 'index.html'))) {
    root.use('/assets/*', serveStatic({ root: webDir }))
    // Deep links (/products/:id, /lineage?node=…) all load the single page.
    root.get('*', serveStatic({ root: webDir, path: 'index.html' }))
  } else {
    opts.log.warn(
      `the web page is not built (no ${join(webDir, 'index.html')}): the API works; build the page with \`npm run build:web\` (or start with \`npm start\`), then restart`,
    )
    root.get('*', pageNotBuilt())
  }
  root.notFound(notFoundOrMethod(() => root.routes))
  root.onError(handleError(opts.log))
  return await new Promise((resolve, reject) => {
    const server = serve({ fetch: root.fetch, port: opts.port, hostname: opts.host }, (info) => {
      const url = `http://${opts.host}:${info.port}`
      opts.log.info(`meshwatch listening on ${url}`, { db: opts.dbFile })
      const stopped = new Promise<void>((done) =>
        server.once('close', () => void stopAll().finally(done)),
      )
      const close = async () => {
        server.close()
        await stopped
        await opened.close()
      }
      resolve({
        server,
        get db(): Db {
          if (!db) throw new StoreUnsupportedError("startServer's db (SQLite's connection)")
          return db
        },
        store: opened,
        url,
        close,
      })
    })
    server.once('error', (err: NodeJS.ErrnoException) => {
      void stopAll().finally(() => opened.close())
      reject(new ServeError(listenProblem(err, opts), { cause: err }))
    })
  })
}

/** The server could not start (e.g. its port is taken): a message for a person, no stack. */
export class ServeError extends Error {
  override name = 'ServeError'
}

function listenProblem(err: NodeJS.ErrnoException, opts: ServeOptions): string {
  const where = `${opts.host}:${opts.port}`
  if (err.code === 'EADDRINUSE')
    return `${where} is already in use (another meshwatch?); choose another with --port or PORT`
  if (err.code === 'EACCES')
    return `not allowed to listen on ${where}; choose a port above 1024 with --port or PORT`
  if (err.code === 'EADDRNOTAVAIL')
    return `${opts.host} is not an address of this machine; check --host or HOST`
  return `cannot listen on ${where}: ${err.message}`
}
