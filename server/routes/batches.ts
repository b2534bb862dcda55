import { Hono } from 'hono'
import type { Deps } from '../deps.ts'
import { rethrowForbidden, writerDomain } from '../authz.ts'
import { readJsonBody } from '../body.ts'
import { errorBody } from '../errors.ts'
import { ingestBatch, InvalidBatchError, parseBatch } from '../ingest.ts'

/** Where `meshwatch collect … --server URL` pushes a normalized batch. */
export const batchRoutes = (deps: Deps) =>
  new Hono().post('/', async (c) => {
    const raw = await readJsonBody(c, deps.limits)
    try {
      const batch = parseBatch(raw)
      // Authorized inside the write's transaction: a refused batch writes nothing.
      const r = ingestBatch(deps, batch, { domain: writerDomain(c) })
      return c.json(
        {
          batchId: r.batchId,
          duplicate: r.duplicate,
          counts: r.counts,
          warnings: [
            ...batch.warnings,
            ...(r.notApplied ?? []).map((w) => `${w.path}: ${w.message}`),
          ],
        },
        r.duplicate ? 200 : 201,
      )
    } catch (e) {
      if (e instanceof InvalidBatchError)
        return c.json(errorBody('invalid_batch', e.message, e.path), 422)
      rethrowForbidden(e)
    }
  })
