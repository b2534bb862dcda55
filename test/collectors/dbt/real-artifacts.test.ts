import { describe, expect, it } from 'vitest'
import { BatchSchema, CollectorError } from '../../../collectors/batch.ts'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'
import { HAS_SHARED, readShared, sharedFiles, versionOf } from './helpers.ts'

const NS = 'postgres://warehouse:5432'
const manifests = sharedFiles('jaffle_shop/manifest')
const runResults = sharedFiles('jaffle_shop/run_results')
const catalogs = sharedFiles('jaffle_shop/catalog')
const mesh = sharedFiles('mesh')
const V12_1_9 = 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.9.json'

describe.skipIf(!HAS_SHARED)('real dbt artifacts from ../shared', () => {
  it.each([...manifests.filter((f) => versionOf(f) >= 7), ...mesh])(
    'maps %s to a valid batch',
    (file) => {
      const batch = parseDbtArtifacts(
        { manifest: readShared(file), files: { manifest: file } },
        {
          namespace: NS,
        },
      )
      expect(BatchSchema.parse(batch)).toEqual(batch)
      expect(batch.kind).toBe('dbt')
      expect(batch.replaceEdges).toBe(true)
      expect(batch.scope).toMatch(/^dbt:\w+$/)
      expect(batch.producedAt).toBeDefined()
      expect(batch.datasets.length).toBeGreaterThan(0)
      expect(batch.jobs.filter((j) => j.type === 'dbt_project')).toHaveLength(1)
      expect(batch.checks.length).toBeGreaterThan(0)
      // column lineage reports the models it cannot trace (tested in column-lineage.test.ts)
      expect(batch.warnings.filter((w) => !w.startsWith('column lineage:'))).toEqual([])
    },
  )

  it.each(manifests.filter((f) => versionOf(f) < 7))('refuses the older manifest %s', (file) => {
    const v = versionOf(file)
    expect(() =>
      parseDbtArtifacts(
        { manifest: readShared(file), files: { manifest: file } },
        { namespace: NS },
      ),
    ).toThrow(
      new CollectorError(
        `${file}: dbt manifest schema v${v} is not supported (supported: v7–v12, dbt 1.3–1.12; v20 of dbt Fusion betas)`,
        { file },
      ),
    )
  })

  // Each run_results with the manifest of its dbt version: a manifest older than the run
  // results, from another invocation, is refused (next test).
  const manifestFor = (file: string): string =>
    file.includes('1.12')
      ? 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.12.json'
      : file.includes('1.11')
        ? 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.11.json'
        : V12_1_9
  it.each(runResults.filter((f) => versionOf(f) >= 4))('loads the run results %s', (file) => {
    const batch = parseDbtArtifacts(
      { manifest: readShared(manifestFor(file)), runResults: readShared(file) },
      { namespace: NS },
    )
    expect(BatchSchema.safeParse(batch).success).toBe(true)
  })

  it('refuses run results newer than the manifest and from another invocation, naming both files', () => {
    expect(() =>
      parseDbtArtifacts(
        {
          manifest: readShared('jaffle_shop/manifest/v12/jaffle_shop/manifest_1.10.json'),
          runResults: readShared('jaffle_shop/run_results/v6/jaffle_shop/run_results_1.11.json'),
          files: { manifest: 'a/manifest.json', runResults: 'b/run_results.json' },
        },
        { namespace: NS },
      ),
    ).toThrow(
      'b/run_results.json (invocation 626fe22d-01d8-44eb-87b3-cf4d0d6c02d5 at 2026-03-12T05:46:46.291159Z) does not belong with a/manifest.json (invocation bb9c924f-874b-4e93-90a9-e7b20004e656 at 2025-10-11T00:05:38.551300Z)',
    )
  })

  it('refuses run results most of whose nodes the manifest does not have (another version of the project)', () => {
    expect(() =>
      parseDbtArtifacts(
        {
          manifest: readShared(V12_1_9),
          runResults: readShared('jaffle_shop/run_results/v6/jaffle_shop/run_results_1.12.json'),
          files: { manifest: 'a/manifest.json', runResults: 'b/run_results.json' },
        },
        { namespace: NS },
      ),
    ).toThrow(
      'b/run_results.json does not belong with a/manifest.json (project jaffle_shop): 14 of its 46 results are in the manifest',
    )
  })

  it('accepts a manifest rewritten by a later dbt command than the run results, and says so', () => {
    // dbt 1.11: run_results and catalog from `dbt docs generate`, the manifest from a later command
    const batch = parseDbtArtifacts(
      {
        manifest: readShared('jaffle_shop/manifest/v12/jaffle_shop/manifest_1.11.json'),
        runResults: readShared('jaffle_shop/run_results/v6/jaffle_shop/run_results_1.11.json'),
        catalog: readShared('jaffle_shop/catalog/v1/jaffle_shop/catalog_1.11.json'),
      },
      { namespace: NS },
    )
    expect(batch.warnings).toContain(
      'run_results.json is from invocation 626fe22d-01d8-44eb-87b3-cf4d0d6c02d5 at 2026-03-12T05:46:46.291159Z, manifest.json from a later invocation abc3c130-e103-4092-b9f1-a1ebccf0ba0d at 2026-03-12T05:47:33.531072Z: results are mapped onto the later manifest',
    )
  })

  it.each(runResults.filter((f) => versionOf(f) < 4))(
    'refuses the older run results %s',
    (file) => {
      expect(() =>
        parseDbtArtifacts(
          {
            manifest: readShared(V12_1_9),
            runResults: readShared(file),
            files: { runResults: file },
          },
          { namespace: NS },
        ),
      ).toThrow(/run-results schema v[123] is not supported \(supported: v4–v6, dbt 1\.0–1\.12\)/)
    },
  )

  it('records a run per executed node of a dbt build, with a failed model as FAIL', () => {
    const batch = parseDbtArtifacts(
      {
        manifest: readShared('jaffle_shop/manifest/v12/jaffle_shop/manifest_1.9.json'),
        runResults: readShared('jaffle_shop/run_results/v6/jaffle_shop/run_results.json'),
      },
      { namespace: 'bigquery' },
    )
    const project = batch.runs.find((r) => r.job.name === 'dbt-run-jaffle_shop')
    expect(project?.state).toBe('COMPLETE')
    const nodeRuns = batch.runs.filter((r) => r.parentRunId === project?.runId)
    expect(nodeRuns.length).toBeGreaterThan(30)
    expect(nodeRuns.every((r) => r.startedAt && r.endedAt && r.state === 'COMPLETE')).toBe(true)
    expect(batch.assertions).toHaveLength(20)
    expect(batch.assertions.every((a) => a.status === 'pass')).toBe(true)
  })

  it('gives the same run ids when the same artifacts are collected twice', () => {
    const input = {
      manifest: readShared(V12_1_9),
      runResults: readShared('jaffle_shop/run_results/v6/jaffle_shop/run_results.json'),
    }
    const ids = () => parseDbtArtifacts(input, { namespace: NS }).runs.map((r) => r.runId)
    expect(ids()).toEqual(ids())
  })

  it('records no runs for the results of dbt docs generate, and says so', () => {
    const batch = parseDbtArtifacts(
      {
        manifest: readShared('jaffle_shop/manifest/v12/jaffle_shop/manifest_1.12.json'),
        runResults: readShared('jaffle_shop/run_results/v6/jaffle_shop/run_results_1.12.json'),
      },
      { namespace: 'duckdb://jaffle_shop.duckdb' },
    )
    expect(batch.runs).toEqual([])
    expect(batch.warnings.filter((w) => !w.startsWith('column lineage:'))).toEqual([
      "run_results.json: from 'dbt generate', which executes nothing: no runs recorded",
    ])
  })

  it.each(catalogs)('takes column types from the catalog %s', (file) => {
    const manifest = file.includes('1.12')
      ? 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.12.json'
      : file.includes('1.11')
        ? 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.11.json'
        : V12_1_9
    const batch = parseDbtArtifacts(
      { manifest: readShared(manifest), catalog: readShared(file) },
      { namespace: NS },
    )
    expect(BatchSchema.safeParse(batch).success).toBe(true)
    const typed = batch.datasets.filter((d) => d.columns?.some((c) => c.type))
    expect(typed.length).toBeGreaterThan(0)
  })

  it('keeps enforced contracts with column types and constraints', () => {
    const batch = parseDbtArtifacts(
      { manifest: readShared('mesh/dbterd_model_contract_manifest.json') },
      { namespace: 'snowflake://xy12345.us-west-1.aws' },
    )
    const segment = batch.datasets.find(
      (d) => d.externalId === 'model.jaffle_shop.dim_customer_segment',
    )
    expect(segment?.contractEnforced).toBe(true)
    expect(segment?.columns?.find((c) => c.name === 'customer_id')).toMatchObject({
      type: 'text',
      constraints: ['not_null', 'primary_key'],
    })
  })

  it('names each version of a versioned model by its alias and its job by unique_id', () => {
    const batch = parseDbtArtifacts(
      { manifest: readShared('mesh/cosmos_model_versions_manifest.json') },
      { namespace: NS },
    )
    const names = batch.datasets.map((d) => d.name)
    expect(names).toEqual(
      expect.arrayContaining(['airflow.public.customers_v1', 'airflow.public.customers_v2']),
    )
    expect(batch.jobs.map((j) => j.name)).toEqual(
      expect.arrayContaining([
        'airflow.public.jaffle_shop.customers.v1',
        'airflow.public.jaffle_shop.customers.v2',
      ]),
    )
  })
})
