import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { lineageOverview } from '../../db/queries/overview.ts'
import { cachedRead } from '../../db/queries/read-cache.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// The lineage overview is kept until the store changes: never a stale answer after a write, from
// this connection or another one.
const open: Db[] = []
let dir: string | undefined
afterEach(() => {
  for (const db of open.splice(0)) closeDb(db)
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

function addDomain(db: Db, name: string): void {
  const b = emptyBatch('dbt', `dbt:${name}`)
  b.domains.push({ name, owner: 'team' })
  b.datasets.push({
    namespace: 'duckdb://mesh',
    name: `mesh.${name}.t`,
    domain: name,
    kind: 'model',
  })
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-03-01T00:00:00.000Z' })
}

const domainsOf = (db: Db) =>
  cachedRead(db, 'overview', () => lineageOverview(db))
    .domains.map((d) => d.name)
    .sort()

describe('cachedRead', () => {
  it('answers from the cache while nothing was written', () => {
    const db = openDb(':memory:')
    open.push(db)
    let reads = 0
    const read = () => cachedRead(db, 'k', () => ++reads)
    expect([read(), read(), read()]).toEqual([1, 1, 1])
    expect(cachedRead(db, 'other', () => 'x')).toBe('x')
  })

  it('reads again after a write on the same connection', () => {
    const db = openDb(':memory:')
    open.push(db)
    addDomain(db, 'sales')
    expect(domainsOf(db)).toEqual(['sales'])
    addDomain(db, 'finance')
    expect(domainsOf(db)).toEqual(['finance', 'sales'])
  })

  it("reads again after another connection's commit", () => {
    dir = mkdtempSync(join(tmpdir(), 'meshwatch-read-cache-'))
    const reader = openDb(join(dir, 'm.db'))
    const writer = openDb(join(dir, 'm.db'))
    open.push(reader, writer)
    addDomain(writer, 'sales')
    expect(domainsOf(reader)).toEqual(['sales'])
    addDomain(writer, 'finance')
    expect(domainsOf(reader)).toEqual(['finance', 'sales'])
  })
})
