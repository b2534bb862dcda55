import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb } from '../../db/client.ts'
import { DEMO_JOB_NAMESPACE } from '../../server/demo.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { pruneRawEvents, replayStore } from '../../server/openlineage.ts'
import { NOW, setupApp } from './helpers.ts'
import { datasetState, dbtOlEvents, demoApp, FIXTURES, SALES_ORDERS } from './demo-store.ts'
import { sqliteStore } from '../../db/store.ts'

// Issue 14, item 4: reading another domain's dataset is not a write. Finance's own recorded dbt-ol
// events (its models read sales' orders) are accepted with a finance token; what an event says
// about a foreign input (schema, docs, owner, input facets, results and metrics on it) is not
// applied to it: the input edge is kept, the rest dropped and reported as a warning.

type Json = Record<string, unknown>
type Warning = { path: string; message: string }
type Created = { status: string; warnings: Warning[] }

const FACET = {
  _producer: 'https://github.com/meshwatch/test',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/Facet.json',
}

/** A recorded finance event whose inputs include sales' orders (a model reading it). */
function financeReadingOrders(): Json {
  const event = dbtOlEvents('finance.ndjson').find(
    (e) =>
      e.eventType === 'COMPLETE' &&
      ((e.inputs as Json[] | undefined) ?? []).some((i) => i.name === SALES_ORDERS.name) &&
      ((e.outputs as Json[] | undefined) ?? []).length > 0,
  )
  if (!event) throw new Error('no recorded finance event reads mesh.sales.orders')
  return event
}

/** The same event with everything an attacker could say about sales' orders on it. */
function withClaimsOnOrders(event: Json): Json {
  const e = structuredClone(event)
  for (const input of e.inputs as Json[]) {
    if (input.name !== SALES_ORDERS.name) continue
    input.facets = {
      ...(input.facets as Json),
      schema: { ...FACET, fields: [{ name: 'pwned', type: 'int' }] },
      documentation: { ...FACET, description: 'owned by finance now' },
      ownership: { ...FACET, owners: [{ name: 'mallory' }] },
      symlinks: { ...FACET, identifiers: [{ namespace: 's3://x', name: 'orders', type: 'TABLE' }] },
      columnLineage: {
        ...FACET,
        fields: {
          pwned: {
            inputFields: [
              { namespace: SALES_ORDERS.namespace, name: SALES_ORDERS.name, field: 'order_id' },
            ],
          },
        },
      },
    }
    input.inputFacets = {
      inputStatistics: { ...FACET, rowCount: 0 },
      dataQualityAssertions: {
        ...FACET,
        assertions: [{ assertion: 'not_null', name: 'finance_says_broken', success: false }],
      },
    }
  }
  return e
}

