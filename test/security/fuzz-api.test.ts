import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { evaluateProducts } from '../../server/evaluate.ts'
import { ingestBatchOnDb } from '../../server/ingest.ts'
import { imageOf, openImage } from '../store-image.ts'
import { domainBatch, NOW, rowCounts } from './helpers.ts'
import { mutate, mutation, objectPathsOf, pathsOf, protoKeyMutation } from './mutate.ts'
import { sqliteStore } from '../../db/store.ts'

// Property-based fuzzing of every ingest and query endpoint, in-process, a fresh store per case.
// Invariants: never a 5xx; a rejected request writes nothing; a reject names the field.
const RUNS = Number(process.env.FUZZ_RUNS ?? 60)

const OL_EVENTS = readFileSync(
  new URL('../../fixtures/openlineage/dbt-ol/sales.ndjson', import.meta.url),
  'utf8',
)
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Record<string, unknown>)
const OL_EVENT = OL_EVENTS.find(
  (e) => e.eventType === 'COMPLETE' && Array.isArray(e.outputs) && e.outputs.length > 0,
)
if (!OL_EVENT) throw new Error('fixture without a COMPLETE event with outputs')
const BATCH = (() => {
  const b = domainBatch('sales', { reads: 'mesh.finance.orders' })
  b.runs.push({
    runId: 'r-1',
    job: { namespace: 'default', name: 'sales.orders' },
    state: 'COMPLETE',
    startedAt: NOW.toISOString(),
  })
  b.assertions.push({
    key: 'k',
    dataset: b.datasets[0]!,
    name: 'not_null',
    status: 'pass',
    severity: 'error',
    observedAt: NOW.toISOString(),
    origin: 'dbt',
  })
  b.metrics.push({
    dataset: b.datasets[0]!,
    name: 'row_count',
    value: 10,
    observedAt: NOW.toISOString(),
  })
  b.columnEdges.push({
    dataset: b.datasets[0]!,
    column: 'id',
    from: { namespace: 'duckdb://mesh', name: 'mesh.finance.orders' },
    fromColumn: 'id',
  })
  b.checks.push({
    key: 'c',
    dataset: b.datasets[0]!,
    kind: 'not_null',
    name: 'nn',
    severity: 'error',
    origin: 'dbt',
  })
  b.datasets[0]!.columns = [{ name: 'id', type: 'integer' }]
  b.datasets[0]!.meta = { owner: 'sales-data' }
  b.products[0]!.sla = { freshness: { max_age_hours: 24 }, volume: { min_rows: 1 } }
  return b
})()
const BATCH_PATHS = pathsOf(BATCH)
const OL_PATHS = pathsOf(OL_EVENT)
const BATCH_OBJECTS = objectPathsOf(BATCH)
const OL_OBJECTS = objectPathsOf(OL_EVENT)

const SEEDED = (() => {
  const db = openDb(':memory:')
  ingestBatchOnDb(db, { store: sqliteStore(db), now: () => NOW }, domainBatch('finance'))
  return imageOf(db)
})()

/** A fresh store holding finance's batch (stored once, copied per case) and an app on it. */
function seeded(limits = LIMITS): { db: Db; app: ReturnType<typeof createApp> } {
  const db = openImage(SEEDED)
  const app = createApp({
    store: sqliteStore(db),
    now: () => NOW,
    limits,
  })
  return { db, app }
}

const LIMITS = {
  maxBytes: 1024 * 1024,
  maxDecompressedBytes: 4 * 1024 * 1024,
  maxStringBytes: 512 * 1024,
}
// The same limits an eighth the size, for the compressed bodies: every size below keeps its ratio
// to them, so the same boundaries are crossed with bodies an eighth as long to build and parse.
const SMALL_LIMITS = {
  maxBytes: LIMITS.maxBytes / 8,
  maxDecompressedBytes: LIMITS.maxDecompressedBytes / 8,
  maxStringBytes: LIMITS.maxStringBytes / 8,
}

