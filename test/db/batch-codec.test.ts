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

// datasets are written member by member (their columns' text kept for the store): every shape
// JSON.stringify treats apart must read as it writes it
const columns = [{ name: 'id', type: 'int', constraints: ['primary_key'] }, { name: '\u2028é"' }]
const odd = {
  kind: 'dbt',
  datasets: [
    { namespace: 'n', name: 'a', columns, owner: undefined, f: () => 1, tags: [undefined] },
    { columns, namespace: 'n', name: 'b' },
    { 2: 'x', namespace: 'n', name: 'c', 1: 'y', columns: [] },
    {},
    { owner: undefined },
    null,
    undefined,
    'text',
    [1, { a: 2 }],
    { toJSON: () => ({ replaced: true }) },
    new Date(0),
  ],
}

describe('batch payload codec', () => {
  it.each([
    { name: 'a big batch in many gzip members', batch: big },
    { name: 'a small batch', batch: { kind: 'dbt', scope: 's', datasets: [] } },
    { name: 'datasets of every shape', batch: odd },
  ])('round-trips $name to exactly JSON.stringify, hashed the same', ({ batch }) => {
    const { contentHash, payload } = encodeBatch(batch)
    const text = JSON.stringify(batch)
    expect(decodeBatchPayload(payload)).toBe(text)
    expect(contentHash).toBe(createHash('sha256').update(text).digest('hex'))
  })

  it("keeps each dataset's columns text, as JSON.stringify writes the array", () => {
    const { columnsJson } = encodeBatch(odd)
    expect(columnsJson.get(columns)).toBe(JSON.stringify(columns))
    expect([...columnsJson.values()]).toEqual([JSON.stringify(columns), '[]'])
  })
})
