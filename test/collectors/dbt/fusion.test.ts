import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BatchSchema } from '../../../collectors/batch.ts'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'
import { REPO } from './helpers.ts'

/*
 * dbt Fusion / dbt 2 artifacts, in the shapes the public Fusion artifacts show
 * (yu-iskw/dbt-artifacts-parser-ts, packages/dbt-artifacts-parser/resources:
 * manifest/v12/jaffle_shop/manifest_v2.json and run_results/v6/jaffle_shop/run_results_v2.json
 * at b76895da8e0fd38623271e3bad27614f826addaf, dbt 2.0.6; freshness/v0/compat/freshness_fusion.json
 * at 8c089c4613d8387bf28047e962b2f50f63bbdcb4; sources/v3/dbt_v2/sources_2.0.4_compat.json at
 * af8f6bba10ad9914c574dc8ac5e3724ff8103ec7). Those files are not copied here: each test takes
 * our own real dbt 1.11 recording (fixtures/dbt/compat) and rewrites it to the Fusion shape.
 */
const DIR = join(REPO, 'fixtures/dbt/compat/target')
type Json = Record<string, unknown>
const read = (file: string): Json => JSON.parse(readFileSync(join(DIR, file), 'utf8')) as Json
const resultsOf = (artifact: Json): Json[] => artifact['results'] as Json[]
const NS = 'duckdb://compat.duckdb'

/** run_results.json as dbt Fusion writes it: no message/compiled/compiled_code, failures only on tests, no errored or skipped nodes. */
function fusionRunResults(): Json {
  const rr = read('run_results.json')
  const meta = rr['metadata'] as Json
  meta['dbt_version'] = '2.0.6'
  rr['results'] = resultsOf(rr)
    .filter((r) => r['status'] !== 'skipped' && r['status'] !== 'error')
    .map((r) => {
      const { message: _m, compiled: _c, compiled_code: _cc, failures, ...rest } = r
      return String(r['unique_id']).startsWith('test.') ? { ...rest, failures } : rest
    })
  return rr
}

/** Fusion's freshness.json (v0): sources.json's results, statuses capitalized, with resource_type. */
function fusionFreshness(): Json {
  const src = read('sources.json')
  const meta = { ...(src['metadata'] as Json) }
  meta['dbt_schema_version'] = 'https://schemas.getdbt.com/dbt/freshness/v0.json'
  meta['dbt_version'] = '2.0.6'
  const cap = (s: unknown) => String(s).charAt(0).toUpperCase() + String(s).slice(1)
  return {
    metadata: meta,
    results: resultsOf(src).map((r) => ({
      ...r,
      resource_type: 'source',
      status: cap(r['status']),
    })),
    elapsed_time: src['elapsed_time'],
  }
}

describe('dbt Fusion (dbt 2) artifacts', () => {
  const manifest = read('manifest.json')

  it('reads run results without message/compiled and with failures only on tests', () => {
    const batch = parseDbtArtifacts({ manifest, runResults: fusionRunResults() }, { namespace: NS })
    expect(BatchSchema.parse(batch)).toEqual(batch)
    const failed = batch.assertions.find((a) => a.status === 'fail')
    expect(failed).toMatchObject({ failures: 1, dataset: { name: 'compat.shop_raw.raw_orders' } })
    expect(failed).not.toHaveProperty('message')
    expect(batch.runs.find((r) => r.job.name === 'compat.shop.compat_shop.customers')?.state).toBe(
      'COMPLETE',
    )
  })

  it('says which nodes have no result instead of treating them as not run', () => {
    const batch = parseDbtArtifacts({ manifest, runResults: fusionRunResults() }, { namespace: NS })
    expect(batch.runs.some((r) => r.job.name === 'compat.shop.compat_shop.orders')).toBe(false)
    expect(batch.warnings).toContainEqual(
      "run_results.json: from dbt 2.0.6, which writes no result for a node that errored or was skipped: 2 node(s) of the manifest have none (model.compat_shop.orders, test.compat_shop.not_null_orders_order_id.cf6c17daed); whether they ran, failed or were not selected is unknown, and the invocation's state counts only the results written",
    )
  })

  it('reads freshness.json (v0) with capitalized statuses', () => {
    const batch = parseDbtArtifacts({ manifest, freshness: fusionFreshness() }, { namespace: NS })
    const status = Object.fromEntries(batch.metrics.map((m) => [m.dataset.name, m.status]))
    expect(status).toEqual({
      'compat.shop_raw.raw_customers': 'error',
      'compat.shop_raw.raw_orders': 'pass',
    })
    expect(batch.warnings).toContainEqual(
      'freshness.json: no freshness result for 1 node(s) with freshness criteria (source.compat_shop.shop_raw.raw_refunds): their check errored or was not selected, so their freshness is unknown',
    )
  })

  it('keeps the status of a sources.json written by dbt 2 (capitalized)', () => {
    const sources = read('sources.json')
    for (const r of resultsOf(sources)) r['status'] = String(r['status']).toUpperCase()
    const batch = parseDbtArtifacts({ manifest, sources }, { namespace: NS })
    expect(batch.metrics.map((m) => m.status).sort()).toEqual(['error', 'pass'])
  })

  it('reads a v12 manifest with the keys dbt 2 adds', () => {
    const fusion = read('manifest.json')
    const nodes = fusion['nodes'] as Record<string, Json>
    for (const node of Object.values(nodes)) {
      node['classifiers'] = []
      node['primary_key'] = []
      const deps = node['depends_on'] as Json | undefined
      if (deps) deps['nodes_with_ref_location'] = []
      ;(node['config'] as Json)['static_analysis'] = 'baseline'
    }
    ;(fusion['metadata'] as Json)['dbt_version'] = '2.0.6'
    const plain = parseDbtArtifacts({ manifest }, { namespace: NS })
    const batch = parseDbtArtifacts({ manifest: fusion }, { namespace: NS })
    expect(batch).toEqual(plain)
  })

  it('reads a manifest a dbt Fusion beta labelled v20 (v12-shaped)', () => {
    // A7med-3laa227/dbt_bigquery_project@852a01d0d2690edc94c829e59ffc106bb4a37548 target/manifest.json:
    // dbt_version 2.0.0-beta.46, dbt_schema_version manifest/v20.json, nodes and sources as in v12
    const beta = read('manifest.json')
    const meta = beta['metadata'] as Json
    meta['dbt_schema_version'] = 'https://schemas.getdbt.com/dbt/manifest/v20.json'
    meta['dbt_version'] = '2.0.0-beta.46'
    const batch = parseDbtArtifacts({ manifest: beta }, { namespace: NS })
    expect(batch.datasets).toEqual(parseDbtArtifacts({ manifest }, { namespace: NS }).datasets)
  })
})
