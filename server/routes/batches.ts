import { Hono } from 'hono'
import type { Deps } from '../deps.ts'
import { writerDomain } from '../authz.ts'
import { readJsonBody } from '../body.ts'
import { ingestBatch, parseBatch } from '../ingest.ts'

/**
 * Where `meshwatch collect … --server URL` pushes a normalized batch. An invalid batch (422) or a
 * write to another domain's rows (403) is thrown and answered by the app's onError.
 */
export const batchRoutes = (deps: Deps) =>
  new Hono().post('/', async (c) => {
    const batch = parseBatch(await readJsonBody(c, deps.limits))
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
  })
