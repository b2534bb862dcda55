import { Hono } from 'hono'
import { BatchSchema } from '../../collectors/batch.ts'
import type { Deps } from '../deps.ts'
import { writerDomain } from '../authz.ts'
import { readJsonBody } from '../body.ts'
import { ingestBatch, parseBatch } from '../ingest.ts'
import { describe, jsonBody } from '../openapi.ts'

/**
 * Where `meshwatch collect … --server URL` pushes a normalized batch. An invalid batch (422) or a
 * write to another domain's rows (403) is thrown and answered by the app's onError.
 */
export const batchRoutes = (deps: Deps) =>
  new Hono().post(
    '/',
    describe(
      'ingest',
      'store a normalized batch from a remote collector (`collect … --server`); gzip accepted',
      {
        200: 'a redelivery: `duplicate` true, nothing written',
        201: 'stored: its id, counts, and warnings of what was skipped or not applied',
        400: 'not JSON, or too deep',
        413: 'over a body limit',
        422: 'not a valid batch: the error names the field',
      },
      { body: jsonBody(BatchSchema, 'a batch as `meshwatch collect` builds it') },
    ),
    async (c) => {
      const batch = parseBatch(await readJsonBody(c, deps.limits))
      // Authorized inside the write's transaction: a refused batch writes nothing.
      const r = await ingestBatch(deps, batch, { domain: writerDomain(c) })
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
    },
  )
