import { Hono } from 'hono'
import { authenticate } from './auth.ts'
import { SILENT, type Deps } from './deps.ts'
import { handleError, notFoundOrMethod, redactErrors } from './fallback.ts'
import { alertRoutes } from './routes/alerts.ts'
import { collectorRoutes } from './routes/collectors.ts'
import { batchRoutes } from './routes/batches.ts'
import { datasetRoutes, domainRoutes, productRoutes } from './routes/catalog.ts'
import { gateRoutes } from './routes/gate.ts'
import { lineageRoutes } from './routes/lineage.ts'
import { overviewRoutes } from './routes/overview.ts'
import { governanceRoutes, qualityProductRoutes } from './routes/quality.ts'
import { openLineageRoutes } from './routes/openlineage.ts'
import { datasetHistoryRoutes, jobRoutes, runRoutes } from './routes/runs.ts'
import { VERSION } from './version.ts'

/** The whole HTTP API; `deps` carries the DB and the clock so tests need no port and no globals. */
export function createApp(deps: Deps) {
  const log = deps.log ?? SILENT
  const app = new Hono()
    .use('*', redactErrors)
    .use('/api/*', authenticate(deps))
    .get('/api/health', (c) => c.json({ status: 'ok', version: VERSION }))
    .route('/api/domains', domainRoutes(deps))
    .route('/api/products', qualityProductRoutes(deps))
    .route('/api/products', productRoutes(deps))
    .route('/api/governance', governanceRoutes(deps))
    .route('/api/datasets', datasetRoutes(deps))
    .route('/api/lineage', lineageRoutes(deps))
    .route('/api/lineage', overviewRoutes(deps))
    .route('/api/batches', batchRoutes(deps))
    .route('/api/v1/lineage', openLineageRoutes(deps))
    .route('/api/jobs', jobRoutes(deps))
    .route('/api/runs', runRoutes(deps))
    .route('/api/datasets', datasetHistoryRoutes(deps))
    .route('/api/gate', gateRoutes(deps))
    .route('/api/alerts', alertRoutes(deps))
    .route('/api/collectors', collectorRoutes(deps))

  app.notFound(notFoundOrMethod(() => app.routes))
  app.onError(handleError(log))
  return app
}

export type AppType = ReturnType<typeof createApp>
