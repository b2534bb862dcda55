import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { setRowsPerExecution } from '../../db/queries/statements.ts'
import { hashBatch } from '../../server/ingest.ts'

// The store's multi-row statements (many rows per execution) against one statement per row: the
// same batches, stored in the same order, leave the same rows, with the same ids, in the same order.

const FIXTURES = fileURLToPath(new URL('../../fixtures/dbt', import.meta.url))
const DOMAINS = ['sales', 'finance', 'marketing', 'product']

// the good builds with column lineage from their SQL (column edges), the failing ones without
const read = (kind: 'good' | 'bad', domain: string) =>
  readDbtTarget(join(FIXTURES, kind, domain, 'target'), {
    namespace: 'duckdb://mesh.duckdb',
    jobNamespace: 'default',
    columnLineage: kind === 'good',
  })

function dump(db: Db): Record<string, unknown[]> {
  const tables = db.$client
    .prepare(
      `select name from sqlite_master where type = 'table' and name not like 'sqlite_%' and name not like '__drizzle%' order by name`,
    )
    .pluck()
    .all() as string[]
  return Object.fromEntries(
    tables.map((t) => [t, db.$client.prepare(`select * from "${t}" order by rowid`).raw().all()]),
  )
}

describe('multi-row statements', () => {
  it('store the real dbt fixtures (a failing build, then a good one twice) as one row per statement does', async () => {
    // every domain's failing build, then its good build, then the same again (every row conflicts)
    const good = await Promise.all(DOMAINS.map((d) => read('good', d)))
    const bad = await Promise.all(DOMAINS.map((d) => read('bad', d)))
    const batches = [
      ...bad,
      ...good,
      ...good.map((b) => ({ ...b, producedAt: '2026-01-02T00:00:00Z' })),
    ]
    const stores = [1, 3, 128].map((rows) => {
      const db = openDb(':memory:')
      setRowsPerExecution(db, rows)
      batches.forEach((b, i) => {
        const now = `2026-01-01T00:00:${String(i).padStart(2, '0')}.000Z`
        // each batch twice: a redelivery is a no-op whatever the statements
        storeBatch(db, b, { contentHash: hashBatch(b), now })
        storeBatch(db, b, { contentHash: hashBatch(b), now })
      })
      return dump(db)
    })
    const [oneByOne, ...many] = stores
    expect(oneByOne?.['datasets']?.length).toBeGreaterThan(10)
    expect(oneByOne?.['lineage_edges']?.length).toBeGreaterThan(10)
    expect(oneByOne?.['checks']?.length).toBeGreaterThan(10)
    expect(oneByOne?.['assertions']?.length).toBeGreaterThan(10)
    expect(oneByOne?.['dataset_versions']?.length).toBeGreaterThan(10)
    expect(oneByOne?.['column_edges']?.length).toBeGreaterThan(10)
    for (const s of many) expect(s).toEqual(oneByOne)
  })
})
