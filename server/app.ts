import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { CollectorError } from '../collectors/batch.ts'
import { SILENT, type Deps } from './deps.ts'
import { errorBody } from './errors.ts'
import { batchRoutes } from './routes/batches.ts'
import { datasetRoutes, domainRoutes, productRoutes } from './routes/catalog.ts'
import { lineageRoutes } from './routes/lineage.ts'
import { openLineageRoutes } from './routes/openlineage.ts'
import { datasetHistoryRoutes, jobRoutes, runRoutes } from './routes/runs.ts'
import { VERSION } from './version.ts'

export { VERSION } from './version.ts'

/** The whole HTTP API; `deps` carries the DB and the clock so tests need no port and no globals. */
export function createApp(deps: Deps) {
  const log = deps.log ?? SILENT
  const app = new Hono()
    .get('/api/health', (c) => c.json({ status: 'ok', version: VERSION }))
    .route('/api/domains', domainRoutes(deps))
    .route('/api/products', productRoutes(deps))
    .route('/api/datasets', datasetRoutes(deps))
    .route('/api/lineage', lineageRoutes(deps))
    .route('/api/batches', batchRoutes(deps))
    .route('/api/v1/lineage', openLineageRoutes(deps))
    .route('/api/jobs', jobRoutes(deps))
    .route('/api/runs', runRoutes(deps))
    .route('/api/datasets', datasetHistoryRoutes(deps))

  app.notFound((c) => c.json(errorBody('not_found', `no route for ${c.req.method} ${c.req.path}`), 404))
  app.onError((err, c) => {
    if (err instanceof HTTPException) return err.getResponse()
    if (err instanceof CollectorError) return c.json(errorBody('invalid_input', err.message), 422)
    if (isBusy(err)) {
      c.header('Retry-After', '1')
      return c.json(errorBody('busy', 'the store is busy; retry shortly'), 503)
    }
    log.error('unhandled error', { method: c.req.method, path: c.req.path, error: String(err) })
    return c.json(errorBody('internal', 'internal error'), 500)
  })
  return app
}

const isBusy = (err: Error): boolean =>
  'code' in err && (err.code === 'SQLITE_BUSY' || err.code === 'SQLITE_LOCKED')

export type AppType = ReturnType<typeof createApp>