describe('a finance token reading sales’ datasets', () => {
  it('accepts every recorded finance dbt-ol event, one by one and as one batch', async () => {
    const events = dbtOlEvents('finance.ndjson')
    expect(events.some((e) => JSON.stringify(e.inputs ?? []).includes(SALES_ORDERS.name))).toBe(
      true,
    )
    const one = await demoApp()
    for (const [i, e] of events.entries()) {
      const res = await one.post('/api/v1/lineage', e, one.finance)
      expect(res.status, `event ${i}: ${await res.clone().text()}`).toBe(201)
    }
    const many = await demoApp()
    const res = await many.post('/api/v1/lineage/batch', events, many.finance)
    const body = (await res.json()) as { summary: { successful: number; failed: number } }
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect(body.summary).toMatchObject({ successful: events.length, failed: 0 })
    // The read is kept as lineage: finance's jobs now read sales' orders.
    const readers = many.db.$client
      .prepare(
        `select j.name from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id
         where d.name = ? and e.direction = 'input' and j.domain = 'finance'`,
      )
      .all(SALES_ORDERS.name)
    expect(readers.length).toBeGreaterThan(0)
  })

  it('keeps the input edge but applies nothing it says about the foreign input, with a warning', async () => {
    const { db, post, finance } = await demoApp()
    const orders = datasetState(db, SALES_ORDERS)
    const event = withClaimsOnOrders(financeReadingOrders())
    const res = await post('/api/v1/lineage', event, finance)
    const body = (await res.json()) as Created
    expect(res.status, JSON.stringify(body)).toBe(201)
    const mine = body.warnings.filter((w) => w.message.includes('belongs to domain sales'))
    expect(mine).toHaveLength(1)
    expect(mine[0]?.message).toContain(
      'dataset duckdb://mesh.duckdb mesh.sales.orders belongs to domain sales',
    )
    expect(mine[0]?.message).toContain('schema')
    expect(mine[0]?.path).toMatch(/^\$\.inputs\[\d+\]$/)
    const after = datasetState(db, SALES_ORDERS)
    // Only the read edge is new; the row, schema history, results, metrics, aliases are as they were.
    expect({ ...after, edges: orders.edges }).toEqual(orders)
    expect(after.edges.length).toBeGreaterThanOrEqual(orders.edges.length)
    expect(JSON.stringify(after)).not.toContain('pwned')
    expect(
      db.$client.prepare(`select count(*) n from dataset_aliases where namespace = 's3://x'`).get(),
    ).toEqual({ n: 0 })
    expect(
      db.$client
        .prepare(`select count(*) n from assertions where name = 'finance_says_broken'`)
        .get(),
    ).toEqual({ n: 0 })
  })

  it('reports the dropped facts per event in a lineage batch', async () => {
    const { db, post, finance } = await demoApp()
    const orders = datasetState(db, SALES_ORDERS)
    const events = [dbtOlEvents('finance.ndjson')[0], withClaimsOnOrders(financeReadingOrders())]
    const res = await post('/api/v1/lineage/batch', events, finance)
    const body = (await res.json()) as {
      summary: { successful: number }
      warnings: (Warning & { index: number })[]
    }
    expect(res.status, JSON.stringify(body)).toBe(200)
    expect(body.summary.successful).toBe(2)
    const mine = body.warnings.filter((w) => w.message.includes('belongs to domain sales'))
    expect(mine).toHaveLength(1)
    expect(mine[0]).toMatchObject({
      index: 1,
      path: expect.stringMatching(/^\$\[1\]\.inputs\[\d+\]$/),
    })
    expect({ ...datasetState(db, SALES_ORDERS), edges: orders.edges }).toEqual(orders)
  })

  it('drops the same again when the store is replayed, and when the event is compacted first', async () => {
    const { db, post, finance } = await demoApp()
    const orders = datasetState(db, SALES_ORDERS)
    expect(
      (await post('/api/v1/lineage', withClaimsOnOrders(financeReadingOrders()), finance)).status,
    ).toBe(201)
    const stored = datasetState(db, SALES_ORDERS)
    await replayStore(sqliteStore(db), '2026-01-02T00:00:00.000Z')
    expect(JSON.stringify(datasetState(db, SALES_ORDERS))).not.toContain('pwned')
    expect(datasetState(db, SALES_ORDERS).row.description).toBe(orders.row.description)
    // Retention folds the raw event into a kept batch: that batch holds what was stored, not the claims.
    expect(
      (await pruneRawEvents(sqliteStore(db), '2100-01-01T00:00:00.000Z')).pruned,
    ).toBeGreaterThan(0)
    await replayStore(sqliteStore(db), '2026-01-03T00:00:00.000Z')
    const after = datasetState(db, SALES_ORDERS)
    expect(JSON.stringify(after)).not.toContain('pwned')
    expect(after.row.description).toBe(stored.row.description)
    expect(
      db.$client
        .prepare(`select count(*) n from assertions where name = 'finance_says_broken'`)
        .get(),
    ).toEqual({ n: 0 })
  })

  it('still applies what an admin’s (unscoped) event says about its inputs', async () => {
    const { db, post, admin } = await demoApp()
    const res = await post('/api/v1/lineage', withClaimsOnOrders(financeReadingOrders()), admin)
    expect(res.status).toBe(201)
    expect(JSON.stringify(datasetState(db, SALES_ORDERS))).toContain('pwned')
  })
})

describe('a finance token pushing its own dbt project', () => {
  const target = (project: string) =>
    readDbtTarget(`${FIXTURES}/dbt/good/${project}/target`, {
      projectDir: `${FIXTURES}/dbt/projects/${project}`,
      profilesDir: `${FIXTURES}/dbt/projects/${project}`,
      jobNamespace: DEMO_JOB_NAMESPACE,
      env: {},
    })

  it('is accepted: the sales model it refs is read, what it says of it is not applied', async () => {
    const db = openDb(':memory:')
    await ingestBatch(
      { store: sqliteStore(db), now: () => new Date(NOW.getTime() - 86_400_000) },
      await target('sales'),
    )
    const { post, token } = setupApp({ db })
    const finance = { authorization: `Bearer ${token('ingest', 'finance').token}` }
    const orders = datasetState(db, SALES_ORDERS)
    const batch = await target('finance')
    // As `collect dbt --server` pushes it: the cross-project ref comes with sales' domain and schema.
    expect(batch.datasets.find((d) => d.name === SALES_ORDERS.name)?.domain).toBe('sales')
    const res = await post('/api/batches', batch, finance)
    const body = (await res.json()) as { warnings: string[] }
    expect(res.status, JSON.stringify(body)).toBe(201)
    expect(body.warnings.join('\n')).toMatch(
      /\$\.datasets\[\d+\]: dataset duckdb:\/\/mesh\.duckdb mesh\.sales\.orders belongs to domain sales; this batch only reads it/,
    )
    const after = datasetState(db, SALES_ORDERS)
    expect({ ...after, edges: orders.edges }).toEqual(orders)
    expect(after.edges.length).toBeGreaterThan(orders.edges.length)
    // Replayed, the kept batch is what was applied.
    await replayStore(sqliteStore(db), NOW.toISOString())
    expect({ ...datasetState(db, SALES_ORDERS), edges: orders.edges }).toEqual(orders)
  })
})
