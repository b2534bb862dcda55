import { describe, expect, it } from 'vitest'
import type { KnownStatus } from '../../common/vocab.ts'
import { emptyBatch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { listAlerts } from '../../db/queries/alerts.ts'
import { findDataset, getProduct } from '../../db/queries/catalog.ts'
import {
  evaluationHistory,
  productsOfDatasets,
  storeEvaluations,
  upsertConfigProducts,
} from '../../db/queries/quality-store.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { sqliteStore } from '../../db/store.ts'
import { hashBatch } from '../../server/ingest.ts'
import { alertFacts } from './alert-facts.ts'

const NS = 'duckdb://mesh'
const ds = (name: string) => ({ namespace: NS, name })
const NOW = '2026-03-01T00:00:00.000Z'

function seed(): Db {
  const db = openDb(':memory:')
  const b = emptyBatch('dbt', 'dbt:mesh')
  b.datasets.push(
    { ...ds('mesh.sales.orders'), domain: 'sales' },
    { ...ds('mesh.sales.customers'), domain: 'sales' },
    { ...ds('mesh.finance.revenue'), domain: 'finance' },
  )
  b.products.push(
    {
      id: 'sales.orders',
      name: 'Orders',
      domain: 'sales',
      origin: 'dbt_public',
      outputs: [ds('mesh.sales.orders')],
    },
    {
      id: 'sales.all',
      name: 'All sales',
      domain: 'sales',
      origin: 'dbt_exposure',
      outputs: [ds('mesh.sales.orders'), ds('mesh.sales.customers')],
    },
  )
  storeBatch(db, b, { contentHash: hashBatch(b), now: NOW })
  return db
}

const ev = (productId: string, evaluatedAt: string, score: number, status: KnownStatus = 'ok') => ({
  productId,
  evaluatedAt,
  score,
  status,
  dimensions: [{ dimension: 'freshness' as const, score, status, reason: 'written 1 h ago' }],
})

const idOf = (db: Db, name: string) => findDataset(db, ds(name)) ?? -1

describe('storing evaluations', () => {
  it('appends only what `keep` accepts against the last stored evaluation of each product', () => {
    const db = seed()
    const changed = (prev: { score: number } | undefined, next: { score: number }) =>
      prev?.score !== next.score
    expect(
      storeEvaluations(db, [ev('sales.orders', '2026-03-01T01:00:00Z', 90)], { keep: changed }),
    ).toEqual(['sales.orders'])
    expect(
      storeEvaluations(db, [ev('sales.orders', '2026-03-01T02:00:00Z', 90)], { keep: changed }),
    ).toEqual([])
    expect(
      storeEvaluations(
        db,
        [
          ev('sales.orders', '2026-03-01T03:00:00Z', 70, 'warn'),
          ev('sales.all', '2026-03-01T03:00:00Z', 90),
        ],
        { keep: changed },
      ),
    ).toEqual(['sales.orders', 'sales.all'])
    expect(
      evaluationHistory(db, 'sales.orders').map((e) => [e.evaluatedAt, e.score, e.status]),
    ).toEqual([
      ['2026-03-01T03:00:00Z', 70, 'warn'],
      ['2026-03-01T01:00:00Z', 90, 'ok'],
    ])
    expect(evaluationHistory(db, 'sales.orders')[0]?.dimensions).toEqual([
      { dimension: 'freshness', score: 70, status: 'warn', reason: 'written 1 h ago' },
    ])
    expect(evaluationHistory(db, 'sales.orders', 1)).toHaveLength(1)
  })

  it('writes the alerts of its store transaction with the evaluations, and neither when it throws', async () => {
    const db = seed()
    const store = sqliteStore(db)
    const alert = {
      dedupeKey: 'k1',
      productId: 'sales.orders',
      domain: 'sales',
      kind: 'opened' as const,
      severity: 'breach' as const,
      payload: alertFacts({ productId: 'sales.orders', domain: 'sales', evaluatedAt: NOW }),
      createdAt: NOW,
      nextAttemptAt: NOW,
    }
    await expect(
      store.transaction(async (tx) => {
        await tx.qualityStore.storeEvaluations([ev('sales.orders', NOW, 10, 'breach')], {
          keep: () => true,
        })
        await tx.alerts.enqueueAlerts([alert])
        throw new Error('slack routing failed')
      }),
    ).rejects.toThrow('slack routing failed')
    expect(evaluationHistory(db, 'sales.orders')).toEqual([])
    expect(listAlerts(db)).toEqual([])

    await store.transaction(async (tx) => {
      await tx.qualityStore.storeEvaluations([ev('sales.orders', NOW, 10, 'breach')], {
        keep: () => true,
      })
      await tx.alerts.enqueueAlerts([alert])
    })
    expect(evaluationHistory(db, 'sales.orders')).toHaveLength(1)
    expect(listAlerts(db).map((a) => a.dedupeKey)).toEqual(['k1'])
  })
})

describe('productsOfDatasets', () => {
  it('names each product owning any of the datasets once', () => {
    const db = seed()
    expect(productsOfDatasets(db, [idOf(db, 'mesh.sales.orders')]).sort()).toEqual([
      'sales.all',
      'sales.orders',
    ])
    expect(
      productsOfDatasets(db, [
        idOf(db, 'mesh.sales.customers'),
        idOf(db, 'mesh.sales.orders'),
      ]).sort(),
    ).toEqual(['sales.all', 'sales.orders'])
    expect(productsOfDatasets(db, [idOf(db, 'mesh.finance.revenue')])).toEqual([])
    expect(productsOfDatasets(db, [])).toEqual([])
  })
})

describe('upsertConfigProducts (meshwatch.yml products)', () => {
  it('creates a product from outputs named in full or by their last part, and reports the rest', () => {
    const db = seed()
    const r = upsertConfigProducts(
      db,
      [
        {
          id: 'finance.revenue',
          name: 'Revenue',
          domain: 'finance',
          owner: 'cfo',
          outputs: [
            'revenue',
            { namespace: NS, name: 'mesh.sales.customers' },
            'missing',
            { namespace: 'other', name: 'mesh.sales.orders' },
          ],
        },
      ],
      NOW,
    )
    expect(r.unresolved).toEqual([
      'finance.revenue: missing',
      'finance.revenue: other mesh.sales.orders',
    ])
    expect(getProduct(db, 'finance.revenue')).toMatchObject({
      origin: 'config',
      owner: 'cfo',
      domain: 'finance',
    })
    expect(
      getProduct(db, 'finance.revenue')
        ?.outputs.map((o) => o.name)
        .sort(),
    ).toEqual(['mesh.finance.revenue', 'mesh.sales.customers'])
  })

  it('does not create a product none of whose outputs exist', () => {
    const db = seed()
    const r = upsertConfigProducts(
      db,
      [{ id: 'ghost', name: 'Ghost', domain: 'sales', outputs: ['nowhere'] }],
      NOW,
    )
    expect(r.unresolved).toEqual(['ghost: nowhere'])
    expect(getProduct(db, 'ghost')).toBeUndefined()
  })

  it('leaves a collected product its origin and outputs, filling only owner and description it lacks', () => {
    const db = seed()
    upsertConfigProducts(
      db,
      [
        {
          id: 'sales.orders',
          name: 'Renamed',
          domain: 'finance',
          owner: 'config-owner',
          description: 'from the config',
          outputs: ['revenue'],
        },
      ],
      NOW,
    )
    expect(getProduct(db, 'sales.orders')).toMatchObject({
      name: 'Orders',
      domain: 'sales',
      origin: 'dbt_public',
      owner: 'config-owner',
      description: 'from the config',
      outputs: [{ name: 'mesh.sales.orders' }],
    })
  })

  it('does not match a short name inside another word', () => {
    const db = seed()
    // `orders` names mesh.sales.orders (after a dot), never a dataset merely ending in "orders".
    const r = upsertConfigProducts(
      db,
      [{ id: 'p', name: 'P', domain: 'sales', outputs: ['ders'] }],
      NOW,
    )
    expect(r.unresolved).toEqual(['p: ders'])
  })

  it('reads `_` and `%` in a short name as themselves, not as LIKE wildcards', () => {
    const db = seed()
    // `sales_orders` is not mesh.sales.orders (`_` would match the dot), `%` matches nothing.
    const r = upsertConfigProducts(
      db,
      [{ id: 'p', name: 'P', domain: 'sales', outputs: ['sales_orders', '%', 'sales%'] }],
      NOW,
    )
    expect(r.unresolved).toEqual(['p: sales_orders', 'p: %', 'p: sales%'])
    expect(getProduct(db, 'p')).toBeUndefined()
  })
})
