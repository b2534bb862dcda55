import { describe, expect, it } from 'vitest'
import { specFacetKeys } from '../../../collectors/openlineage/facet-keys.ts'

// collectors/openlineage/facet-keys.ts: a facet under a key of its own is read by its _schemaURL
// (the Airflow provider's all-facets DAG, test/server/openlineage-conformance.test.ts).
const url = (f: string) => `https://openlineage.io/spec/facets/1-0-1/${f}.json#/$defs/${f}`
const test = { _schemaURL: url('TestRunFacet'), tests: [] }

describe('specFacetKeys', () => {
  it.each([
    {
      name: 'copies a run facet under its spec key, leaving the sent key and the raw event',
      facets: { testRun: test },
      expected: { testRun: test, test },
      moves: [{ path: '$.run.facets', from: 'testRun', to: 'test' }],
    },
    {
      name: 'never replaces a facet the event already has under the spec key',
      facets: { test: { tests: [{ name: 'a', status: 'pass' }] }, testRun: test },
      expected: { test: { tests: [{ name: 'a', status: 'pass' }] }, testRun: test },
      moves: [],
    },
    {
      name: 'leaves a facet whose _schemaURL names no facet meshwatch reads',
      facets: {
        airflow: {
          _schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet',
        },
      },
      expected: {
        airflow: {
          _schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet',
        },
      },
      moves: [],
    },
  ])('$name', ({ facets, expected, moves }) => {
    const raw = { run: { runId: 'r', facets }, job: { namespace: 'n', name: 'j' } }
    const before = JSON.stringify(raw)
    const r = specFacetKeys(raw)
    expect((r.event as typeof raw).run.facets).toEqual(expected)
    expect(r.moves).toEqual(moves)
    expect(JSON.stringify(raw)).toBe(before)
  })

  it('reads dataset and input facets too', () => {
    const r = specFacetKeys({
      inputs: [
        {
          namespace: 'n',
          name: 'd',
          inputFacets: {
            dq: { _schemaURL: url('DataQualityAssertionsDatasetFacet'), assertions: [] },
          },
        },
      ],
    })
    expect(r.moves).toEqual([
      { path: '$.inputs[0].inputFacets', from: 'dq', to: 'dataQualityAssertions' },
    ])
  })
})
