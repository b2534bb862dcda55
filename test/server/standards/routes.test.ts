import { existsSync, readFileSync } from 'node:fs'
import { Ajv2019 } from 'ajv/dist/2019.js'
import addFormats from 'ajv-formats'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { demoApp } from '../../security/demo-store.ts'

// GET /api/products/:id/odps and /odcs on the demo mesh: every document valid against the official
// schema (compiled here with ajv, not through meshwatch's own validator), YAML or JSON by Accept,
// and a generated contract binds back to the product it was written from.

const SCHEMAS = new URL('../../../collectors/contracts/schemas/', import.meta.url)
const REAL = new URL('../../../../shared/real/standards/', import.meta.url)
const schema = (file: string) => JSON.parse(readFileSync(new URL(file, SCHEMAS), 'utf8')) as object
const compile = (s: object) => {
  const ajv = new Ajv2019({ allErrors: true, strict: false })
  addFormats.default(ajv)
  return ajv.compile(s)
}
const validOdps = compile(schema('odps-json-schema-v1.0.0.json'))
const validOdcs = compile(schema('odcs-json-schema-v3.1.0.json'))
type Json = Record<string, any>

const ORDERS_CONTRACT = new URL(
  '../../../fixtures/contracts/demo/sales-orders.odcs.yaml',
  import.meta.url,
)

async function products(app: Awaited<ReturnType<typeof demoApp>>) {
  const res = await app.app.request('/api/products', { headers: app.admin })
  return ((await res.json()) as Json).products as Json[]
}

describe('the committed schemas', () => {
  it.skipIf(!existsSync(REAL))('are the official ones of ../shared/real/standards', () => {
    expect(schema('odps-json-schema-v1.0.0.json')).toEqual(
      JSON.parse(readFileSync(new URL('odps/odps-json-schema-v1.0.0.json', REAL), 'utf8')),
    )
    expect(schema('odcs-json-schema-v3.1.0.json')).toEqual(
      JSON.parse(readFileSync(new URL('odcs/odcs-json-schema-v3.1.0.json', REAL), 'utf8')),
    )
  })
})

describe('GET /api/products/:id/odps', () => {
  it('describes every demo product in ODPS v1.0.0, YAML by default and JSON by Accept', async () => {
    const app = await demoApp()
    const all = await products(app)
    expect(all.length).toBeGreaterThan(5)
    for (const p of all) {
      const url = `/api/products/${encodeURIComponent(p.id)}/odps`
      const yamlRes = await app.app.request(url, { headers: app.admin })
      expect(yamlRes.status).toBe(200)
      expect(yamlRes.headers.get('content-type')).toMatch(/^application\/yaml/)
      const doc = parse(await yamlRes.text()) as Json
      expect(validOdps(doc), `${p.id}: ${JSON.stringify(validOdps.errors)}`).toBe(true)
      const jsonRes = await app.app.request(url, {
        headers: { ...app.admin, accept: 'application/json' },
      })
      expect(jsonRes.headers.get('content-type')).toMatch(/^application\/json/)
      expect(await jsonRes.json()).toEqual(doc)
      expect(doc).toMatchObject({
        apiVersion: 'v1.0.0',
        kind: 'DataProduct',
        id: p.id,
        domain: p.domain,
      })
      expect(doc.outputPorts.map((o: Json) => o.name).sort()).toEqual(
        p.outputs.map((o: Json) => o.name).sort(),
      )
    }
  })

  it('names the contract of each port and the upstream products as input ports', async () => {
    const app = await demoApp()
    await app.post(
      '/api/contracts',
      {
        contracts: [
          { file: 'sales-orders.odcs.yaml', text: readFileSync(ORDERS_CONTRACT, 'utf8') },
        ],
      },
      app.admin,
    )
    const get = async (id: string) =>
      (await (
        await app.app.request(`/api/products/${id}/odps`, {
          headers: { ...app.admin, accept: 'application/json' },
        })
      ).json()) as Json
    const orders = await get('sales.orders')
    expect(orders.outputPorts).toEqual([
      expect.objectContaining({
        name: 'mesh.sales.orders',
        contractId: 'urn:meshwatch-demo:sales:orders',
        version: '1.2.0',
      }),
    ])
    expect(orders.managementPorts[0]).toMatchObject({
      content: 'observability',
      url: 'http://localhost/api/products/sales.orders',
    })
    const attribution = await get('marketing.customer_attribution')
    expect(attribution.inputPorts).toContainEqual({
      name: 'sales.orders',
      version: '1.2.0',
      contractId: 'urn:meshwatch-demo:sales:orders',
    })
    expect(validOdps(attribution)).toBe(true)
  })

  it('answers 404 in the API error shape for an unknown product', async () => {
    const app = await demoApp()
    for (const kind of ['odps', 'odcs']) {
      const res = await app.app.request(`/api/products/nope/${kind}`, { headers: app.admin })
      expect(res.status).toBe(404)
      expect(await res.json()).toEqual({
        error: { code: 'not_found', message: 'unknown product nope' },
      })
    }
  })
})

