import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeBatchPayload, encodeBatch } from '../../db/queries/batch-codec.ts'

const big = {
  kind: 'dbt',
  scope: 'dbt:x',
  producedAt: undefined,
  replaceEdges: true,
  datasets: Array.from({ length: 4500 }, (_, i) => ({
    namespace: 'n',
    name: `d${i}`,
    tags: ['é', '"q"'],
  })),
  empty: [],
  meta: { nested: [1, 2, { a: null }] },
}

describe('batch payload codec', () => {
  it.each([
    { name: 'a big batch in many gzip members', batch: big },
    { name: 'a small batch', batch: { kind: 'dbt', scope: 's', datasets: [] } },
  ])('round-trips $name to exactly JSON.stringify, hashed the same', ({ batch }) => {
    const { contentHash, payload } = encodeBatch(batch)
    const text = JSON.stringify(batch)
    expect(decodeBatchPayload(payload)).toBe(text)
    expect(contentHash).toBe(createHash('sha256').update(text).digest('hex'))
  })
})
