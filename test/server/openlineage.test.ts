import { gzipSync } from 'node:zlib'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { createApp } from '../../server/app.ts'
import { pruneRawEvents, replayStore } from '../../server/openlineage.ts'
import { HAS_SHARED, facet, runEvent, sharedEvents } from '../collectors/openlineage/helpers.ts'
import { sqliteStore } from '../../db/store.ts'

const NOW = new Date('2026-01-10T00:00:00Z')

function setup() {
  const db = openDb(':memory:')
  let now = NOW
  const app = createApp({ store: sqliteStore(db), now: () => now })
  const post = (
    body: unknown,
    opts: { path?: string; gzip?: boolean; headers?: Record<string, string> } = {},
  ) => {
    const json = typeof body === 'string' ? body : JSON.stringify(body)
    return app.request(opts.path ?? '/api/v1/lineage', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.gzip ? { 'content-encoding': 'gzip' } : {}),
        ...opts.headers,
      },
      body: opts.gzip ? gzipSync(json) : json,
    })
  }
  const get = async (path: string) => {
    const res = await app.request(path)
    return { status: res.status, body: (await res.json()) as Record<string, any> }
  }
  return { db, app, post, get, setNow: (d: Date) => (now = d) }
}

const count = (db: Db, table: string): number =>
  db.get<{ n: number }>(sql.raw(`select count(*) as n from ${table}`)).n

// The events with an invalid facet are stored without it, as Marquez does (openlineage-public.test.ts).
const REJECTED = new Set([
  'client_python_tests__nominal_time_without_end.json',
  'proxy_fluentd_events__event_no_run_id.json',
])

