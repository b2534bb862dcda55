import { describe, expect, it } from 'vitest'
import { hashToken, listTokens, revokeToken } from '../../db/queries/tokens.ts'
import { bearer, domainBatch, NOW, NS, rowCounts, setupApp } from './helpers.ts'

type ErrorJson = { error: { code: string; message: string; path?: string } }

describe('token auth', () => {
  it('is open while no token exists (auto) and required as soon as one does', async () => {
    const { app, token } = setupApp()
    expect((await app.request('/api/products')).status).toBe(200)
    token('read')
    const res = await app.request('/api/products')
    expect(res.status).toBe(401)
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="meshwatch"/)
    expect(((await res.json()) as ErrorJson).error.code).toBe('unauthorized')
  })

  it('stays required after the last token is revoked', async () => {
    const { app, db, token } = setupApp()
    const t = token('admin')
    revokeToken(db, t.info.id, NOW.toISOString())
    expect((await app.request('/api/products')).status).toBe(401)
  })

  it('requires a token in required mode even with none created, and never in off mode', async () => {
    expect(
      (
        await setupApp({ auth: { mode: 'required', publicRead: false } }).app.request(
          '/api/domains',
        )
      ).status,
    ).toBe(401)
    const off = setupApp({ auth: { mode: 'off', publicRead: false } })
    off.token('admin')
    expect((await off.post('/api/batches', domainBatch('sales'))).status).toBe(201)
  })

  it('stores only the sha256 of a token, never the token', () => {
    const { db, token } = setupApp()
    const { token: plain, info } = token('ingest', 'sales')
    expect(plain).toMatch(/^mw_[A-Za-z0-9_-]{43}$/)
    const rows = db.$client.prepare('select * from api_tokens').all()
    expect(JSON.stringify(rows)).not.toContain(plain)
    expect(JSON.stringify(rows)).toContain(hashToken(plain))
    expect(listTokens(db)[0]).toEqual(info)
    expect(JSON.stringify(listTokens(db))).not.toContain(hashToken(plain))
  })

  it('keeps /api/health open', async () => {
    const { app, token } = setupApp({ auth: { mode: 'required', publicRead: false } })
    token('admin')
    expect((await app.request('/api/health')).status).toBe(200)
  })

  it.each([
    { name: 'missing', header: undefined, invalid: false },
    { name: 'not a bearer', header: 'Basic dXNlcjpwYXNz', invalid: true },
    {
      name: 'unknown',
      header: 'Bearer mw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      invalid: true,
    },
    { name: 'without the prefix', header: 'Bearer abc', invalid: true },
    { name: 'empty bearer', header: 'Bearer ', invalid: true },
  ])('answers 401 JSON with WWW-Authenticate for a $name token', async ({ header, invalid }) => {
    const { app, token } = setupApp()
    token('admin')
    const res = await app.request(
      '/api/products',
      header === undefined ? {} : { headers: { authorization: header } },
    )
    expect(res.status).toBe(401)
    const www = res.headers.get('www-authenticate') ?? ''
    expect(www).toMatch(/^Bearer /)
    expect(www.includes('invalid_token')).toBe(invalid)
    const body = (await res.json()) as ErrorJson
    expect(body.error.code).toBe('unauthorized')
    // The message survives redaction intact (it tells the client what to send).
    expect(body.error.message).not.toContain('***')
  })

  it('answers 401 for an expired and for a revoked token', async () => {
    const { app, db, token } = setupApp()
    const expired = token('read', undefined, { expiresAt: '2025-12-31T00:00:00.000Z' })
    const revoked = token('read')
    revokeToken(db, revoked.info.id, NOW.toISOString())
    const a = await app.request('/api/products', { headers: bearer(expired.token) })
    expect(a.status).toBe(401)
    expect(((await a.json()) as ErrorJson).error.message).toContain('expired')
    const b = await app.request('/api/products', { headers: bearer(revoked.token) })
    expect(b.status).toBe(401)
    expect(((await b.json()) as ErrorJson).error.message).toContain('revoked')
  })

  it.each([
    { scope: 'read', get: 200, ingest: 403, admin: 403 },
    { scope: 'ingest', get: 200, ingest: 201, admin: 403 },
    { scope: 'admin', get: 200, ingest: 201, admin: 404 },
  ] as const)('lets a $scope token read=$get ingest=$ingest admin-write=$admin', async (row) => {
    const { app, post, token } = setupApp()
    const t = token(row.scope).token
    expect((await app.request('/api/products', { headers: bearer(t) })).status).toBe(row.get)
    const ing = await post('/api/batches', domainBatch('sales'), bearer(t))
    expect(ing.status).toBe(row.ingest)
    if (row.ingest === 403)
      expect(ing.headers.get('www-authenticate')).toContain('insufficient_scope')
    // Any other write (DELETE, PUT, a POST outside the ingest routes) needs admin.
    expect(
      (await app.request('/api/products/x', { method: 'DELETE', headers: bearer(t) })).status,
    ).toBe(row.admin === 404 ? 405 : row.admin)
  })

  it('accepts the scheme case-insensitively, as OpenLineage clients send it', async () => {
    const { app, token } = setupApp()
    const t = token('read').token
    expect(
      (await app.request('/api/domains', { headers: { authorization: `bearer ${t}` } })).status,
    ).toBe(200)
  })

  it('lets anyone read with public read on, but not write', async () => {
    const { app, post, token } = setupApp({ auth: { mode: 'auto', publicRead: true } })
    token('admin')
    expect((await app.request('/api/products')).status).toBe(200)
    expect((await post('/api/batches', domainBatch('sales'))).status).toBe(401)
    // A bad token is still refused rather than silently downgraded.
    expect((await app.request('/api/products', { headers: bearer('mw_nope') })).status).toBe(401)
  })
})

