import { gzipSync } from 'node:zlib'
import { inspectRoutes } from 'hono/dev'
import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { sqliteStore } from '../../db/store.ts'

const NS = 'duckdb://mesh'

function meshBatch(): Batch {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.domains.push({ name: 'sales' })
  b.datasets.push(
    { namespace: NS, name: 'mesh.sales.raw_orders', domain: 'sales' },
    { namespace: NS, name: 'mesh.sales.orders', domain: 'sales', access: 'public' },
    { namespace: NS, name: 'mesh.marketing.campaigns', domain: 'marketing' },
  )
  b.jobs.push(
    { namespace: 'default', name: 'sales.orders', type: 'dbt_model', domain: 'sales' },
    { namespace: 'default', name: 'marketing.campaigns', type: 'dbt_model', domain: 'marketing' },
  )
  b.edges.push(
    {
      job: { namespace: 'default', name: 'sales.orders' },
      dataset: { namespace: NS, name: 'mesh.sales.raw_orders' },
      direction: 'input',
    },
    {
      job: { namespace: 'default', name: 'sales.orders' },
      dataset: { namespace: NS, name: 'mesh.sales.orders' },
      direction: 'output',
    },
    {
      job: { namespace: 'default', name: 'marketing.campaigns' },
      dataset: { namespace: NS, name: 'mesh.sales.orders' },
      direction: 'input',
    },
    {
      job: { namespace: 'default', name: 'marketing.campaigns' },
      dataset: { namespace: NS, name: 'mesh.marketing.campaigns' },
      direction: 'output',
    },
  )
  b.products.push({
    id: 'sales.orders',
    name: 'orders',
    domain: 'sales',
    origin: 'dbt_public',
    outputs: [{ namespace: NS, name: 'mesh.sales.orders' }],
  })
  return b
}

function setup() {
  const app = createApp({
    store: sqliteStore(openDb(':memory:')),
    now: () => new Date('2026-01-01T00:00:00Z'),
    limits: { maxBytes: 1024 * 1024, maxDecompressedBytes: 4 * 1024 * 1024 },
  })
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    app.request('/api/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body),
    })
  return { app, post }
}

