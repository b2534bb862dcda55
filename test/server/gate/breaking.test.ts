import { describe, expect, it } from 'vitest'
import type { Column } from '../../../collectors/batch.ts'
import { breakingChanges, columnChanges } from '../../../server/gate/breaking.ts'
import type { MeshDataset } from '../../../server/gate/mesh.ts'

const cols = (spec: string): Column[] =>
  spec
    .split(',')
    .filter(Boolean)
    .map((s) => {
      const [name = '', type] = s.split(':')
      return { name, ...(type ? { type } : {}) }
    })

const model = (over: Partial<MeshDataset> = {}): MeshDataset => ({
  namespace: 'duckdb://mesh.duckdb',
  name: 'mesh.sales.orders',
  key: 'k',
  id: 1,
  project: 'dbt:sales',
  kind: 'model',
  access: 'public',
  contractEnforced: true,
  externalId: 'model.sales.orders',
  columns: cols('order_id:integer,channel:varchar'),
  ...over,
})

describe('columnChanges', () => {
  it.each([
    { name: 'nothing changed', before: 'a:int,b:varchar', after: 'a:INT,b:VARCHAR', expected: [] },
    { name: 'an added column is compatible', before: 'a:int', after: 'a:int,b:date', expected: [] },
    {
      name: 'a removed column',
      before: 'a:int,b:varchar',
      after: 'a:int',
      expected: ['column b removed (was varchar)'],
    },
    {
      name: 'a renamed column',
      before: 'a:int,b:varchar',
      after: 'a:int,c:varchar',
      expected: ['column b renamed to c (removed b, added c of the same type)'],
    },
    {
      name: 'a removed and an unrelated added column',
      before: 'a:int,b:varchar',
      after: 'a:int,c:date',
      expected: ['column b removed (was varchar)'],
    },
    {
      name: 'a changed type',
      before: 'a:int,b:varchar',
      after: 'a:bigint,b:varchar',
      expected: ['column a changed type from int to bigint'],
    },
    { name: 'case-blind names', before: 'A:int', after: 'a:int', expected: [] },
  ])('$name', ({ before, after, expected }) => {
    expect(columnChanges(cols(before), cols(after))).toEqual(expected)
  })
})

describe('breakingChanges', () => {
  it.each([
    { name: 'unchanged', after: model(), expected: [] },
    { name: 'model removed', after: undefined, expected: ['the model was removed'] },
    {
      name: 'contract dropped',
      after: model({ contractEnforced: false }),
      expected: ['contract dropped (contract.enforced is no longer true)'],
    },
    {
      name: 'access narrowed',
      after: model({ access: 'protected' }),
      expected: ['access narrowed from public to protected'],
    },
    {
      name: 'access absent means protected',
      after: model({ access: undefined }),
      expected: ['access narrowed from public to protected (default)'],
    },
    {
      name: 'columns unknown on one side are not compared',
      after: model({ columns: undefined }),
      expected: [],
    },
  ])('$name', ({ after, expected }) => {
    expect(breakingChanges(model(), after)).toEqual(expected)
  })

  it('names a removed model version', () => {
    expect(breakingChanges(model({ externalId: 'model.sales.orders.v1' }), undefined)).toEqual([
      'version 1 of the model was removed',
    ])
  })
})
