import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import {
  dropForeignBatchReads,
  findForeignWrite,
  ForeignWriteError,
} from '../../db/queries/authorize.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// Per-object authorization on a real store: any field naming another domain's row is a write to
// it and refused; reading it (an input edge) is not. A bug here lets one domain's token rewrite
// another's data, or refuses a project's ordinary re-collect.
const NS = 'duckdb://mesh'
const NOW = '2026-11-25T12:00:00.000Z'
const ds = (name: string) => ({ namespace: NS, name })
const job = (name: string) => ({ namespace: 'dbt', name })
const FIN = ds('mesh.finance.orders')

function seeded(): Db {
  const db = openDb(':memory:')
  const b = emptyBatch('dbt', 'dbt:finance')
  b.domains.push({ name: 'finance', owner: 'fin-team' })
  b.datasets.push({ ...FIN, domain: 'finance', kind: 'model', aliases: [ds('fin_orders')] })
  b.jobs.push({ ...job('finance.orders'), type: 'dbt_model', domain: 'finance' })
  b.edges.push({ job: job('finance.orders'), dataset: FIN, direction: 'output' })
  b.runs.push({ runId: 'r-fin', job: job('finance.orders'), state: 'COMPLETE', endedAt: NOW })
  b.checks.push({
    key: 'test.fin.unique',
    dataset: FIN,
    kind: 'unique',
    name: 'unique',
    severity: 'error',
    origin: 'dbt',
  })
  b.products.push({
    id: 'finance.orders',
    name: 'orders',
    domain: 'finance',
    origin: 'config',
    outputs: [FIN],
  })
  storeBatch(db, b, { contentHash: hashBatch(b), now: NOW })
  return db
}

/** A sales project's batch: its own model reading whatever `fill` adds. */
function sales(fill: (b: Batch) => void = () => {}): Batch {
  const b = emptyBatch('dbt', 'dbt:sales')
  b.datasets.push({ ...ds('mesh.sales.orders'), domain: 'sales', kind: 'model' })
  b.jobs.push({ ...job('sales.orders'), type: 'dbt_model', domain: 'sales' })
  b.edges.push({ job: job('sales.orders'), dataset: ds('mesh.sales.orders'), direction: 'output' })
  fill(b)
  return b
}

describe('findForeignWrite', () => {
  it('lets a domain write its own rows and read (input edge) another domain’s', () => {
    const db = seeded()
    expect(findForeignWrite(db, 'sales', sales())).toBeUndefined()
    const reads = sales((b) =>
      b.edges.push({ job: job('sales.orders'), dataset: FIN, direction: 'input' }),
    )
    expect(findForeignWrite(db, 'sales', reads)).toBeUndefined()
    // the owner writes its own rows
    const own = emptyBatch('dbt', 'dbt:finance')
    own.metrics.push({ dataset: FIN, name: 'row_count', value: 1, observedAt: NOW })
    expect(findForeignWrite(db, 'finance', own)).toBeUndefined()
  })

  it.each<[string, (b: Batch) => void, string, RegExp]>([
    [
      'a datasets[] entry',
      (b) => b.datasets.push({ ...FIN, description: 'mine' }),
      'dataset',
      /^\$\.datasets\[1\]/,
    ],
    [
      'an alias of it',
      (b) => b.datasets.push({ ...ds('fin_orders'), description: 'x' }),
      'dataset',
      /^\$\.datasets\[1\]/,
    ],
    [
      'an output edge',
      (b) => b.edges.push({ job: job('sales.orders'), dataset: FIN, direction: 'output' }),
      'dataset',
      /^\$\.edges\[1\]/,
    ],
    [
      'a metric',
      (b) => b.metrics.push({ dataset: FIN, name: 'row_count', value: 1, observedAt: NOW }),
      'dataset',
      /^\$\.metrics\[0\]/,
    ],
    [
      'its job',
      (b) => b.jobs.push({ ...job('finance.orders'), type: 'dbt_model', domain: 'sales' }),
      'job',
      /^\$\.jobs\[1\]/,
    ],
    [
      'its run id under our job',
      (b) => b.runs.push({ runId: 'r-fin', job: job('sales.orders'), state: 'FAIL', endedAt: NOW }),
      'run',
      /^\$\.runs\[0\]/,
    ],
    [
      'its product id',
      (b) =>
        b.products.push({
          id: 'finance.orders',
          name: 'x',
          domain: 'sales',
          origin: 'config',
          outputs: [ds('mesh.sales.orders')],
        }),
      'product',
      /^\$\.products\[0\]/,
    ],
  ])('refuses %s naming another domain’s row, with its path', (_, fill, what, path) => {
    const db = seeded()
    const denial = findForeignWrite(db, 'sales', sales(fill))
    expect(denial?.what).toBe(what)
    expect(denial?.path).toMatch(path)
    expect(denial?.message).toMatch(/finance/)
  })

  it('is checked inside storeBatch: a refused batch writes nothing', () => {
    const db = seeded()
    const count = () =>
      (db.$client.prepare('select count(*) as n from datasets').get() as { n: number }).n
    const before = count()
    const b = sales((x) =>
      x.metrics.push({ dataset: FIN, name: 'row_count', value: 1, observedAt: NOW }),
    )
    expect(() =>
      storeBatch(db, b, { contentHash: hashBatch(b), now: NOW, domain: 'sales' }),
    ).toThrow(ForeignWriteError)
    expect(count()).toBe(before)
    expect(db.$client.prepare('select count(*) as n from metrics').get()).toEqual({ n: 0 })
  })
})

describe('dropForeignBatchReads', () => {
  it('drops what a batch says of another domain’s dataset it only reads, and warns', () => {
    const db = seeded()
    const b = sales((x) => {
      x.domains.push({ name: 'finance' })
      x.datasets.push({ ...FIN, domain: 'finance', description: 'as sales sees it' })
      x.edges.push({ job: job('sales.orders'), dataset: FIN, direction: 'input' })
    })
    const { batch, warnings } = dropForeignBatchReads(db, 'sales', b)
    expect(batch.datasets.map((d) => d.name)).toEqual(['mesh.sales.orders'])
    expect(batch.domains).toEqual([])
    expect(batch.edges).toHaveLength(2)
    expect(warnings.map((w) => w.path)).toEqual(['$.datasets[1]', '$.domains[0]'])
    expect(findForeignWrite(db, 'sales', batch)).toBeUndefined()
    // and the input edge is stored, the finance row untouched
    storeBatch(db, batch, { contentHash: hashBatch(batch), now: NOW, domain: 'sales' })
    expect(
      db.$client.prepare('select description from datasets where name = ?').get(FIN.name),
    ).toEqual({ description: null })
  })

  it('keeps the entry when the batch also writes that dataset (then it is refused)', () => {
    const db = seeded()
    const b = sales((x) => {
      x.datasets.push({ ...FIN, description: 'x' })
      x.edges.push({ job: job('sales.orders'), dataset: FIN, direction: 'input' })
      x.metrics.push({ dataset: FIN, name: 'row_count', value: 1, observedAt: NOW })
    })
    const { batch, warnings } = dropForeignBatchReads(db, 'sales', b)
    expect(warnings).toEqual([])
    expect(batch).toBe(b)
    expect(findForeignWrite(db, 'sales', batch)?.what).toBe('dataset')
  })
})
