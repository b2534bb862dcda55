import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { contracts as pgContracts } from '../../db/pg/queries/contracts.ts'
import * as liteContracts from '../../db/queries/contracts.ts'
import type { ContractToStore } from '../../db/queries/contracts.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/contracts.ts and db/pg/queries/contracts.ts: contracts stored and bound on the
// demo's datasets and products, the same calls on both, answers compared.

type M = typeof pgContracts
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteContracts, db), pg: bindPg(pgContracts, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const NOW = '2026-12-01T00:00:00.000Z'
const contract = (id: string, version: string, hash: string, domain: string | null = 'sales') =>
  ({
    file: `${id}.odcs.yaml`,
    contractId: id,
    version,
    apiVersion: 'v3.0.2',
    status: 'active',
    name: id,
    domain,
    dataProduct: null,
    contentHash: hash,
    document: { id, version, b: [1, { z: true, a: null }], a: 'ü' },
  }) satisfies ContractToStore

describe('contracts on both engines', () => {
  it('store a delivery all or none; a redelivery is a no-op, a changed content with its old version warns', async () => {
    const first = await onBoth(both, (m) =>
      m.storeContracts(
        [contract('orders', '1.0.0', 'h1'), contract('revenue', '1.0.0', 'h2', 'finance')],
        { now: NOW },
      ),
    )
    expect(first.map((c) => c.duplicate)).toEqual([false, false])
    const again = await onBoth(both, (m) =>
      m.storeContracts(
        [
          contract('orders', '1.0.0', 'h1'),
          contract('orders', '1.0.0', 'h3'),
          contract('orders', '1.1.0', 'h4'),
          contract('orders', '1.1.0', 'h4'),
          contract('free', '0.1.0', 'h5', null),
        ],
        { now: NOW },
      ),
    )
    expect(again.map((c) => [c.duplicate, c.warnings.length])).toEqual([
      [true, 0],
      [false, 1],
      [false, 0],
      [true, 0],
      [false, 0],
    ])
    const refuse = (_: ContractToStore, i: number) => {
      if (i === 1) throw new Error('not yours')
    }
    for (const m of [both.sqlite, both.pg])
      await expect(
        Promise.resolve().then(() =>
          m.storeContracts([contract('new', '1', 'h6'), contract('new2', '1', 'h7')], {
            now: NOW,
            check: refuse,
          }),
        ),
      ).rejects.toThrow('not yours')
    expect(await onBoth(both, (m) => m.contractOwner('new'))).toBeUndefined()
  })

  it('read the current contracts, their versions and owners alike', async () => {
    const current = await onBoth(both, (m) => m.currentContracts())
    expect(current.map((c) => [c.contractId, c.version])).toEqual([
      ['free', '0.1.0'],
      ['orders', '1.1.0'],
      ['revenue', '1.0.0'],
    ])
    expect(current[0]!.document).toEqual(contract('free', '0.1.0', 'h5').document)
    await onBoth(both, (m) => m.currentContracts({ domain: 'sales' }))
    expect(await onBoth(both, (m) => m.contractVersions('orders'))).toHaveLength(3)
    expect(await onBoth(both, (m) => m.contractOwner('revenue'))).toBe('finance')
    expect(await onBoth(both, (m) => m.contractOwner('free'))).toBeNull()
  })

  it('bind datasets and products alike: exact, by name or suffix (ASCII case ignored), none', async () => {
    const datasets = db.$client
      .prepare('select namespace, name from datasets order by id')
      .all() as {
      namespace: string
      name: string
    }[]
    expect(datasets.length).toBeGreaterThan(10)
    let found = 0
    for (const d of datasets) {
      const last = d.name.slice(d.name.lastIndexOf('.') + 1)
      for (const ref of [
        d,
        { name: last },
        { name: last.toUpperCase() },
        { name: d.name },
        { name: last.replaceAll('_', '%') },
        { namespace: d.namespace, name: last },
      ])
        if (await onBoth(both, (m) => m.findContractDataset(ref))) found++
    }
    expect(found).toBeGreaterThan(datasets.length * 3)
    expect(await onBoth(both, (m) => m.findContractDataset({ name: 'no_such' }))).toBeUndefined()
    const products = db.$client.prepare('select id, name, domain from products').all() as {
      id: string
      name: string
      domain: string
    }[]
    for (const p of products) {
      expect(await onBoth(both, (m) => m.findContractProduct({ id: p.id }))).toEqual({
        id: p.id,
        domain: p.domain,
      })
      await onBoth(both, (m) => m.findContractProduct({ name: p.name, domain: p.domain }))
      await onBoth(both, (m) => m.findContractProduct({ name: p.name, domain: null }))
      await onBoth(both, (m) => m.findContractProduct({ name: p.name, domain: 'other' }))
    }
  })

  it('name the product owning most of a set of datasets alike', async () => {
    const outputs = db.$client
      .prepare('select product_id as p, dataset_id as d from product_outputs order by 1, 2')
      .all() as { p: string; d: number }[]
    const all = outputs.map((o) => o.d)
    expect(await onBoth(both, (m) => m.productOfOutputs(all))).toBeTypeOf('string')
    for (const o of outputs) await onBoth(both, (m) => m.productOfOutputs([o.d]))
    expect(await onBoth(both, (m) => m.productOfOutputs([]))).toBeUndefined()
  })
})
