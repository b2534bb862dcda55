import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { blastRadius } from '../../db/queries/incidents.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

const NS = 'duckdb://mesh'
const JOB_NS = 'default'
const ref = (name: string) => ({ namespace: NS, name })

/**
 * orders ─a─► left ──c──► joined ─x─► loop1 ─y─► loop2 ─h─► orders (a cycle back to the start)
 *        └b─► right ─c─┘    ▲          ▲       │
 *             left ─e─► left2 ─f─┘ (a longer arm of the diamond)   └─x─┘ (loop1 ⇄ loop2)
 * joined ─dag (an Airflow DAG scheduled on it)─► its task dag.t ─► asset_out
 */
function seed(): Db {
  const b = emptyBatch('openlineage', 'test')
  const jobs: Record<string, [string[], string[], string?]> = {
    a: [['orders'], ['left']],
    b: [['orders'], ['right']],
    c: [['left', 'right'], ['joined']],
    e: [['left'], ['left2']],
    f: [['left2'], ['joined']],
    x: [['joined', 'loop2'], ['loop1']],
    y: [['loop1'], ['loop2']],
    h: [['loop2'], ['orders']],
    dag: [['joined'], []],
    'dag.t': [[], ['asset_out'], 'dag'],
  }
  const names = new Set<string>()
  for (const [name, [ins, outs, parent]] of Object.entries(jobs)) {
    b.jobs.push({
      namespace: JOB_NS,
      name,
      type: parent ? 'airflow_task' : 'job',
      ...(parent ? { parent: { namespace: JOB_NS, name: parent } } : {}),
    })
    for (const [list, direction] of [
      [ins, 'input'],
      [outs, 'output'],
    ] as const)
      for (const d of list) {
        names.add(d)
        b.edges.push({ job: { namespace: JOB_NS, name }, dataset: ref(d), direction })
      }
  }
  for (const d of names) b.datasets.push({ ...ref(d), domain: 'sales' })
  const product = (id: string, outputs: string[]) => {
    const domain = id.split('.')[0] ?? ''
    b.products.push({
      id,
      name: id,
      domain,
      owner: `${domain}-team`,
      origin: 'config',
      outputs: outputs.map(ref),
    })
  }
  product('sales.orders', ['orders'])
  product('sales.loops', ['loop1']) // the breached product's own domain: never in its blast radius
  product('finance.left', ['left'])
  product('marketing.joined', ['joined'])
  product('marketing.loop', ['loop2'])
  product('product.assets', ['asset_out'])
  const db = openDb(':memory:')
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-01-01T00:00:00.000Z' })
  return db
}

describe('blastRadius', () => {
  it('counts each product once at its fewest hops through a diamond and a cycle, and follows child jobs', () => {
    const db = seed()
    expect(blastRadius(db, 'sales.orders')).toEqual([
      {
        productId: 'finance.left',
        name: 'finance.left',
        domain: 'finance',
        owner: 'finance-team',
        hops: 0,
      },
      // orders → left → joined, not the longer arm through left2
      {
        productId: 'marketing.joined',
        name: 'marketing.joined',
        domain: 'marketing',
        owner: 'marketing-team',
        hops: 1,
      },
      // joined → dag → its task's asset_out
      {
        productId: 'product.assets',
        name: 'product.assets',
        domain: 'product',
        owner: 'product-team',
        hops: 2,
      },
      {
        productId: 'marketing.loop',
        name: 'marketing.loop',
        domain: 'marketing',
        owner: 'marketing-team',
        hops: 3,
      },
    ])
  })

  it('stops at the depth it is given', () => {
    const db = seed()
    expect(blastRadius(db, 'sales.orders', 2).map((p) => [p.productId, p.hops])).toEqual([
      ['finance.left', 0],
      ['marketing.joined', 1],
    ])
  })

  it('walks from inside the cycle back through the start, and names nothing for a product with no readers', () => {
    const db = seed()
    // loop2 → orders → left …: through the start of the first walk, with marketing (its own
    // domain) skipped, and back around to loop2 without walking forever
    expect(blastRadius(db, 'marketing.loop').map((p) => [p.productId, p.hops])).toEqual([
      ['sales.loops', 0],
      ['sales.orders', 0],
      ['finance.left', 1],
      ['product.assets', 3],
    ])
    expect(blastRadius(db, 'product.assets')).toEqual([])
  })
})
