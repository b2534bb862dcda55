import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const SHARED_OL = fileURLToPath(
  new URL('../../../../shared/real/openlineage', import.meta.url),
)
export const HAS_SHARED = existsSync(SHARED_OL)

export const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python'
export const RUN_EVENT_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent'
const FACET_URL = 'https://openlineage.io/spec/facets/1-0-0/Facet.json'

/** A facet with its BaseFacet fields, as every client sends them. */
export const facet = (body: Record<string, unknown>) => ({
  _producer: PRODUCER,
  _schemaURL: FACET_URL,
  ...body,
})

export function runEvent(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventType: 'COMPLETE',
    eventTime: '2026-01-02T03:04:05.123Z',
    run: { runId: '0190a0a0-0000-7000-8000-000000000001' },
    job: { namespace: 'airflow', name: 'sales_daily.load_orders' },
    inputs: [{ namespace: 'postgres://db:5432', name: 'shop.public.orders' }],
    outputs: [{ namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.raw_orders' }],
    producer: PRODUCER,
    schemaURL: RUN_EVENT_URL,
    ...over,
  }
}

/** The example events shipped with OpenLineage (client tests and the fluentd proxy's tests). */
export function sharedEvents(): { file: string; event: unknown }[] {
  if (!HAS_SHARED) return []
  const dir = join(SHARED_OL, 'events')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, event: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown }))
}

/** Public events and spec files recorded from their repositories (fixtures/openlineage/public). */
export const PUBLIC_OL = fileURLToPath(
  new URL('../../../fixtures/openlineage/public', import.meta.url),
)

/**
 * spec/tests/<Facet>/<n>.json of OpenLineage (recorded in fixtures/openlineage/public): a facets
 * map with one example facet each.
 */
export function specFacetExamples(): { name: string; facets: Record<string, unknown> }[] {
  const dir = join(PUBLIC_OL, 'openlineage/spec/tests')
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .flatMap((d) =>
      readdirSync(join(dir, d.name)).map((f) => ({
        name: `${d.name}/${f}`,
        facets: JSON.parse(readFileSync(join(dir, d.name, f), 'utf8')) as Record<string, unknown>,
      })),
    )
}