describe('domain-scoped ingest tokens', () => {
  it('write their own domain and unowned datasets, and read other domains', async () => {
    const { post, token } = setupApp()
    const admin = token('admin').token
    expect((await post('/api/batches', domainBatch('finance'), bearer(admin))).status).toBe(201)
    const sales = token('ingest', 'sales').token
    const own = domainBatch('sales', { reads: 'mesh.finance.orders' })
    own.edges.push({
      job: { namespace: 'default', name: 'sales.orders' },
      dataset: { namespace: NS, name: 'mesh.scratch.unowned' },
      direction: 'output',
    })
    expect((await post('/api/batches', own, bearer(sales))).status).toBe(201)
  })

  it.each([
    {
      name: 'a dataset stored as another domain',
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.datasets.push({ namespace: NS, name: 'mesh.finance.orders' }),
      path: '$.datasets[1]',
      owner: 'finance',
    },
    {
      name: 'a job stored as another domain (via a run)',
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.runs.push({
          runId: 'r1',
          job: { namespace: 'default', name: 'finance.orders' },
          state: 'COMPLETE',
        }),
      path: '$.runs[0].job',
      owner: 'finance',
    },
    {
      name: "a test result on another domain's dataset",
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.assertions.push({
          key: 'k',
          dataset: { namespace: NS, name: 'mesh.finance.orders' },
          name: 'not_null',
          status: 'fail',
          severity: 'error',
          observedAt: NOW.toISOString(),
          origin: 'dbt',
        }),
      path: '$.assertions[0].dataset',
      owner: 'finance',
    },
    {
      name: 'a new dataset the batch assigns to another domain',
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.datasets.push({ namespace: NS, name: 'mesh.marketing.new', domain: 'marketing' }),
      path: '$.datasets[1]',
      owner: 'marketing',
    },
    {
      name: 'an unowned dataset re-assigned to another domain',
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.datasets.push({ namespace: NS, name: 'mesh.scratch.unowned', domain: 'finance' }),
      path: '$.datasets[1]',
      owner: 'finance',
    },
    {
      name: "taking over another domain's dataset by assigning it to itself",
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.datasets.push({ namespace: NS, name: 'mesh.finance.orders', domain: 'sales' }),
      path: '$.datasets[1]',
      owner: 'finance',
    },
    {
      name: "another domain's product",
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.products.push({
          id: 'finance.orders',
          name: 'x',
          domain: 'sales',
          origin: 'config',
          outputs: [],
        }),
      path: '$.products[1]',
      owner: 'finance',
    },
    {
      name: "another domain's domain record",
      mutate: (b: ReturnType<typeof domainBatch>) =>
        b.domains.push({ name: 'finance', owner: 'mallory' }),
      path: '$.domains[1]',
      owner: 'finance',
    },
  ])(
    'refuse $name with 403 naming it and its owner, writing nothing',
    async ({ mutate, path, owner }) => {
      const { post, token, db } = setupApp()
      const admin = token('admin').token
      await post('/api/batches', domainBatch('finance'), bearer(admin))
      const before = rowCounts(db)
      const b = domainBatch('sales')
      mutate(b)
      const res = await post('/api/batches', b, bearer(token('ingest', 'sales').token))
      expect(res.status).toBe(403)
      const body = (await res.json()) as ErrorJson
      expect(body.error).toMatchObject({ code: 'forbidden', path })
      expect(body.error.message).toContain(`domain ${owner}`)
      expect(rowCounts(db)).toEqual(before)
    },
  )

  it('refuses a dataset owned by another domain when named through an alias', async () => {
    const { post, token } = setupApp()
    const fin = domainBatch('finance')
    fin.datasets[0]!.aliases = [{ namespace: 'postgres://wh', name: 'finance.orders' }]
    await post('/api/batches', fin, bearer(token('admin').token))
    const b = domainBatch('sales')
    b.metrics.push({
      dataset: { namespace: 'postgres://wh', name: 'finance.orders' },
      name: 'row_count',
      value: 0,
      observedAt: NOW.toISOString(),
    })
    const res = await post('/api/batches', b, bearer(token('ingest', 'sales').token))
    expect(res.status).toBe(403)
    expect(((await res.json()) as ErrorJson).error.message).toContain('domain finance')
  })
})

