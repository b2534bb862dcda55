import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createToken } from '../../db/queries/tokens.ts'
import { createApp } from '../../server/app.ts'
import { FIXTURES } from '../../server/demo.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { sqliteStore } from '../../db/store.ts'

// GET /api/datasets/column-lineage-inputs (#19): what `collect dbt --server` reads before it
// parses, so a model whose SQL and upstream columns hash as stored is claimed unchanged.
type Inputs = { inputs: { namespace: string; name: string; hash: string; columns: string[] }[] }
const NS = 'duckdb://mesh.duckdb'

describe('GET /api/datasets/column-lineage-inputs', () => {
  let db: Db
  let tokens: Record<'sales' | 'finance' | 'admin', string>
  beforeAll(async () => {
    db = openDb(':memory:')
    for (const p of ['sales', 'finance']) {
      const dir = join(FIXTURES, 'dbt/good', p, 'target')
      await ingestBatch({ store: sqliteStore(db) }, await readDbtTarget(dir, { namespace: NS }))
    }
    const now = new Date().toISOString()
    const make = (scope: 'ingest' | 'admin', domain?: string) =>
      createToken(db, { name: `${scope} ${domain ?? ''}`, scope, domain, now }).token
    tokens = {
      sales: make('ingest', 'sales'),
      finance: make('ingest', 'finance'),
      admin: make('admin'),
    }
  })
  const get = async (token: string, query = '') => {
    const res = await createApp({ store: sqliteStore(db) }).request(
      `/api/datasets/column-lineage-inputs${query}`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    )
    return { status: res.status, body: (await res.json()) as Inputs }
  }
  const names = (b: Inputs) => b.inputs.map((i) => i.name)

  it("gives an unscoped token every dataset's inputs: hash and output columns", async () => {
    const { status, body } = await get(tokens.admin)
    expect(status).toBe(200)
    expect(names(body)).toContain('mesh.sales.orders')
    expect(names(body)).toContain('mesh.finance.revenue_daily')
    const orders = body.inputs.find((i) => i.name === 'mesh.sales.orders')
    expect(orders?.hash).toMatch(/^[\w-]{20,}$/)
    expect(orders?.columns).toContain('amount_eur')
  })

  it("gives a domain's token only its own (and unowned) datasets", async () => {
    const sales = names((await get(tokens.sales)).body)
    const finance = names((await get(tokens.finance)).body)
    expect(sales).toContain('mesh.sales.orders')
    expect(sales.filter((n) => n.startsWith('mesh.finance.'))).toEqual([])
    expect(finance).toContain('mesh.finance.revenue_daily')
    expect(finance.filter((n) => n.startsWith('mesh.sales.'))).toEqual([])
  })

  it('filters by namespace, and refuses an empty one with 400 naming the field', async () => {
    expect((await get(tokens.admin, `?namespace=${encodeURIComponent('other://x')}`)).body).toEqual(
      { inputs: [] },
    )
    expect(names((await get(tokens.admin, `?namespace=${encodeURIComponent(NS)}`)).body)).toContain(
      'mesh.sales.orders',
    )
    const bad = await get(tokens.admin, '?namespace=')
    expect(bad.status).toBe(400)
    expect(JSON.stringify(bad.body)).toMatch(/namespace/)
  })
})