describe('API', () => {
  it('answers health', async () => {
    const { app } = setup()
    const res = await app.request('/api/health')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'ok' })
  })

  it('stores a pushed batch with 201 and answers a redelivery with 200 duplicate', async () => {
    const { post } = setup()
    const first = await post(meshBatch())
    expect(first.status).toBe(201)
    const again = await post(meshBatch())
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ duplicate: true })
  })

  it('accepts a gzip-encoded batch', async () => {
    const { post, app } = setup()
    const res = await post(gzipSync(JSON.stringify(meshBatch())), { 'content-encoding': 'gzip' })
    expect(res.status).toBe(201)
    const products = (await (await app.request('/api/products')).json()) as {
      products: { id: string }[]
    }
    expect(products.products.map((p) => p.id)).toEqual(['sales.orders'])
  })

  it.each([
    { name: 'not JSON', body: '{"kind": "dbt",', status: 400, code: 'invalid_json' },
    { name: 'empty body', body: '', status: 400, code: 'invalid_json' },
    {
      name: 'unknown kind',
      body: { ...meshBatch(), kind: 'spark' },
      status: 422,
      code: 'invalid_batch',
      path: '$.kind',
    },
    {
      name: 'edge without a dataset name',
      body: {
        ...meshBatch(),
        edges: [
          { job: { namespace: 'a', name: 'b' }, dataset: { namespace: 'x' }, direction: 'input' },
        ],
      },
      status: 422,
      code: 'invalid_batch',
      path: '$.edges[0].dataset.name',
    },
  ])('rejects a batch that is $name, naming the problem', async ({ body, status, code, path }) => {
    const { post, app } = setup()
    const res = await post(body)
    expect(res.status).toBe(status)
    const json = (await res.json()) as { error: { code: string; path?: string; message: string } }
    expect(json.error.code).toBe(code)
    if (path) expect(json.error.path).toBe(path)
    const domains = (await (await app.request('/api/domains')).json()) as { domains: unknown[] }
    expect(domains.domains).toEqual([])
  })

  it('rejects a gzip bomb with 413 naming the limit', async () => {
    const { post } = setup()
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 32))
    expect(bomb.length).toBeLessThan(1024 * 1024)
    const res = await post(bomb, { 'content-encoding': 'gzip' })
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({
      error: { code: 'payload_too_large', message: expect.stringContaining('4194304') },
    })
  })

  it('rejects an oversized body with 413', async () => {
    const { post } = setup()
    const res = await post(JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }))
    expect(res.status).toBe(413)
  })

  it('returns 404 JSON for unknown products, datasets and routes', async () => {
    const { app } = setup()
    for (const path of ['/api/products/nope', '/api/datasets/999', '/api/nothing-here']) {
      const res = await app.request(path)
      expect(res.status).toBe(404)
      expect(await res.json()).toMatchObject({ error: { code: 'not_found' } })
    }
  })

  it('answers a dataset with its producers and consumers', async () => {
    const { app, post } = setup()
    await post(meshBatch())
    const res = await app.request(
      `/api/datasets?namespace=${encodeURIComponent(NS)}&name=mesh.sales.orders`,
    )
    expect(res.status).toBe(200)
    const d = (await res.json()) as {
      producers: { name: string }[]
      consumers: { name: string }[]
      products: string[]
    }
    expect(d.producers.map((j) => j.name)).toEqual(['sales.orders'])
    expect(d.consumers.map((j) => j.name)).toEqual(['marketing.campaigns'])
    expect(d.products).toEqual(['sales.orders'])
  })

  it.each([
    {
      direction: 'up',
      depth: 2,
      expected: ['mesh.sales.orders', 'sales.orders', 'mesh.sales.raw_orders'],
    },
    {
      direction: 'down',
      depth: 2,
      expected: ['mesh.sales.orders', 'marketing.campaigns', 'mesh.marketing.campaigns'],
    },
    {
      direction: 'both',
      depth: 1,
      expected: ['mesh.sales.orders', 'marketing.campaigns', 'sales.orders'],
    },
  ])(
    'walks lineage $direction $depth hops from a dataset',
    async ({ direction, depth, expected }) => {
      const { app, post } = setup()
      await post(meshBatch())
      const d = (await (
        await app.request(
          `/api/datasets?namespace=${encodeURIComponent(NS)}&name=mesh.sales.orders`,
        )
      ).json()) as { id: number }
      const res = await app.request(
        `/api/lineage?node=dataset:${d.id}&depth=${depth}&direction=${direction}`,
      )
      expect(res.status).toBe(200)
      const g = (await res.json()) as { nodes: { name: string }[]; edges: unknown[] }
      expect(g.nodes.map((n) => n.name)).toEqual(expected)
      expect(g.edges).toHaveLength(expected.length - 1)
    },
  )

  it('rejects a malformed lineage query with 400 naming the field', async () => {
    const { app } = setup()
    const res = await app.request('/api/lineage?node=table:1')
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { path: '$.node' } })
  })
})

describe('routes', () => {
  it('registers no method and path twice: one route module per resource, each mounted once', () => {
    const { app } = setup()
    // Handlers only: a validator before a handler is middleware (it takes `next`).
    const keys = inspectRoutes(app)
      .filter((r) => !r.isMiddleware)
      .map((r) => `${r.method} ${r.path}`)
    expect(keys.length).toBeGreaterThan(20)
    expect(keys.filter((k, i) => keys.indexOf(k) !== i)).toEqual([])
  })

  it('answers GET /api/products/:id with the effective SLA and the status since', async () => {
    const { app, post } = setup()
    await post(meshBatch())
    const res = await app.request('/api/products/sales.orders')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({
      id: 'sales.orders',
      domain: 'sales',
      effectiveSla: { declared: [] },
      since: null,
    })
  })
})
