import { Hono } from 'hono'
import { listDomains } from '../../db/queries/catalog.ts'
import type { Deps } from '../deps.ts'

/** GET /api/domains: every domain with its owner and counts. */
export const domainRoutes = (deps: Deps) =>
  new Hono().get('/', (c) => c.json({ domains: listDomains(deps.db) }))