type ErrorJson = { error?: { code?: unknown; message?: unknown; path?: unknown } }

/** A 4xx body in the API's shape, naming the field by path or by `$.x` / a field word in the message. */
function expectNamedReject(body: ErrorJson, status: number) {
  expect(typeof body.error?.code).toBe('string')
  expect(typeof body.error?.message).toBe('string')
  if (status === 400 || status === 422) {
    const named =
      typeof body.error?.path === 'string' ||
      /\$[.[]|field|expected/i.test(String(body.error?.message))
    expect(named, JSON.stringify(body)).toBe(true)
  }
}

async function postAndCheck(
  db: Db,
  app: ReturnType<typeof createApp>,
  path: string,
  payload: unknown,
) {
  const before = rowCounts(db)
  const res = await app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(payload) ?? 'null',
  })
  const text = await res.text()
  expect(res.status, text).toBeLessThan(500)
  if (res.status >= 400) {
    expect(rowCounts(db)).toEqual(before)
    expectNamedReject(JSON.parse(text) as ErrorJson, res.status)
  } else await expectReadable(db, app)
  return { status: res.status, body: JSON.parse(text) as unknown }
}

/** What was accepted can be read and scored: every product answers, the evaluation runs for all. */
async function expectReadable(db: Db, app: ReturnType<typeof createApp>) {
  const list = await app.request('/api/products')
  expect(list.status).toBe(200)
  const { products } = (await list.json()) as { products: { id: string }[] }
  for (const p of products) {
    const res = await app.request(`/api/products/${encodeURIComponent(p.id)}`)
    expect(res.status, `${p.id}: ${await res.clone().text()}`).toBe(200)
  }
  const { evaluations } = await evaluateProducts({ store: sqliteStore(db), now: () => NOW })
  expect(evaluations.length).toBe(products.length)
}

describe('fuzzing the ingest endpoints', () => {
  it('POST /api/batches: mutated batches never 5xx, rejects write nothing and name the field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (muts) => {
        const { db, app } = seeded()
        await postAndCheck(db, app, '/api/batches', mutate(BATCH, muts, BATCH_PATHS))
      }),
      { numRuns: RUNS },
    )
  })

  it.each([
    { path: '/api/batches', base: BATCH as unknown, objects: BATCH_OBJECTS },
    { path: '/api/v1/lineage', base: OL_EVENT as unknown, objects: OL_OBJECTS },
  ])(
    'POST $path: keys named after Object.prototype members in any object never 5xx, and what is stored stays readable',
    async ({ path, base, objects }) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(protoKeyMutation, { minLength: 1, maxLength: 3 }),
          async (muts) => {
            const { db, app } = seeded()
            await postAndCheck(db, app, path, mutate(base, muts, objects))
          },
        ),
        { numRuns: RUNS * 2 },
      )
    },
  )

  it('POST /api/v1/lineage: mutated real dbt-ol events never 5xx, rejects write nothing and name the field', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (muts) => {
        const { db, app } = seeded()
        await postAndCheck(db, app, '/api/v1/lineage', mutate(OL_EVENT, muts, OL_PATHS))
      }),
      { numRuns: RUNS },
    )
  })

  it('POST /api/v1/lineage/batch: each failed event is reported with a reason naming the field', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(mutation, { maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        async (perEvent) => {
          const { db, app } = seeded()
          const events = perEvent.map((muts, i) => mutate(OL_EVENTS[i % OL_EVENTS.length], muts))
          const r = await postAndCheck(db, app, '/api/v1/lineage/batch', events)
          if (r.status === 200) {
            const body = r.body as { failed_events: { reason: string }[] }
            for (const f of body.failed_events) expect(f.reason).toMatch(/\$|field|expected/i)
          }
        },
      ),
      { numRuns: Math.ceil(RUNS / 2) },
    )
  })
})