describe('POST /api/v1/lineage', () => {
  it('accepts a gzipped event with an api key, as the HTTP transport sends it', async () => {
    const { post, db } = setup()
    const res = await post(runEvent(), { gzip: true, headers: { authorization: 'Bearer any-key' } })
    expect(res.status).toBe(201)
    expect(await res.json()).toEqual({ status: 'created', kind: 'RunEvent', warnings: [] })
    expect(count(db, 'raw_events')).toBe(1)
    expect(count(db, 'lineage_edges')).toBe(2)
  })

  it('stores the same event delivered twice once, whatever its whitespace or compression', async () => {
    const { post, db } = setup()
    expect((await post(runEvent())).status).toBe(201)
    const again = await post(JSON.stringify(runEvent(), null, 2), { gzip: true })
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ status: 'duplicate' })
    expect(count(db, 'raw_events')).toBe(1)
  })

  it('keeps an equal event serialized in another key order again, with the same lineage', async () => {
    const { post, db } = setup()
    expect((await post(runEvent())).status).toBe(201)
    const edges = count(db, 'lineage_edges')
    const reordered = Object.fromEntries(Object.entries(runEvent()).reverse())
    expect((await post(reordered)).status).toBe(201)
    expect(count(db, 'raw_events')).toBe(2)
    expect(count(db, 'lineage_edges')).toBe(edges)
    expect(count(db, 'runs')).toBe(1)
  })

  it('answers 422 with the JSON path for an invalid event and stores nothing of it', async () => {
    const { post, db } = setup()
    const res = await post(runEvent({ run: {} }))
    expect(res.status).toBe(422)
    expect(await res.json()).toEqual({
      error: {
        code: 'invalid_event',
        message: 'invalid RunEvent: $.run.runId: required',
        path: '$.run.runId',
      },
    })
    expect(count(db, 'raw_events') + count(db, 'datasets') + count(db, 'jobs')).toBe(0)
  })

  it('answers 400 for a body that is not JSON or is an array', async () => {
    const { post } = setup()
    expect((await post('{"eventType":')).status).toBe(400)
    expect((await post([runEvent()])).status).toBe(400)
  })

  it('keeps the producer eventTime verbatim in the raw event and UTC in the run', async () => {
    const { post, get } = setup()
    await post(
      runEvent({
        eventType: 'START',
        eventTime: '2026-01-02T03:04:05.123456789+02:00',
        run: { runId: 'r-ns' },
      }),
    )
    const { body } = await get('/api/runs/r-ns/events')
    expect(body.events[0].eventTime).toBe('2026-01-02T03:04:05.123456789+02:00')
    expect(body.events[0].event.eventTime).toBe('2026-01-02T03:04:05.123456789+02:00')
    const runs = await get('/api/jobs/1/runs')
    expect(runs.body.runs[0]).toMatchObject({
      runId: 'r-ns',
      state: 'START',
      startedAt: '2026-01-02T01:04:05.123456789Z',
    })
  })

  it("shows a run's raw events with their secrets withheld, keeping the rest as sent", async () => {
    const { post, get } = setup()
    await post(
      runEvent({
        run: {
          runId: 'r-secret',
          facets: {
            executionParameters: facet({
              parameters: [
                { key: 'db_password', value: 'hunter2' },
                { key: 'batch_size', value: '500' },
              ],
            }),
            airflow_connection: facet({
              uri: 'postgres://etl:s3cr3t-pw@warehouse:5432/shop',
              api_key: 'ak-123456',
            }),
          },
        },
      }),
    )
    const { status, body } = await get('/api/runs/r-secret/events')
    expect(status).toBe(200)
    const text = JSON.stringify(body)
    for (const secret of ['hunter2', 's3cr3t-pw', 'ak-123456']) expect(text).not.toContain(secret)
    const facets = body.events[0].event.run.facets
    expect(facets.executionParameters.parameters).toEqual([
      { key: 'db_password', value: '***' },
      { key: 'batch_size', value: '500' },
    ])
    expect(facets.airflow_connection.uri).toBe('postgres://etl:***@warehouse:5432/shop')
  })

  it("folds a run's events: out of order, without START, facets of the same name replaced", async () => {
    const { post, get } = setup()
    const runId = 'run-merge'
    const err = facet({ message: 'boom', programmingLanguage: 'python' })
    await post(
      runEvent({
        eventType: 'FAIL',
        eventTime: '2026-01-02T00:10:00Z',
        run: { runId, facets: { errorMessage: err, custom: facet({ v: 2 }) } },
      }),
    )
    await post(
      runEvent({
        eventType: 'START',
        eventTime: '2026-01-02T00:00:00Z',
        run: { runId, facets: { custom: facet({ v: 1 }), other: facet({ x: true }) } },
      }),
    )
    await post(
      runEvent({
        eventType: 'OTHER',
        eventTime: '2026-01-02T00:11:00Z',
        run: { runId, facets: { custom: facet({ v: 3 }) } },
      }),
    )
    const { body } = await get('/api/jobs/1/runs')
    expect(body.runs).toHaveLength(1)
    expect(body.runs[0]).toMatchObject({
      state: 'FAIL',
      startedAt: '2026-01-02T00:00:00.000Z',
      endedAt: '2026-01-02T00:10:00.000Z',
      error: 'boom',
    })
    expect(body.runs[0].facets.custom.v).toBe(3)
    expect(Object.keys(body.runs[0].facets).sort()).toEqual(['custom', 'errorMessage', 'other'])
  })

  it('merges an OpenLineage dataset with the dbt-collected one of the same name, and a symlink alias into it', async () => {
    const { post, db, get } = setup()
    const dbt = emptyBatch('dbt', 'dbt:sales')
    dbt.datasets.push({
      namespace: 'duckdb://mesh.duckdb',
      name: 'mesh.sales.orders',
      domain: 'sales',
      kind: 'model',
      meta: { owner: 'sales-team' },
    })
    storeBatch(db, dbt, { contentHash: 'h', now: NOW.toISOString() })
    await post(
      runEvent({
        outputs: [
          {
            namespace: 'duckdb://mesh.duckdb',
            name: 'mesh.sales.orders',
            facets: { lifecycleStateChange: facet({ lifecycleStateChange: 'OVERWRITE' }) },
          },
          {
            namespace: 'hive://metastore',
            name: 'sales.orders_ext',
            facets: {
              symlinks: facet({
                identifiers: [
                  { namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders', type: 'TABLE' },
                ],
              }),
            },
          },
        ],
      }),
    )
    expect(count(db, 'datasets')).toBe(2) // the input and the one merged output node
    const id = findDataset(db, { namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' })
    expect(findDataset(db, { namespace: 'hive://metastore', name: 'sales.orders_ext' })).toBe(id)
    const { body } = await get(`/api/datasets/${id}`)
    expect(body).toMatchObject({
      domain: 'sales',
      kind: 'model',
      meta: { owner: 'sales-team', lifecycleStateChange: 'OVERWRITE' },
    })
  })

  it.each(HAS_SHARED ? sharedEvents() : [])(
    'handles the OpenLineage example $file',
    async ({ file, event }) => {
      const { post, db } = setup()
      const res = await post(event)
      if (REJECTED.has(file)) {
        expect(res.status).toBe(422)
        const body = (await res.json()) as { error: { path: string; message: string } }
        expect(body.error.path).toMatch(/^\$/)
        expect(count(db, 'raw_events') + count(db, 'datasets')).toBe(0)
      } else {
        expect(res.status).toBe(201)
        expect(count(db, 'raw_events')).toBe(1)
      }
    },
  )
})

describe('POST /api/v1/lineage/batch', () => {
  it('stores the valid events and names the invalid ones by index', async () => {
    const { post, db } = setup()
    const res = await post(
      [runEvent(), runEvent({ run: {} }), runEvent({ run: { runId: 'other' } })],
      { path: '/api/v1/lineage/batch' },
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({
      status: 'partial_success',
      summary: {
        received: 3,
        successful: 2,
        failed: 1,
        retriable_failures: 0,
        non_retriable_failures: 1,
        duplicates: 0,
      },
      failed_events: [
        { index: 1, reason: 'invalid RunEvent: $.run.runId: required', retriable: false },
      ],
      warnings: [],
    })
    expect(count(db, 'raw_events')).toBe(2)
  })

  it('answers success when every event is accepted', async () => {
    const { post } = setup()
    const res = await post([runEvent()], { path: '/api/v1/lineage/batch', gzip: true })
    expect(await res.json()).toMatchObject({ status: 'success', failed_events: [] })
  })

  it('refuses a body that is not an array', async () => {
    const { post } = setup()
    expect((await post(runEvent(), { path: '/api/v1/lineage/batch' })).status).toBe(400)
  })
})

describe('OpenLineage read APIs', () => {
  it('lists dataset versions and column lineage', async () => {
    const { post, get, db } = setup()
    const out = (fields: string[]) => ({
      namespace: 'pg',
      name: 'db.s.out',
      facets: {
        schema: facet({ fields: fields.map((name) => ({ name, type: 'int' })) }),
        columnLineage: facet({
          fields: { id: { inputFields: [{ namespace: 'pg', name: 'db.s.in', field: 'src_id' }] } },
        }),
      },
    })
    await post(
      runEvent({
        eventTime: '2026-01-01T00:00:00Z',
        inputs: [{ namespace: 'pg', name: 'db.s.in' }],
        outputs: [out(['id'])],
      }),
    )
    await post(
      runEvent({
        eventTime: '2026-01-02T00:00:00Z',
        run: { runId: 'r2' },
        inputs: [],
        outputs: [out(['id', 'amount'])],
      }),
    )
    const id = findDataset(db, { namespace: 'pg', name: 'db.s.out' })
    const versions = await get(`/api/datasets/${id}/versions`)
    expect(versions.body.versions.map((v: { columns: unknown[] }) => v.columns.length)).toEqual([
      2, 1,
    ])
    const lineage = await get(`/api/datasets/${id}/column-lineage`)
    expect(lineage.body.upstream).toEqual([
      {
        column: 'id',
        dataset: { id, namespace: 'pg', name: 'db.s.out' },
        from: { id: expect.any(Number), namespace: 'pg', name: 'db.s.in', column: 'src_id' },
        transformation: null,
      },
    ])
    const inId = findDataset(db, { namespace: 'pg', name: 'db.s.in' })
    expect((await get(`/api/datasets/${inId}/column-lineage`)).body.downstream).toHaveLength(1)
  })

  it.each([
    '/api/jobs/999/runs',
    '/api/runs/nope/events',
    '/api/datasets/999/versions',
    '/api/datasets/999/column-lineage',
  ])('answers 404 JSON for an unknown id: %s', async (path) => {
    const { get } = setup()
    const r = await get(path)
    expect(r.status).toBe(404)
    expect(r.body.error.code).toBe('not_found')
  })
})

describe('raw event retention and replay', () => {
  const graphOf = (db: Db) => ({
    datasets: db.all(sql`select namespace, name, columns from datasets order by namespace, name`),
    jobs: db.all(sql`select namespace, name, type from jobs order by namespace, name`),
    edges: db.all(
      sql`select j.name as job, d.name as ds, e.direction from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id order by 1, 2, 3`,
    ),
    runs: db.all(sql`select run_id, state, started_at, ended_at from runs order by run_id`),
  })

  it('prunes old raw events without losing lineage, even across a replay', async () => {
    const { post, db, setNow } = setup()
    setNow(new Date('2026-01-01T00:00:00Z'))
    await post(runEvent({ eventType: 'START', run: { runId: 'old' } }))
    await post(
      runEvent({
        run: { runId: 'old' },
        outputs: [
          {
            namespace: 'pg',
            name: 'db.s.extra',
            facets: { schema: facet({ fields: [{ name: 'a' }] }) },
          },
        ],
      }),
    )
    setNow(new Date('2026-01-20T00:00:00Z'))
    await post(
      runEvent({ run: { runId: 'new' }, job: { namespace: 'airflow', name: 'other.task' } }),
    )
    const before = graphOf(db)
    expect(await pruneRawEvents(sqliteStore(db), new Date('2026-01-10T00:00:00Z'))).toEqual({
      pruned: 2,
    })
    expect(count(db, 'raw_events')).toBe(1)
    expect(graphOf(db)).toEqual(before)
    expect(await replayStore(sqliteStore(db), '2026-01-21T00:00:00.000Z')).toMatchObject({
      events: 1,
      batches: 1,
      skipped: 0,
    })
    expect(graphOf(db)).toEqual(before)
  })

  it('replays raw events and kept batches in received order into the same graph', async () => {
    const { post, db, setNow } = setup()
    const dbt = emptyBatch('dbt', 'dbt:sales')
    dbt.datasets.push({
      namespace: 'duckdb://mesh.duckdb',
      name: 'mesh.sales.raw_orders',
      kind: 'source',
    })
    storeBatch(db, dbt, { contentHash: 'h', now: '2026-01-01T00:00:00.000Z' })
    setNow(new Date('2026-01-02T00:00:00Z'))
    for (const [i, type] of ['START', 'COMPLETE'].entries()) {
      await post(runEvent({ eventType: type, eventTime: `2026-01-02T00:0${i}:00Z` }))
    }
    const before = graphOf(db)
    expect(await replayStore(sqliteStore(db), '2026-01-03T00:00:00.000Z')).toEqual({
      batches: 1,
      events: 2,
      skipped: 0,
    })
    expect(graphOf(db)).toEqual(before)
  })
})
