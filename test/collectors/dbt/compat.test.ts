import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { describe, expect, it } from 'vitest'
import { BatchSchema, CollectorError } from '../../../collectors/batch.ts'
import { parseDbtArtifacts, readDbtTarget } from '../../../collectors/dbt/index.ts'
import { hashBatch } from '../../../server/ingest.ts'
import { HAS_SHARED, REPO, SHARED_DBT } from './helpers.ts'

// Recorded by fixtures/record/build-compat.sh with dbt-core + dbt-duckdb (see fixtures/dbt/README.md)
const COMPAT = join(REPO, 'fixtures/dbt/compat/target')
const COMPAT_PROJECT = join(REPO, 'fixtures/dbt/projects/compat')
const SALES = join(REPO, 'fixtures/dbt/good/sales/target')
const FINANCE = join(REPO, 'fixtures/dbt/good/finance/target')
const read = (dir: string, file: string): unknown =>
  JSON.parse(readFileSync(join(dir, file), 'utf8'))
const artifacts = (dir: string) => ({
  manifest: read(dir, 'manifest.json'),
  runResults: read(dir, 'run_results.json'),
  sources: read(dir, 'sources.json'),
  catalog: read(dir, 'catalog.json'),
})
const NS = 'duckdb://compat.duckdb'

const tmp = (): string => mkdtempSync(join(tmpdir(), 'mw-compat-'))

