import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { demoApp } from '../../security/demo-store.ts'

// POST /api/contracts (what `collect contracts --server` sends), GET /api/contracts[/:id]:
// stored whole or not at all, versioned, redelivery a no-op, a contract a write to its domain.

const FIXTURES = fileURLToPath(new URL('../../../fixtures/contracts', import.meta.url))
const file = (f: string) => ({ file: f, text: readFileSync(join(FIXTURES, f), 'utf8') })
const ORDERS = 'demo/sales-orders.odcs.yaml'
const REVENUE = 'demo/finance-revenue.odcs.yaml'
type Json = Record<string, any>

const count = (db: { $client: { prepare(s: string): { get(): unknown } } }) =>
  (db.$client.prepare('select count(*) as n from contracts').get() as { n: number }).n

describe('POST /api/contracts', () => {
  it('stores contracts, answers 200 on redelivery, and keeps each version', async () => {
    const { post, app, admin, db } = await demoApp()
    const first = await post('/api/contracts', { contracts: [file(ORDERS), file(REVENUE)] }, admin)
    expect(first.status).toBe(201)
    const again = await post('/api/contracts', { contracts: [file(ORDERS), file(REVENUE)] }, admin)
    expect(again.status).toBe(200)
    expect(((await again.json()) as Json).stored.map((s: Json) => s.duplicate)).toEqual([
      true,
      true,
    ])
    expect(count(db)).toBe(2)
    const next = file(ORDERS)
    next.text = next.text
      .replace('version: 1.2.0', 'version: 1.3.0')
      .replace('value: 99', 'value: 98')
    expect((await post('/api/contracts', { contracts: [next] }, admin)).status).toBe(201)
    const one = (await (
      await app.request('/api/contracts/urn:meshwatch-demo:sales:orders', { headers: admin })
    ).json()) as Json
    expect(one.version).toBe('1.3.0')
    expect(one.versions.map((v: Json) => v.version)).toEqual(['1.3.0', '1.2.0'])
  })

  it('binds each contract to the observed dataset and product, and shows an unbound one with the reason', async () => {
    const { post, app, admin } = await demoApp()
    await post(
      '/api/contracts',
      { contracts: [file(ORDERS), file('bitol/sla_database-table-sla.odcs.yaml')] },
      admin,
    )
    const list = (await (await app.request('/api/contracts', { headers: admin })).json()) as Json
    const byId = Object.fromEntries(list.contracts.map((c: Json) => [c.id, c]))
    expect(byId['urn:meshwatch-demo:sales:orders'].binding).toMatchObject({
      bound: true,
      product: { id: 'sales.orders', via: 'dataProduct' },
      objects: [
        {
          object: 'orders',
          dataset: {
            namespace: 'duckdb://mesh.duckdb',
            name: 'mesh.sales.orders',
            domain: 'sales',
          },
        },
      ],
    })
    // The official SLA example has an empty schema and a product meshwatch does not know.
    expect(byId['53581432-6c55-4ba2-a65f-72344a91553a'].binding).toMatchObject({
      bound: false,
      product: null,
      productReason: expect.stringContaining('no product my_quantum'),
    })
  })

  it('refuses an invalid file with 422 naming file, line and field, and stores none of the upload', async () => {
    const { post, admin, db } = await demoApp()
    const bad = file(ORDERS)
    bad.text = bad.text.replace('    value: 99\n', '    value: [99]\n')
    const res = await post('/api/contracts', { contracts: [file(REVENUE), bad] }, admin)
    const body = (await res.json()) as Json
    expect(res.status).toBe(422)
    expect(body.error.code).toBe('invalid_contract')
    const line = bad.text.split('\n').findIndex((l) => l.includes('value: [99]')) + 1
    expect(body.error.path).toBe(`${ORDERS}:${line}:12 slaProperties[2].value`)
    expect(count(db)).toBe(0)
  })

  it('refuses a contract for another domain from a domain token, with 403 naming the field', async () => {
    const { post, finance, sales, db } = await demoApp()
    const res = await post('/api/contracts', { contracts: [file(REVENUE), file(ORDERS)] }, finance)
    const body = (await res.json()) as Json
    expect(res.status).toBe(403)
    expect(body.error).toMatchObject({ code: 'forbidden', path: '$.contracts[1].domain' })
    expect(body.error.message).toContain('is for domain sales')
    expect(count(db)).toBe(0)
    expect((await post('/api/contracts', { contracts: [file(ORDERS)] }, sales)).status).toBe(201)
  })

  it("refuses a domain token's contract that binds another domain's dataset", async () => {
    const { post, finance, db } = await demoApp()
    const stolen = file(ORDERS)
    stolen.text = stolen.text
      .replace('domain: sales', 'domain: finance')
      .replace('dataProduct: orders\n', '')
    const res = await post('/api/contracts', { contracts: [stolen] }, finance)
    const body = (await res.json()) as Json
    expect(res.status).toBe(403)
    expect(body.error.path).toBe('$.contracts[0].schema[0]')
    expect(body.error.message).toContain(
      'dataset duckdb://mesh.duckdb mesh.sales.orders belongs to domain sales',
    )
    expect(count(db)).toBe(0)
  })

  it("refuses taking over another domain's contract id", async () => {
    const { post, sales, finance } = await demoApp()
    expect((await post('/api/contracts', { contracts: [file(REVENUE)] }, finance)).status).toBe(201)
    const takeover = file(REVENUE)
    takeover.text = takeover.text
      .replace('domain: finance', 'domain: sales')
      .replace('dataProduct: revenue\n', '')
      .replace('schema: finance', 'schema: nowhere')
    const res = await post('/api/contracts', { contracts: [takeover] }, sales)
    expect(res.status).toBe(403)
    expect(((await res.json()) as Json).error.message).toContain(
      'contract urn:meshwatch-demo:finance:revenue belongs to domain finance',
    )
  })

  it('needs an ingest token', async () => {
    const { post, token } = await demoApp()
    const read = { authorization: `Bearer ${token('read').token}` }
    expect((await post('/api/contracts', { contracts: [file(ORDERS)] }, read)).status).toBe(403)
  })
})

