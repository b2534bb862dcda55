import { Hono } from 'hono'
import { listDomains } from '../../db/queries/catalog.ts'
import type { Deps } from '../deps.ts'
import { describe } from '../openapi.ts'

/** GET /api/domains: every domain with its owner and counts. */
export const domainRoutes = (deps: Deps) =>
  new Hono().get(
    '/',
    describe('catalog', 'domains with their owner, dataset and product counts', {
      200: 'the domains',
    }),
    (c) => c.json({ domains: listDomains(deps.db) }),
  )
