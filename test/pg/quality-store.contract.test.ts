import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { qualityStore as pgQualityStore } from '../../db/pg/queries/quality-store.ts'
import { pgStore } from '../../db/pg/store.ts'
import * as liteQualityStore from '../../db/queries/quality-store.ts'
import type { ConfigProduct, EvaluationToStore } from '../../db/queries/quality-store.ts'
import { sqliteStore } from '../../db/store.ts'
import { demoOnBoth, productIdsOf } from './demo.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'

// db/queries/quality-store.ts and db/pg/queries/quality-store.ts on the demo's bad day (its
// evaluation history), the same calls on both, answers compared.

type M = typeof pgQualityStore
let db: Db
let pool: pg.Pool
let both: { sqlite: Bound<M>; pg: Bound<M> }
let productIds: string[]

beforeAll(async () => {
  ;({ db, pool } = await demoOnBoth())
  both = { sqlite: bindSqlite<M>(liteQualityStore, db), pg: bindPg<M>(pgQualityStore, pool) }
  productIds = productIdsOf(db)
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const sorted = (xs: string[]) => [...xs].sort()

describe('quality store on both engines', () => {
  it('reads evaluation histories and the products of datasets alike', async () => {
    let n = 0
    for (const id of productIds) {
      n += (await onBoth(both, (m) => m.evaluationHistory(id))).length
      await onBoth(both, (m) => m.evaluationHistory(id, 1))
    }
    expect(n).toBeGreaterThan(productIds.length)
    const ids = (db.$client.prepare('select id from datasets').all() as { id: number }[]).map(
      (r) => r.id,
    )
    // a set: compared as one
    const owners = await onBoth(both, async (m) => sorted(await m.productsOfDatasets(ids)))
    expect(owners).toEqual(productIds)
    expect(await onBoth(both, (m) => m.productsOfDatasets([]))).toEqual([])
  })

  it('stores the evaluations `keep` accepts alike, and none of them when their store transaction fails', async () => {
    const at = '2026-12-24T00:00:00.000Z'
    const evals: EvaluationToStore[] = productIds.map((productId, i) => ({
      productId,
      evaluatedAt: at,
      score: i % 3 === 0 ? null : 50 + i,
      status: i % 3 === 0 ? 'unknown' : 'warn',
      dimensions: [{ dimension: 'freshness', status: 'warn', score: 50, reason: `r${i}` }],
      rootCause: i % 2 ? null : undefined,
    }))
    const keep = (prev: { status: string } | undefined, next: EvaluationToStore) =>
      prev?.status !== next.status
    const written = await onBoth(both, (m) => m.storeEvaluations(evals, { keep }))
    expect(written.length).toBeGreaterThan(0)
    // the same again: `keep` refuses each (its status is the stored one), on both
    expect(await onBoth(both, (m) => m.storeEvaluations(evals, { keep }))).toEqual([])
    for (const id of productIds) await onBoth(both, (m) => m.evaluationHistory(id, 3))
    // the transaction that stored them throws: nothing of them is kept, on either engine
    const later = evals.map((e): EvaluationToStore => ({
      ...e,
      evaluatedAt: '2026-12-25T00:00:00.000Z',
      status: 'ok',
    }))
    for (const store of [sqliteStore(db), pgStore(pool)]) {
      await expect(
        store.transaction(async (tx) => {
          expect(await tx.qualityStore.storeEvaluations(later, { keep })).toHaveLength(
            productIds.length,
          )
          throw new Error('refused after the writes')
        }),
      ).rejects.toThrow('refused after the writes')
      expect((await store.qualityStore.evaluationHistory(productIds[0]!, 1))[0]?.evaluatedAt).toBe(
        at,
      )
    }
  })

  it('creates or completes config products alike, resolving outputs by name, suffix (ASCII case ignored) or namespace', async () => {
    const [ds] = db.$client
      .prepare("select namespace, name from datasets where name like '%orders%' order by id")
      .all() as { namespace: string; name: string }[]
    const items: ConfigProduct[] = [
      {
        id: productIds[0]!,
        name: 'x',
        domain: 'x',
        owner: 'Filled',
        description: 'd',
        outputs: [],
      },
      {
        id: 'cfg.one',
        name: 'one',
        domain: 'sales',
        outputs: [ds!.name.split('.').at(-1)!.toUpperCase(), 'no_such_table'],
      },
      { id: 'cfg.two', name: 'two', domain: 'sales', owner: 'O', outputs: [ds!, ds!.name] },
      { id: 'cfg.none', name: 'none', domain: 'sales', outputs: ['nothing%', '_'] },
    ]
    const r = await onBoth(both, (m) => m.upsertConfigProducts(items, '2026-12-24T00:00:00.000Z'))
    expect(r.unresolved).toEqual(['cfg.one: no_such_table', 'cfg.none: nothing%', 'cfg.none: _'])
    const read = (sql: string) => db.$client.prepare(sql).all()
    const rows = await onBoth(both, async () =>
      read(
        "select * from products where id like 'cfg.%' or id = ? order by id".replace(
          '?',
          `'${productIds[0]}'`,
        ),
      ),
    )
    expect(rows).toHaveLength(3)
    const pgRows = await pool.query(
      `select * from products where id like 'cfg.%' or id = $1 order by id`,
      [productIds[0]],
    )
    expect(pgRows.rows).toEqual(rows)
    const outs = await pool.query(
      "select product_id, dataset_id from product_outputs where product_id like 'cfg.%' order by 1, 2",
    )
    expect(outs.rows).toEqual(
      read(
        "select product_id, dataset_id from product_outputs where product_id like 'cfg.%' order by 1, 2",
      ),
    )
  })
})