describe('GET /api/products/:id with a contract', () => {
  it('shows which source set each SLA value, the contract among them, and every promise checked', async () => {
    const { post, app, admin } = await demoApp()
    await post('/api/contracts', { contracts: [file(ORDERS)] }, admin)
    const p = (await (
      await app.request('/api/products/sales.orders', { headers: admin })
    ).json()) as Json
    expect(p.effectiveSla.freshness.max_age_hours).toEqual({ value: 24, source: 'contract' })
    expect(p.effectiveSla.reliability.min_success_rate).toEqual({ value: 0.99, source: 'contract' })
    expect(p.effectiveSla.tests.min_pass_rate).toEqual({ value: 1, source: 'dbt_meta' })
    expect(p.effectiveSla.precedence.indexOf('contract (ODCS slaProperties, rowCount)')).toBe(3)
    const list = (await (await app.request('/api/contracts', { headers: admin })).json()) as Json
    expect(list.contracts[0].binding.team).toEqual({
      name: 'Sales Data Team',
      owners: ['sales-data@meshwatch.example'],
      members: [{ username: 'sales-data@meshwatch.example', role: 'owner' }],
    })
    const [c] = p.contracts
    expect(c).toMatchObject({ contractId: 'urn:meshwatch-demo:sales:orders', version: '1.2.0' })
    const byName = Object.fromEntries(c.checks.map((k: Json) => [k.name, k]))
    expect(byName['column orders.payment_method']).toMatchObject({ status: 'breach' })
    expect(byName.retention).toMatchObject({ measurable: false, status: 'unknown' })
    expect(byName.latency.scoredBy).toEqual({
      field: 'freshness.max_age_hours',
      value: 24,
      source: 'contract',
    })
  })
})
