import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { serve, type ServerType } from '@hono/node-server'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono } from 'hono'
import type { Db } from '../db/client.ts'
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

const WEB_DIST = fileURLToPath(new URL('../web/dist', import.meta.url))

/** Opens the store (migrating it), loads the demo mesh into an empty one, and serves the API and page. */
export async function startServer(
  opts: ServeOptions,
): Promise<{ server: ServerType; db: Db; store: Store; url: string }> {
  const opened = await openStore(opts.dbFile, opts.dbSource ? { source: opts.dbSource } : {})
  const db = sqliteDbOf(opened)
  if (!db) {
    // Opened and migrated; the evaluator, the alert dispatcher, retention and the demo still take
    // the SQLite Db (the #16 ratchet).
    await opened.close()
    throw new StoreUnsupportedError(
      'serve: the evaluator (server/evaluate.ts), the alert dispatcher, raw-event retention and the demo',
    )
  }
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
  // Loaded before the evaluator exists: it scores the whole demo once, when it starts.
  if (opts.demo && (await opened.admin.isEmpty())) {
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
  const anchor = await opened.admin.getDemoAnchor()
  if (anchor)
    opts.log.info(
      `demo clock: scoring as of the recording (${anchor.recordedAt}), advancing in real time`,
    )
  const store: Deps = { ...base, ...(anchor ? { now: demoClock(anchor) } : {}) }
  // What happens after a write: the evaluator re-scores what it touched and enqueues alerts.
  const evaluator = createEvaluator(store)
  const deps: Deps = { ...store, afterWrite: evaluator.afterWrite }
  const stopEvaluator = evaluator.start((meshwatch?.evaluation?.interval_seconds ?? 60) * 1000)
  const env = opts.alertEnv ?? process.env
  // The evaluator's clock (the demo's, if any): alerts fall due at their evaluation's time.
  const stopDispatcher = createDispatcher({
    store: opened,
    config: meshwatch,
    env,
    publicUrl: opts.publicUrl ?? env.MESHWATCH_PUBLIC_URL,
    log: opts.log,
    ...(deps.now ? { now: deps.now } : {}),
  }).start()
  const stopRetention = opts.rawRetentionDays
    ? startRetention(db, opts.rawRetentionDays, opts.log)
    : () => {}
  const airflow = airflowSourcesOf(meshwatch?.collectors?.airflow ?? [], opts.env ?? {})
  for (const p of airflow.problems) opts.log.warn(p)
  const stopPollers = startAirflowPollers(deps, airflow.sources)
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
      server.once('close', stopEvaluator)
      server.once('close', stopRetention)
      server.once('close', stopPollers)
      server.once('close', () => void stopDispatcher())
      resolve({ server, db, store: opened, url })
    })
    server.once('error', (err: NodeJS.ErrnoException) => {
      stopEvaluator()
      stopRetention()
      stopPollers()
      void stopDispatcher()
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
