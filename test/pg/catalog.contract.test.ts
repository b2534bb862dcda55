import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { catalog as pgCatalog } from '../../db/pg/queries/catalog.ts'
import * as liteCatalog from '../../db/queries/catalog.ts'
import { demoOnBoth } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/catalog.ts and db/pg/queries/catalog.ts on the demo store: every domain, product
// and dataset read on both engines, answers compared.

type M = typeof pgCatalog
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteCatalog, db), pg: bindPg(pgCatalog, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const all = <T>(sql: string) => db.$client.prepare(sql).all() as T[]

describe('catalog on both engines', () => {
  it('list domains with their counts, and products (all, by domain, none)', async () => {
    const domains = await onBoth(both, (m) => m.listDomains())
    expect(domains.length).toBeGreaterThan(1)
    expect(domains.some((d) => d.datasets > 0 && d.products > 0)).toBe(true)
    const products = await onBoth(both, (m) => m.listProducts())
    expect(products.some((p) => p.outputs.length > 1 && p.evaluation !== null)).toBe(true)
    for (const d of domains) await onBoth(both, (m) => m.listProducts({ domain: d.name }))
    expect(await onBoth(both, (m) => m.listProducts({ domain: 'no-such' }))).toEqual([])
    await onBoth(both, (m) => m.listProducts({ domain: '' }))
  })

  it('read each product and its newest evaluation; an unknown one is none', async () => {
    const ids = all<{ id: string }>('select id from products order by id').map((r) => r.id)
    for (const id of ids) expect(await onBoth(both, (m) => m.getProduct(id))).toBeDefined()
    expect(await onBoth(both, (m) => m.getProduct('no.such'))).toBeUndefined()
    const latest = await onBoth(both, (m) => m.latestEvaluations([...ids, 'no.such']))
    expect(latest.size).toBeGreaterThan(0)
    expect((await onBoth(both, (m) => m.latestEvaluations([]))).size).toBe(0)
  })

  it('find datasets by name or alias, and read each with its jobs, checks and results', async () => {
    const datasets = all<{ id: number; namespace: string; name: string }>(
      'select id, namespace, name from datasets order by id',
    )
    const aliases = all<{ namespace: string; name: string }>(
      'select namespace, name from dataset_aliases',
    )
    for (const d of datasets) {
      expect(await onBoth(both, (m) => m.findDataset(d))).toBe(d.id)
      const got = await onBoth(both, (m) => m.getDataset(d.id))
      expect(got?.id).toBe(d.id)
    }
    for (const a of aliases)
      expect(await onBoth(both, (m) => m.findDataset(a))).toBeTypeOf('number')
    expect(
      await onBoth(both, (m) => m.findDataset({ namespace: 'x', name: datasets[0]!.name })),
    ).toBeUndefined()
    expect(await onBoth(both, (m) => m.getDataset(999_999))).toBeUndefined()
    const rich = await Promise.all(datasets.map((d) => both.sqlite.getDataset(d.id)))
    expect(rich.some((d) => d && d.producers.length > 0 && d.consumers.length > 0)).toBe(true)
    expect(rich.some((d) => d && d.products.length > 0)).toBe(true)
    expect(rich.some((d) => d && d.checks.length > 1 && d.assertions.length > 1)).toBe(true)
    expect(rich.some((d) => d && d.metrics.length > 0)).toBe(true)
  })
})