describe('domain-scoped OpenLineage ingest', () => {
  const olEvent = (output: string, runId = '3f5e8d3c-1111-4b2a-9c1d-000000000001') => ({
    eventType: 'COMPLETE',
    eventTime: NOW.toISOString(),
    producer: 'https://github.com/meshwatch/test',
    schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    run: { runId },
    job: { namespace: 'default', name: 'sales.ol_job' },
    inputs: [],
    outputs: [{ namespace: NS, name: output }],
  })

  it("accepts an event writing its own outputs and refuses one writing another domain's, naming it", async () => {
    const { post, token, db } = setupApp()
    await post('/api/batches', domainBatch('finance'), bearer(token('admin').token))
    const sales = bearer(token('ingest', 'sales').token)
    expect((await post('/api/v1/lineage', olEvent('mesh.sales.ol_out'), sales)).status).toBe(201)
    const before = rowCounts(db)
    const one = await post(
      '/api/v1/lineage',
      olEvent('mesh.finance.orders', '3f5e8d3c-1111-4b2a-9c1d-000000000002'),
      sales,
    )
    expect(one.status).toBe(403)
    expect(((await one.json()) as ErrorJson).error).toMatchObject({
      path: '$.outputs[0]',
      message: expect.stringContaining('domain finance'),
    })
    const many = await post(
      '/api/v1/lineage/batch',
      [
        olEvent('mesh.sales.other', '3f5e8d3c-1111-4b2a-9c1d-000000000003'),
        olEvent('mesh.finance.orders', '3f5e8d3c-1111-4b2a-9c1d-000000000004'),
      ],
      sales,
    )
    expect(many.status).toBe(403)
    expect(((await many.json()) as ErrorJson).error.path).toBe('$[1].outputs[0]')
    expect(rowCounts(db)).toEqual(before)
  })
})
