import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Batch } from '../../collectors/batch.ts'
import { parseDbtArtifacts } from '../../collectors/dbt/index.ts'
import { EMPTY_CONFIG } from '../../server/config-file.ts'
import { FIXTURES } from '../../server/demo.ts'
import { evaluateGate } from '../../server/gate/evaluate.ts'
import { regressionsOf } from '../../server/gate/types.ts'

// #13's dbt cases carried through to what the user sees (the gate's verdict, a product's
// freshness), on our own real dbt recordings rewritten to the public shapes.
const NOW = new Date('2026-11-26T00:00:00Z')
const NS = 'duckdb://mesh.duckdb'
type Json = Record<string, unknown>
const read = (dir: string, file: string): Json =>
  JSON.parse(readFileSync(join(FIXTURES, dir, file), 'utf8')) as Json
const parse = (dir: string, runResults?: Json): Batch =>
  parseDbtArtifacts(
    {
      manifest: read(dir, 'manifest.json'),
      runResults: runResults ?? read(dir, 'run_results.json'),
    },
    { namespace: NS },
  )

describe('the gate on a run_results.json entry with a malformed optional field', () => {
  // OpenLineage/OpenLineage @ 8f02abfb7a252783b95df79f443edb13959bf52c,
  // integration/common/tests/dbt/no_test_metadata/target/run_results.json: `failures` as text.
  // The result was dropped whole, so the gate passed a pull request whose test failed.
  it('fails the pull request whose test fails, its failures field written as text', () => {
    const bad = 'dbt/bad/sales/target'
    const runResults = read(bad, 'run_results.json')
    const results = runResults['results'] as Json[]
    const failing = results.find((r) => r['status'] === 'fail')
    if (!failing) throw new Error('the bad day has a failing test')
    failing['failures'] = '1'
    const report = evaluateGate({
      current: parse(bad, runResults),
      baseline: [parse('dbt/good/sales/target')],
      baselineLabel: 'good',
      config: EMPTY_CONFIG,
      now: NOW,
    })
    const tests = regressionsOf(report).filter((c) => c.category === 'tests')
    expect(tests.map((c) => c.targets).flat()).toContain(String(failing['unique_id']))
    expect(report.checks.some((c) => c.status === 'fail')).toBe(true)
  })
})

describe('freshness.json (dbt Fusion, v0) with a model result', () => {
  // yu-iskw/dbt-artifacts-parser-ts @ b5eda47ba0e17118a0bea1bec4032eaefa0ecb9f,
  // packages/dbt-artifacts-parser/resources/freshness/v0/jaffle_shop/freshness_v2.json: results
  // carry a resource_type and a capitalized status; `dbt freshness` writes models there too.
  it('gives the model its freshness, as for a source', () => {
    const dir = 'dbt/compat/target'
    const sources = read(dir, 'sources.json')
    const freshness = {
      metadata: {
        ...(sources['metadata'] as Json),
        dbt_schema_version: 'https://schemas.getdbt.com/dbt/freshness/v0.json',
        dbt_version: '2.0.6',
      },
      results: [
        {
          unique_id: 'model.compat_shop.orders',
          resource_type: 'model',
          max_loaded_at: '2026-09-24T04:47:54.485417Z',
          snapshotted_at: '2026-09-24T04:48:26.782580Z',
          max_loaded_at_time_ago_in_s: 32.0,
          status: 'Warn',
          criteria: { warn_after: { count: 12, period: 'hour' } },
          adapter_response: {},
          timing: [],
          thread_id: 'Thread-13',
          execution_time: 0.0,
        },
      ],
      elapsed_time: 0.0,
    }
    const batch = parseDbtArtifacts(
      { manifest: read(dir, 'manifest.json'), freshness },
      { namespace: 'duckdb://compat.duckdb' },
    )
    expect(batch.metrics).toEqual([
      expect.objectContaining({
        dataset: { namespace: 'duckdb://compat.duckdb', name: 'compat.shop.orders' },
        name: 'freshness_age_seconds',
        value: 32,
        status: 'warn',
      }),
    ])
  })
})

describe('a manifest with nothing in it', () => {
  // Bezawit-cloud/medical-telegram-warehouse @ b628960013de6ca5c64a849ed230e2a55eece93d and
  // AsyrafMustaffa-01/medallion-Azure-DBT-spark @ 9dbd1cb53455c8d56197e10d2b403b33c1e22bfb commit
  // target/ of a project dbt found no models in (dbt 1.11.2 postgres, 1.7.11 databricks): collected,
  // it gave the invocation's job and nothing else, without a word.
  it('says the manifest holds no model, seed, snapshot or source', () => {
    const manifest = read('dbt/compat/target', 'manifest.json')
    for (const k of ['nodes', 'sources', 'exposures', 'functions', 'parent_map', 'child_map'])
      manifest[k] = {}
    const batch = parseDbtArtifacts({ manifest }, { namespace: 'duckdb://compat.duckdb' })
    expect(batch.datasets).toEqual([])
    expect(batch.warnings).toEqual([
      'manifest.json: holds no model, seed, snapshot or source: nothing to map (is it the manifest of the project you meant, parsed with its model-paths?)',
    ])
  })
})