describe('profiles.yml as dbt accepts it', () => {
  it('reads a profiles.yml with a top-level config block, a YAML anchor holder, merge keys and an unused profile', async () => {
    const batch = await readDbtTarget(COMPAT, { projectDir: COMPAT_PROJECT, env: {} })
    expect(new Set(batch.datasets.map((d) => d.namespace))).toEqual(new Set([NS]))
  })

  it('without a dbt_project.yml, uses the profile named like the manifest project', async () => {
    const dir = tmp()
    cpSync(join(COMPAT_PROJECT, 'profiles.yml'), join(dir, 'profiles.yml'))
    const batch = await readDbtTarget(COMPAT, { projectDir: dir, env: {} })
    expect(batch.datasets[0]?.namespace).toBe(NS)
  })

  it('without a dbt_project.yml, uses the only profile when its name is not the project', async () => {
    // sales' profile is meshwatch_sales, its project sales
    const dir = tmp()
    cpSync(join(REPO, 'fixtures/dbt/projects/sales/profiles.yml'), join(dir, 'profiles.yml'))
    const batch = await readDbtTarget(SALES, { projectDir: dir, env: {} })
    expect(batch.datasets[0]?.namespace).toBe('duckdb://mesh.duckdb')
  })

  it('refuses to guess among several profiles none of which is named like the project', async () => {
    const dir = tmp()
    cpSync(join(COMPAT_PROJECT, 'profiles.yml'), join(dir, 'profiles.yml'))
    await expect(readDbtTarget(SALES, { projectDir: dir, env: {} })).rejects.toThrow(
      `${join(dir, 'profiles.yml')}: cannot choose a profile: none is named 'sales' (the manifest's project) and it has 2 (compat_shop, warehouse_prod)`,
    )
  })

  it('names the flags, where it looked and the namespace form when no profiles.yml is found', async () => {
    const dir = tmp()
    const target = join(dir, 'target')
    cpSync(COMPAT, target, { recursive: true })
    const err = await readDbtTarget(target, { env: {} }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(CollectorError)
    const { message } = err as CollectorError
    expect(message).toContain(
      `${join(target, 'manifest.json')}: cannot name datasets: no profiles.yml found`,
    )
    expect(message).toContain(`looked in ${join(dir, 'profiles.yml')} and `)
    expect(message).toContain('--namespace <ns>')
    expect(message).toContain('--profiles-dir')
    expect(message).toContain('--project-dir')
    expect(message).toContain(
      "the manifest's adapter is duckdb, so the namespace dbt-ol would use has the form duckdb://",
    )
  })

  it.each([
    { given: '--profiles-dir', opts: { profilesDir: '/nonexistent', env: {} } },
    { given: '$DBT_PROFILES_DIR', opts: { env: { DBT_PROFILES_DIR: '/nonexistent' } } },
  ])('says which setting named a dir without profiles.yml ($given)', async ({ given, opts }) => {
    await expect(readDbtTarget(COMPAT, { projectDir: COMPAT_PROJECT, ...opts })).rejects.toThrow(
      `/nonexistent/profiles.yml: no profiles.yml in /nonexistent (given by ${given}); point ${given} at the dir holding it, or pass --namespace <ns>`,
    )
  })

  it('checks the artifacts before the profile: a v2 manifest is refused as such, not as a missing env var', async () => {
    const dir = tmp()
    const target = join(dir, 'target')
    mkdirSync(target)
    const v12 = readFileSync(join(COMPAT, 'manifest.json'), 'utf8')
    writeFileSync(
      join(target, 'manifest.json'),
      v12.replace('manifest/v12.json', 'manifest/v2.json'),
    )
    // the unused profile's env vars are unset; dbt_project.yml names warehouse_prod
    cpSync(join(COMPAT_PROJECT, 'profiles.yml'), join(dir, 'profiles.yml'))
    writeFileSync(join(dir, 'dbt_project.yml'), 'name: compat_shop\nprofile: warehouse_prod\n')
    await expect(readDbtTarget(target, { env: {} })).rejects.toThrow(
      /manifest\.json: dbt manifest schema v2 is not supported/,
    )
  })
})

describe('dbt 1.10–1.12 features recorded from a real dbt build', () => {
  const batch = parseDbtArtifacts(artifacts(COMPAT), { namespace: NS })

  it('maps to a valid batch', () => {
    expect(BatchSchema.parse(batch)).toEqual(batch)
  })

  it('attaches tests on ephemeral models to the tables they read, with their results', () => {
    const check = (name: string) => batch.checks.find((c) => c.name === name)
    expect(check('accepted_values_stg_orders_status__placed__completed__returned')).toMatchObject({
      dataset: { namespace: NS, name: 'compat.shop_raw.raw_orders' },
      column: 'status',
    })
    expect(check('unique_stg_customers_customer_id')?.dataset.name).toBe(
      'compat.shop_raw.raw_customers',
    )
    const failed = batch.assertions.find((a) => a.name.startsWith('accepted_values_stg_orders'))
    expect(failed).toMatchObject({
      status: 'fail',
      failures: 1,
      dataset: { name: 'compat.shop_raw.raw_orders' },
    })
    expect(batch.warnings.some((w) => w.includes('not in the manifest'))).toBe(false)
    expect(batch.checks).toHaveLength(7)
    expect(batch.warnings).toContain(
      'skipped test test.compat_shop.assert_orders_table_not_empty: it depends on no node (a singular test whose SQL names its tables without ref or source): the dataset it checks is unknown',
    )
  })

  it('records a dbt 1.11 function as a job with its run, not as a dataset', () => {
    const job = batch.jobs.find((j) => j.externalId === 'function.compat_shop.cents_to_eur')
    expect(job).toMatchObject({ type: 'dbt_function', parent: { name: 'dbt-run-compat_shop' } })
    expect(batch.runs.find((r) => r.job.name === job?.name)?.state).toBe('COMPLETE')
    expect(batch.datasets.some((d) => d.name.endsWith('cents_to_eur'))).toBe(false)
  })

  it('reads custom keys under config.meta and source freshness under config', () => {
    const orders = batch.datasets.find((d) => d.name === 'compat.shop.orders')
    expect(orders).toMatchObject({ owner: 'orders-team@compat.example', access: 'public' })
    expect(orders?.meta).toMatchObject({ tier: 'gold', data_product: 'shop_orders' })
    expect(batch.products.map((p) => p.id)).toContain('shop.shop_orders')
    const fresh = Object.fromEntries(batch.metrics.map((m) => [m.dataset.name, m.status]))
    expect(fresh).toEqual({
      'compat.shop_raw.raw_customers': 'error',
      'compat.shop_raw.raw_orders': 'pass',
    })
  })

  it('says which freshness checks have no result (dbt leaves out a source whose query failed)', () => {
    expect(batch.warnings).toContain(
      'sources.json: no freshness result for 1 node(s) with freshness criteria (source.compat_shop.shop_raw.raw_refunds): their check errored or was not selected, so their freshness is unknown',
    )
  })
})

describe('a batch is its content, not where it was read from', () => {
  const copies = (from: string): [string, string] => {
    const a = join(tmp(), 'checkout-a', 'target')
    const b = join(tmp(), 'ci', 'build-42', 'target')
    cpSync(from, a, { recursive: true })
    cpSync(from, b, { recursive: true })
    return [a, b]
  }

  it('gives the same batch for the same artifacts in two checkouts', async () => {
    const [a, b] = copies(COMPAT)
    const opts = { namespace: NS, env: {} }
    const [one, two] = [await readDbtTarget(a, opts), await readDbtTarget(b, opts)]
    expect(one.warnings.length).toBeGreaterThan(0)
    expect(hashBatch(one)).toBe(hashBatch(two))
  })

  it('gives the same batch for ./target and target', async () => {
    const root = tmp()
    cpSync(COMPAT, join(root, 'target'), { recursive: true })
    const rel = relative(process.cwd(), join(root, 'target'))
    const opts = { namespace: NS, env: {} }
    const one = await readDbtTarget(`./${rel}`, opts)
    const two = await readDbtTarget(rel, opts)
    expect(hashBatch(one)).toBe(hashBatch(two))
  })

  it.skipIf(!HAS_SHARED)(
    'also when the batch carries a warning about run_results.json',
    async () => {
      // jaffle_shop 1.12: run_results.json of `dbt docs generate` (a warning: nothing executed)
      const [a, b] = [join(tmp(), 'x', 'target'), join(tmp(), 'y', 'z', 'target')]
      for (const dir of [a, b]) {
        mkdirSync(dir, { recursive: true })
        const v12 = join(SHARED_DBT, 'jaffle_shop/manifest/v12/jaffle_shop/manifest_1.12.json')
        cpSync(v12, join(dir, 'manifest.json'))
        const rr = join(SHARED_DBT, 'jaffle_shop/run_results/v6/jaffle_shop/run_results_1.12.json')
        cpSync(rr, join(dir, 'run_results.json'))
      }
      const opts = { namespace: 'duckdb://jaffle_shop.duckdb', env: {} }
      const [one, two] = [await readDbtTarget(a, opts), await readDbtTarget(b, opts)]
      // column lineage's own warnings (jaffle_shop has no catalog) are test/collectors/dbt/column-lineage's
      expect(one.warnings.filter((w) => w.startsWith('run_results.json'))).toEqual([
        "run_results.json: from 'dbt generate', which executes nothing: no runs recorded",
      ])
      expect(hashBatch(one)).toBe(hashBatch(two))
    },
  )
})

describe('artifacts that do not belong together', () => {
  it("refuses sales' manifest with finance's run_results, naming both files", () => {
    expect(() =>
      parseDbtArtifacts(
        {
          manifest: read(SALES, 'manifest.json'),
          runResults: read(FINANCE, 'run_results.json'),
          files: { manifest: 'target/manifest.json', runResults: 'target/run_results.json' },
        },
        { namespace: 'duckdb://mesh.duckdb' },
      ),
    ).toThrow(
      /^target\/run_results\.json does not belong with target\/manifest\.json \(project sales\): none of its \d+ results is in the manifest \(the others name finance: /,
    )
  })

  it.each([
    { name: 'sources.json', input: { sources: read(FINANCE, 'sources.json') } },
    { name: 'catalog.json', input: { catalog: read(FINANCE, 'catalog.json') } },
  ])("refuses finance's $name next to sales' manifest", ({ name, input }) => {
    expect(() =>
      parseDbtArtifacts(
        { manifest: read(SALES, 'manifest.json'), ...input },
        { namespace: 'duckdb://mesh.duckdb' },
      ),
    ).toThrow(
      new RegExp(
        `^${name.replace('.', '\\.')} does not belong with manifest\\.json \\(project sales\\)`,
      ),
    )
  })
})

describe('run_results.json entries with a malformed optional field', () => {
  it('keeps a failing test result whose failures field is malformed, and names the field', () => {
    // the real bad-day result of a failing test, with `failures` written as text
    const bad = join(REPO, 'fixtures/dbt/bad/sales/target')
    const runResults = read(bad, 'run_results.json') as { results: Record<string, unknown>[] }
    const failing = runResults.results.findIndex((r) => r['status'] === 'fail')
    const result = runResults.results[failing]
    if (!result) throw new Error('the bad day has a failing test')
    result['failures'] = '1'
    const batch = parseDbtArtifacts(
      { manifest: read(bad, 'manifest.json'), runResults },
      { namespace: 'duckdb://mesh.duckdb' },
    )
    const assertion = batch.assertions.find((a) => a.key === result['unique_id'])
    expect(assertion).toMatchObject({ status: 'fail' })
    expect(assertion).not.toHaveProperty('failures')
    expect(batch.warnings.filter((w) => !w.startsWith('column lineage:'))).toEqual([
      `run_results.json: results[${failing}] (${String(result['unique_id'])}): ignored the malformed field 'failures': Invalid input: expected number, received string`,
    ])
  })
})
