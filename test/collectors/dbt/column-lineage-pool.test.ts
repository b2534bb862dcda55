import { describe, expect, it } from 'vitest'
import type { Batch } from '../../../collectors/batch.ts'
import { addColumnLineage } from '../../../collectors/dbt/column-lineage/index.ts'
import { poolSize } from '../../../collectors/dbt/column-lineage/pool.ts'
import { mapDbtArtifacts } from '../../../collectors/dbt/map.ts'
import { HAS_SHARED, readShared } from './helpers.ts'

/*
 * Column lineage computed by worker threads (pool.ts) is the serial one: the same edges, warnings
 * and lineage inputs in the same order. Pooled first: a worker loading the parser after this
 * thread has used it waits seconds for its WebAssembly (the bench's collect starts the pool first).
 */
const JAFFLE = 'jaffle_shop/manifest/v12/jaffle_shop'
const collect = (manifest: string, catalog: string | undefined, workers: number) => {
  let used = -1
  const batch = mapDbtArtifacts(
    {
      manifest: readShared(`${JAFFLE}/${manifest}`),
      ...(catalog ? { catalog: readShared(`jaffle_shop/catalog/v1/jaffle_shop/${catalog}`) } : {}),
    },
    { namespace: 'duckdb://jaffle_shop.duckdb' },
    (b, graph, adapter) => {
      const stats = addColumnLineage(b, graph, adapter, { workers })
      used = stats.workers
      return stats
    },
  )
  return { batch, used }
}
const lineage = (b: Batch) => ({
  edges: b.columnEdges,
  warnings: b.warnings,
  inputs: b.columnLineageInputs,
})

describe.skipIf(!HAS_SHARED)('column lineage by a pool of workers', { timeout: 180_000 }, () => {
  it.each([
    // with its catalog: every model's inputs known up front, all models ready at once
    ['manifest_1.12.json', 'catalog_1.12.json'],
    // no catalog: a model waits for the columns computed for the models it selects * from
    ['manifest_1.10.json', undefined],
  ])('%s (catalog %s): the same as serially', (manifest, catalog) => {
    const pooled = collect(manifest, catalog, 3)
    const serial = collect(manifest, catalog, 0)
    expect([pooled.used, serial.used]).toEqual([3, 0])
    expect(serial.batch.columnEdges.length).toBeGreaterThan(50)
    expect(lineage(pooled.batch)).toEqual(lineage(serial.batch))
  })
})

describe('the size of the pool', () => {
  it('keeps a small project in-process, and any where 0 is asked for', () => {
    expect(poolSize(36)).toBe(0)
    expect(poolSize(10_000, 0)).toBe(0)
    expect(poolSize(36, 3)).toBe(3)
  })
})
