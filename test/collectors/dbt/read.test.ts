import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import { readDbtTarget } from '../../../collectors/dbt/index.ts'
import { HAS_SHARED, SHARED_DBT } from './helpers.ts'

const shared = (file: string): string => readFileSync(join(SHARED_DBT, file), 'utf8')
const MANIFEST_V12 = 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.12.json'

/** A project dir with a target/ holding the given files; returns the target dir. */
function targetDir(files: Record<string, string>, project?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'meshwatch-dbt-'))
  const target = join(root, 'target')
  mkdirSync(target)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(target, name), text)
  if (project !== undefined) writeFileSync(join(root, 'dbt_project.yml'), project)
  return target
}

const header = (kind: string, v: number): string =>
  JSON.stringify({
    metadata: { dbt_schema_version: `https://schemas.getdbt.com/dbt/${kind}/v${v}.json` },
  })

describe('readDbtTarget refuses a bad envelope whole', () => {
  it('refuses a missing directory', async () => {
    await expect(readDbtTarget('/nonexistent/target', { namespace: 'bigquery' })).rejects.toThrow(
      new CollectorError('/nonexistent/target: not a directory (expected a dbt target/ dir)', {
        file: '/nonexistent/target',
      }),
    )
  })

  it('refuses a target dir without manifest.json', async () => {
    const dir = targetDir({ 'run_results.json': header('run-results', 6) })
    await expect(readDbtTarget(dir, { namespace: 'bigquery' })).rejects.toThrow(
      `${join(dir, 'manifest.json')}: cannot read (required dbt artifact)`,
    )
  })

  it.each([
    {
      name: 'truncated JSON',
      text: '{"metadata": {"dbt_schema_version": "https://sch',
      why: /not JSON, or truncated/,
    },
    { name: 'not JSON at all', text: 'manifest', why: /not JSON, or truncated/ },
    { name: 'JSON that is not a dbt artifact', text: '[1, 2]', why: /not a dbt artifact/ },
    {
      name: 'run_results given as the manifest',
      text: header('run-results', 6),
      why: /is a dbt run-results artifact \(v6\), expected a dbt manifest artifact/,
    },
    {
      name: 'a v5 manifest',
      text: header('manifest', 5),
      why: /manifest\.json: dbt manifest schema v5 is not supported \(supported: v7–v12, dbt 1\.3–1\.12; v20 of dbt Fusion betas\)$/,
    },
    {
      name: 'a v13 manifest',
      text: header('manifest', 13),
      why: /dbt manifest schema v13 is not supported \(supported: v7–v12/,
    },
  ])('refuses $name as manifest.json', async ({ text, why }) => {
    const dir = targetDir({ 'manifest.json': text })
    const err = await readDbtTarget(dir, { namespace: 'bigquery' }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CollectorError)
    expect(err).toHaveProperty('message', expect.stringMatching(why))
    expect(err).toHaveProperty('file', join(dir, 'manifest.json'))
  })

  it.skipIf(!HAS_SHARED)('refuses a v3 run_results.json next to a good manifest', async () => {
    const dir = targetDir({
      'manifest.json': shared(MANIFEST_V12),
      'run_results.json': shared('jaffle_shop/run_results/v3/jaffle_shop/run_results.json'),
    })
    await expect(readDbtTarget(dir, { namespace: 'duckdb://x' })).rejects.toThrow(
      `${join(dir, 'run_results.json')}: dbt run-results schema v3 is not supported (supported: v4–v6, dbt 1.0–1.12)`,
    )
  })
})

describe.skipIf(!HAS_SHARED)('readDbtTarget with a good target dir', () => {
  it('loads a manifest without run_results.json, with no runs', async () => {
    const batch = await readDbtTarget(targetDir({ 'manifest.json': shared(MANIFEST_V12) }), {
      namespace: 'duckdb://jaffle_shop.duckdb',
    })
    expect(batch.runs).toEqual([])
    expect(batch.assertions).toEqual([])
    expect(batch.datasets.length).toBeGreaterThan(0)
  })

  it('names datasets from the profile named in dbt_project.yml', async () => {
    const project = 'name: jaffle_shop\nprofile: jaffle\n'
    const dir = targetDir({ 'manifest.json': shared(MANIFEST_V12) }, project)
    const profiles = join(dir, '..')
    writeFileSync(
      join(profiles, 'profiles.yml'),
      "jaffle:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('DUCK', 'jaffle_shop.duckdb') }}\"\n",
    )
    const batch = await readDbtTarget(dir, { env: { DUCK: '/data/j.duckdb' } })
    expect(batch.scope).toBe('dbt:jaffle_shop')
    expect(new Set(batch.datasets.map((d) => d.namespace))).toEqual(
      new Set(['duckdb:///data/j.duckdb']),
    )
    expect(batch.jobs.find((j) => j.type === 'dbt_project')?.namespace).toBe('default')
  })

  it('refuses when the given profiles dir has no profiles.yml', async () => {
    const dir = targetDir({ 'manifest.json': shared(MANIFEST_V12) })
    await expect(readDbtTarget(dir, { profilesDir: '/nonexistent' })).rejects.toThrow(
      /no profiles\.yml in \/nonexistent \(given by --profiles-dir\)/,
    )
  })
})
