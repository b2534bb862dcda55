import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import type { ColumnEdge } from '../../../collectors/batch.ts'
import { expandDatasetWide } from '../../../collectors/dbt/column-lineage/dataset-wide.ts'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { runEvent } from './helpers.ts'

// The spec's own Spark column-lineage facet with a dataset-wide `dataset` list (sorted by
// last_name, first_name; filtered on age): OpenLineage/OpenLineage spec/tests, recorded by
// fixtures/openlineage/public/record.sh (see its README for the commit).
const FACET = fileURLToPath(
  new URL(
    '../../../fixtures/openlineage/public/openlineage/spec/tests/ColumnLineageDatasetFacet/2.json',
    import.meta.url,
  ),
)
const PEOPLE = { namespace: 's3://test-bucket', name: '/iceberg_warehouse/some-database/people' }
const OUT = { namespace: 's3://test-bucket', name: '/out/people_next_year' }

function edgesOf(columnLineage: object, schema?: object): ColumnEdge[] {
  const r = parseEvent(
    runEvent({
      inputs: [PEOPLE],
      outputs: [{ ...OUT, facets: { columnLineage, ...(schema ? { schema } : {}) } }],
    }),
  )
  if (!r.ok) throw new Error(JSON.stringify(r))
  return r.batch.columnEdges
}

const line = (e: ColumnEdge) => `${e.column} <- ${e.fromColumn} ${e.transformation ?? ''}`
const facet = () =>
  (JSON.parse(readFileSync(FACET, 'utf8')) as { columnLineage: Record<string, unknown> })
    .columnLineage

describe('a columnLineage facet’s dataset-wide `dataset` list', () => {
  it('is one `*` edge per input, not one edge per output column', () => {
    const edges = edgesOf(facet())
    expect(edges.filter((e) => e.column === '*').map(line)).toEqual([
      '* <- last_name INDIRECT/SORT',
      '* <- first_name INDIRECT/SORT',
      '* <- age INDIRECT/FILTER',
    ])
    expect(
      edges.filter((e) => e.transformation?.startsWith('INDIRECT') && e.column !== '*'),
    ).toEqual([])
    expect(edges.every((e) => e.from.name === PEOPLE.name && e.dataset.name === OUT.name)).toBe(
      true,
    )
  })

  it('expands to every output column as before, a direct use of the same input staying direct', () => {
    const expanded = expandDatasetWide(edgesOf(facet()))
    const of = (column: string) =>
      expanded
        .filter((e) => e.column === column)
        .map(line)
        .sort()
    expect(of('lastName')).toEqual([
      'lastName <- age INDIRECT/FILTER',
      'lastName <- first_name INDIRECT/SORT',
      'lastName <- last_name DIRECT/IDENTITY',
    ])
    expect(of('ageNextYear')).toEqual([
      'ageNextYear <- age DIRECT/TRANSFORMATION',
      'ageNextYear <- first_name INDIRECT/SORT',
      'ageNextYear <- last_name INDIRECT/SORT',
    ])
    expect(expanded).toHaveLength(4 + 4 * 3 - 3)
  })

  it('without `fields` (nothing to expand `*` to) is an edge to each column of the schema', () => {
    const edges = edgesOf(
      { ...facet(), fields: {} },
      { fields: [{ name: 'id' }, { name: 'firstName' }] },
    )
    expect(edges.map(line).sort()).toEqual([
      'firstName <- age INDIRECT/FILTER',
      'firstName <- first_name INDIRECT/SORT',
      'firstName <- last_name INDIRECT/SORT',
      'id <- age INDIRECT/FILTER',
      'id <- first_name INDIRECT/SORT',
      'id <- last_name INDIRECT/SORT',
    ])
  })
})