describe('fuzzing compressed bodies', () => {
  it('POST /api/batches gzipped at any compression ratio: a 413 exactly past a limit, else stored; never 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        // The meta string's size, and what it repeats: 1 char compresses ~1000:1, 64 random ones barely.
        fc.integer({ min: 0, max: (6 * 1024 * 1024) / 8 }),
        fc.string({ minLength: 1, maxLength: 64, unit: 'binary-ascii' }),
        fc.integer({ min: 1, max: 40 }),
        async (size, unit, strings) => {
          const { db, app } = seeded(SMALL_LIMITS)
          const b = structuredClone(BATCH)
          const each = Math.floor(size / strings)
          b.datasets[0]!.meta = Object.fromEntries(
            Array.from({ length: strings }, (_, i) => [
              `k${i}`,
              unit.repeat(Math.ceil(each / unit.length)).slice(0, each),
            ]),
          )
          const text = Buffer.from(JSON.stringify(b))
          const gz = gzipSync(text, { level: 1 })
          const longest = Math.max(
            ...Object.values(b.datasets[0]!.meta).map((v) => JSON.stringify(v).length - 2),
          )
          const before = rowCounts(db)
          const res = await app.request('/api/batches', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
            body: gz,
          })
          const body = await res.text()
          expect(res.status, body).toBeLessThan(500)
          const over =
            gz.length > SMALL_LIMITS.maxBytes ||
            text.length > SMALL_LIMITS.maxDecompressedBytes ||
            longest > SMALL_LIMITS.maxStringBytes
          expect(
            res.status === 413,
            `${res.status} for ${gz.length} B → ${text.length} B (longest string ${longest}): ${body.slice(0, 200)}`,
          ).toBe(over)
          if (res.status >= 400) expect(rowCounts(db)).toEqual(before)
          else expect(res.status).toBe(201)
        },
      ),
      { numRuns: Math.ceil(RUNS / 3) },
    )
  })
})

const KNOWN_KEYS = [
  'node',
  'depth',
  'direction',
  'namespace',
  'name',
  'domain',
  'q',
  'limit',
  'before',
  'id',
]
const RAW_SEGMENTS = [
  '%',
  '%00',
  '%E0%A4%A',
  '..',
  '%2F',
  'dataset:1',
  'job:1',
  'job:99999999999999999999',
  '-1',
  '1e3',
  '0x10',
  '1',
  '2',
  '3',
  'sales',
  'sales.orders',
  '__proto__',
]
const segment = fc.oneof(
  fc.constantFrom(...RAW_SEGMENTS),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.integer({ min: -5, max: 2 ** 40 }).map(String),
)

describe('fuzzing the query endpoints', () => {
  it('GET every route with hostile params and query strings: never 5xx, always JSON (the docs page HTML)', async () => {
    const { app: probe } = seeded()
    const routes = [
      ...new Set(
        probe.routes.filter((r) => r.method === 'GET' && !r.path.includes('*')).map((r) => r.path),
      ),
    ]
    expect(routes.length).toBeGreaterThan(5)
    const { app } = seeded()
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(segment, { minLength: 4, maxLength: 4 }),
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.constantFrom(...KNOWN_KEYS),
              fc.string({ maxLength: 8 }).map(encodeURIComponent),
            ),
            segment,
          ),
          { maxLength: 4 },
        ),
        async (route, params, query) => {
          let i = 0
          const path = route.replace(
            /:[A-Za-z]+(\{[^}]*\})?/g,
            () => params[i++ % params.length] ?? '1',
          )
          const qs = query.map(([k, v]) => `${k}=${v}`).join('&')
          const res = await app.request(`http://localhost${path}${qs ? `?${qs}` : ''}`)
          const text = await res.text()
          expect(res.status, `${path}?${qs} → ${text}`).toBeLessThan(500)
          // The API reference page is the one HTML answer, and it takes no input.
          const type =
            route === '/api/docs' && res.status === 200 ? 'text/html' : 'application/json'
          expect(res.headers.get('content-type') ?? '').toContain(type)
          if (res.status >= 400) expectNamedReject(JSON.parse(text) as ErrorJson, res.status)
        },
      ),
      { numRuns: RUNS * 4 },
    )
  })
})