describe('GET /api/products/:id/odcs', () => {
  it('generates a valid ODCS v3.1.0 contract for each product without one, which binds back to it', async () => {
    const app = await demoApp()
    const all = (await products(app)).filter((p) => p.outputs.length > 0)
    const generated: Json[] = []
    for (const p of all) {
      const res = await app.app.request(`/api/products/${encodeURIComponent(p.id)}/odcs`, {
        headers: app.admin,
      })
      expect(res.status).toBe(200)
      expect(res.headers.get('meshwatch-contract-source')).toBe('generated')
      const text = await res.text()
      const doc = parse(text) as Json
      expect(validOdcs(doc), `${p.id}: ${JSON.stringify(validOdcs.errors)}`).toBe(true)
      expect(doc).toMatchObject({
        apiVersion: 'v3.1.0',
        status: 'draft',
        domain: p.domain,
        dataProduct: p.id,
      })
      generated.push({ file: `${p.id}.odcs.yaml`, text, product: p })
    }
    const stored = await app.post(
      '/api/contracts',
      { contracts: generated.map(({ file, text }) => ({ file, text })) },
      app.admin,
    )
    expect(stored.status).toBe(201)
    const list = (
      (await (await app.app.request('/api/contracts', { headers: app.admin })).json()) as Json
    ).contracts as Json[]
    for (const g of generated) {
      const c = list.find((x) => x.id === `urn:meshwatch:product:${g.product.id}`)
      expect(c!.binding, g.product.id).toMatchObject({ bound: true, product: { id: g.product.id } })
      expect(c!.binding.objects.map((o: Json) => o.dataset.name).sort()).toEqual(
        g.product.outputs.map((o: Json) => o.name).sort(),
      )
    }
  })

  it('carries the observed schema, the dbt tests and the declared SLA of sales.orders', async () => {
    const app = await demoApp()
    const res = await app.app.request('/api/products/sales.orders/odcs', {
      headers: { ...app.admin, accept: 'application/json' },
    })
    const doc = (await res.json()) as Json
    expect(doc.servers).toEqual([
      { server: 'observed', type: 'duckdb', database: 'mesh.duckdb', schema: 'sales' },
    ])
    const orders = doc.schema[0]
    expect(orders).toMatchObject({ name: 'orders', physicalName: 'orders' })
    const id = orders.properties.find((p: Json) => p.name === 'order_id')
    expect(id).toMatchObject({
      logicalType: 'integer',
      physicalType: 'INTEGER',
      required: true,
      unique: true,
    })
    expect(id.quality.map((q: Json) => q.metric).sort()).toEqual(['duplicateValues', 'nullValues'])
    const amount = orders.properties.find((p: Json) => p.name === 'amount_eur')
    expect(amount).toMatchObject({ logicalType: 'number', physicalType: 'DECIMAL(12,2)' })
    expect(orders.quality).toContainEqual({
      type: 'library',
      metric: 'rowCount',
      mustBeGreaterOrEqualTo: 1,
    })
    // dbt meta max_age_hours 24 → latency 24 h
    expect(doc.slaProperties).toContainEqual({ property: 'latency', value: 24, unit: 'h' })
    expect(doc.team.members[0]).toEqual({ username: 'sales-data@meshwatch.example', role: 'owner' })
  })

  it('serves the stored contract as received for a product that has one', async () => {
    const app = await demoApp()
    const text = readFileSync(ORDERS_CONTRACT, 'utf8')
    await app.post(
      '/api/contracts',
      { contracts: [{ file: 'sales-orders.odcs.yaml', text }] },
      app.admin,
    )
    const res = await app.app.request('/api/products/sales.orders/odcs', {
      headers: { ...app.admin, accept: 'application/json' },
    })
    expect(res.headers.get('meshwatch-contract-source')).toBe('stored')
    expect(await res.json()).toEqual(parse(text))
  })
})
