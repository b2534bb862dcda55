import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Batch, ColumnEdge } from '../../../collectors/batch.ts'
import { expandDatasetWide } from '../../../collectors/dbt/column-lineage/dataset-wide.ts'
import { addColumnLineage } from '../../../collectors/dbt/column-lineage/index.ts'
import { mapDbtArtifacts } from '../../../collectors/dbt/map.ts'
import { HAS_SHARED, REPO, SHARED_DBT } from './helpers.ts'

/*
 * walk.ts (one parse, walked in JS) against the parser's own per-column lineage and query
 * analysis (lineage.ts lineageByParser), on every model of real manifests: where the walk gives
 * an answer it must be the parser's, edge for edge (transformations included). The models the
 * walk declines go the parser's way in both runs.
 */
const NS = 'duckdb://mesh.duckdb'
const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'))

function manifests(root: string): string[] {
  if (!existsSync(root)) return []
  const walk = (d: string): string[] =>
    readdirSync(d, { withFileTypes: true }).flatMap((f) =>
      f.isDirectory() ? walk(join(d, f.name)) : f.name === 'manifest.json' ? [join(d, f.name)] : [],
    )
  return walk(root).sort()
}
const OWN = [
  ...['sales', 'finance', 'marketing', 'product'].map((p) =>
    join(REPO, 'fixtures/dbt/good', p, 'target/manifest.json'),
  ),
  join(REPO, 'fixtures/dbt/compat/target/manifest.json'),
  ...manifests(join(REPO, 'fixtures/dbt/dialects')),
]
// the manifests collect dbt reads (schema v7 and later)
const SHARED = HAS_SHARED
  ? manifests(join(SHARED_DBT, 'jaffle_shop')).filter((m) => Number(/\/v(\d+)\//.exec(m)?.[1]) >= 7)
  : []

function collect(manifest: string, engine: 'walk' | 'parser', perColumn = false): Batch {
  const catalog = join(dirname(manifest), 'catalog.json')
  return mapDbtArtifacts(
    {
      manifest: readJson(manifest),
      ...(existsSync(catalog) ? { catalog: readJson(catalog) } : {}),
    },
    { namespace: NS },
    (batch, graph, adapter) => addColumnLineage(batch, graph, adapter, { engine, perColumn }),
  )
}
const line = (e: ColumnEdge) =>
  `${e.dataset.name}.${e.column} <- ${e.from.name}.${e.fromColumn} ${e.transformation}`

describe('column lineage: the one-parse walk gives what the parser gives', () => {
  it.each([...OWN, ...SHARED].map((m) => relative(REPO, m)))(
    '%s',
    (file) => {
      const manifest = join(REPO, file)
      const walked = collect(manifest, 'walk')
      const parser = collect(manifest, 'parser')
      expect(walked.columnEdges.map(line).sort()).toEqual(parser.columnEdges.map(line).sort())
      expect(walked.warnings).toEqual(parser.warnings)
      // something was compared: edges, or (a select * of a table nobody knows) the warning saying so
      const told = parser.warnings.filter((w) => w.startsWith('column lineage:'))
      expect(parser.columnEdges.length + told.length).toBeGreaterThan(0)
      // A fixed amount of work (every model, both engines); the parser's per-column lineage costs
      // ~100x the walk, and the 35 models of jaffle_shop v11 took 7 s to 32 s on a loaded machine.
      // The timeout only catches a hang.
    },
    120_000,
  )
})

/*
 * The uses of joins, filters and groupings shape every output column of a model: stored once per
 * model (column `*`, as OpenLineage's dataset-wide `dataset` field), they expand to exactly the
 * edges one per output column gave.
 */
describe('column lineage: dataset-wide uses expand to the edges per output column', () => {
  it.each([...OWN, ...SHARED].map((m) => relative(REPO, m)))(
    '%s',
    (file) => {
      const manifest = join(REPO, file)
      const wide = collect(manifest, 'walk')
      const perColumn = collect(manifest, 'walk', true)
      expect(expandDatasetWide(wide.columnEdges).map(line).sort()).toEqual(
        perColumn.columnEdges.map(line).sort(),
      )
      expect(perColumn.columnEdges.some((e) => e.column === '*')).toBe(false)
      expect(wide.columnEdges.length).toBeLessThanOrEqual(perColumn.columnEdges.length)
    },
    120_000,
  )
})
