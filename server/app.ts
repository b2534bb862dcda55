import { Hono } from 'hono'
import { authenticate } from './auth.ts'
import { SILENT, type Deps } from './deps.ts'
import { handleError, notFoundOrMethod, redactErrors } from './fallback.ts'
import { openApiRoutes } from './openapi.ts'
import { alertRoutes } from './routes/alerts.ts'
import { batchRoutes } from './routes/batches.ts'
import { clockRoutes } from './routes/clock.ts'
import { collectorRoutes } from './routes/collectors.ts'
import { columnLineageRoutes } from './routes/column-lineage.ts'
import { contractRoutes } from './routes/contracts.ts'
import { datasetRoutes } from './routes/datasets.ts'
import { domainRoutes } from './routes/domains.ts'
import { gateRoutes } from './routes/gate.ts'
import { governanceRoutes } from './routes/governance.ts'
import { healthRoutes } from './routes/health.ts'
import { incidentRoutes } from './routes/incidents.ts'
import { jobRoutes } from './routes/jobs.ts'
import { lineageRoutes } from './routes/lineage.ts'
import { openLineageRoutes } from './routes/openlineage.ts'
import { productRoutes } from './routes/products.ts'
import { productStandardRoutes } from './routes/product-standards.ts'
import { runRoutes } from './routes/runs.ts'
import { searchRoutes } from './routes/search.ts'

/**
 * The whole HTTP API, one route module per resource, each mounted once, and its OpenAPI document
 * at /api/openapi.json; `deps` carries the DB and the clock so tests need no port and no globals.
 */
export function createApp(deps: Deps) {
  const log = deps.log ?? SILENT
  const api = new Hono()
    .use('*', redactErrors)
    .use('/api/*', authenticate(deps))
    .route('/api/health', healthRoutes(deps))
    .route('/api/clock', clockRoutes(deps))
    .route('/api/domains', domainRoutes(deps))
    .route('/api/products', productRoutes(deps))
    .route('/api/products', productStandardRoutes(deps))
    .route('/api/governance', governanceRoutes(deps))
    .route('/api/datasets', columnLineageRoutes(deps))
    .route('/api/datasets', datasetRoutes(deps))
    .route('/api/lineage', lineageRoutes(deps))
    .route('/api/batches', batchRoutes(deps))
    .route('/api/v1/lineage', openLineageRoutes(deps))
    .route('/api/jobs', jobRoutes(deps))
    .route('/api/runs', runRoutes(deps))
    .route('/api/gate', gateRoutes(deps))
    .route('/api/alerts', alertRoutes(deps))
    .route('/api/incidents', incidentRoutes(deps))
    .route('/api/collectors', collectorRoutes(deps))
    .route('/api/contracts', contractRoutes(deps))
    .route('/api/search', searchRoutes(deps))
  // Described from the routes above (and itself): each route's zod schemas and describe().
  const app = api.route('/api', openApiRoutes(api))

  app.notFound(notFoundOrMethod(() => app.routes))
  app.onError(handleError(log))
  return app
}

export type AppType = ReturnType<typeof createApp>
