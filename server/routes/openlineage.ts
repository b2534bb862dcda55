import { Hono } from 'hono'
import { z } from 'zod'
import {
  DatasetEventSchema,
  JobEventSchema,
  RunEventSchema,
} from '../../collectors/openlineage/schema.ts'
import type { OlWarning } from '../../collectors/openlineage/parse.ts'
import type { RawEventInput } from '../../db/queries/raw-events.ts'
import { rethrowForbidden, writerDomain } from '../authz.ts'
import { readJsonBody } from '../body.ts'
import type { Deps } from '../deps.ts'
import { fail } from '../errors.ts'
import { describe, jsonBody } from '../openapi.ts'
import { createIngestQueue, eventPath, ingestEvents, prepareEvent } from '../openlineage.ts'

// What parseEvent validates an event with (facets it cannot read are dropped with a warning).
const EventSchema = z.union([RunEventSchema, JobEventSchema, DatasetEventSchema])
const WarningSchema = z.object({ path: z.string(), message: z.string() })
const EventAnswerSchema = z.object({
  status: z.enum(['created', 'duplicate']),
  kind: z.string().describe('RunEvent, JobEvent or DatasetEvent'),
  warnings: z.array(WarningSchema),
})

export const MAX_BATCH_EVENTS = 10_000

/**
 * The OpenLineage HTTP API (spec/OpenLineage.yml): what `OPENLINEAGE_URL` clients post to.
 * A bad event is a 4xx naming the JSON path (clients don't retry those); a busy store is a 503.
 * An accepted event whose facets could not all be read is kept whole, and the answer's
 * `warnings` name what was dropped by JSON path.
 */
export const openLineageRoutes = (deps: Deps) => {
  const enqueue = createIngestQueue(deps)
  return new Hono()
    .post(
      '/',
      describe(
        'ingest',
        'one OpenLineage event (RunEvent, JobEvent or DatasetEvent), as OPENLINEAGE_URL clients send it',
        {
          200: { description: 'a duplicate of a stored event', schema: EventAnswerSchema },
          201: { description: 'stored', schema: EventAnswerSchema },
          400: 'not JSON, too deep, or an array (POST those to /api/v1/lineage/batch)',
          413: 'over a body limit',
          422: 'not a valid event: the error names the field',
        },
        { body: jsonBody(EventSchema, 'an OpenLineage 2-0-x event') },
      ),
      async (c) => {
        const raw = await readJsonBody(c, deps.limits)
        if (Array.isArray(raw))
          fail(
            400,
            'invalid_event',
            'expected one event; POST arrays to /api/v1/lineage/batch',
            '$',
          )
        const p = prepareEvent(raw)
        if (!p.ok) fail(422, 'invalid_event', p.reason, p.path)
        // Authorized inside the transaction that stores it (a group of events), not before.
        const r = await enqueue({ ...p.item, domain: writerDomain(c) }).catch((e: unknown) =>
          rethrowForbidden(e, (err) => eventPath(raw, err.denial)),
        )
        const body: z.infer<typeof EventAnswerSchema> = {
          status: r.stored ? 'created' : 'duplicate',
          kind: p.item.kind,
          warnings: [...p.warnings, ...r.warnings],
        }
        return c.json(body, r.stored ? 201 : 200)
      },
    )
    .post(
      '/batch',
      describe(
        'ingest',
        'a JSON array of OpenLineage events, stored in one transaction',
        {
          200: 'the summary: received, successful, failed (each with its index and reason), duplicates, warnings',
          400: 'not JSON, or not an array',
          413: `over a body limit, or more than ${MAX_BATCH_EVENTS} events`,
        },
        { body: jsonBody(z.array(EventSchema), 'OpenLineage 2-0-x events') },
      ),
      async (c) => {
        const raw = await readJsonBody(c, deps.limits)
        if (!Array.isArray(raw))
          fail(400, 'invalid_batch', 'expected a JSON array of OpenLineage events', '$')
        if (raw.length > MAX_BATCH_EVENTS)
          fail(413, 'payload_too_large', `at most ${MAX_BATCH_EVENTS} events per batch`, '$')
        const domain = writerDomain(c)
        const items: RawEventInput[] = []
        /** Request index of each item. */
        const at: number[] = []
        const failed: { index: number; reason: string; retriable: boolean }[] = []
        const warnings: (OlWarning & { index: number })[] = []
        raw.forEach((event: unknown, index) => {
          const p = prepareEvent(event)
          if (p.ok) {
            items.push({ ...p.item, domain })
            at.push(index)
            for (const w of p.warnings)
              warnings.push({ index, path: `$[${index}]${w.path.slice(1)}`, message: w.message })
          } else failed.push({ index, reason: p.reason, retriable: false })
        })
        // One transaction, each event authorized in it: one refused event refuses the request whole.
        let r: { stored: boolean[]; warnings: OlWarning[][] } = { stored: [], warnings: [] }
        try {
          if (items.length > 0) r = await ingestEvents(deps, items)
        } catch (e) {
          rethrowForbidden(e, (err) => {
            const index = at[err.index ?? 0] ?? 0
            return `$[${index}]${eventPath(raw[index], err.denial).slice(1)}`
          })
        }
        const duplicates = r.stored.filter((s) => !s).length
        // What was not applied of an accepted event (its claims on another domain's inputs).
        r.warnings.forEach((list, i) => {
          const index = at[i] ?? i
          for (const w of list)
            warnings.push({ index, path: `$[${index}]${w.path.slice(1)}`, message: w.message })
        })
        return c.json(
          {
            status: failed.length === 0 ? 'success' : 'partial_success',
            summary: {
              received: raw.length,
              successful: items.length,
              failed: failed.length,
              retriable_failures: 0,
              non_retriable_failures: failed.length,
              duplicates,
            },
            failed_events: failed,
            warnings,
          },
          200,
        )
      },
    )
}
