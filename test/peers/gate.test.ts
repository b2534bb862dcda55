import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { XMLParser } from 'fast-xml-parser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// End to end with the REAL dbt: build sales → finance, marketing as production (dbt-loom reads
// the sales manifest), then sales pull-request variants in their own DuckDB files, and run
// `meshwatch gate` on each. Skipped without the .venv (bash test/peers/setup-venv.sh).
const exec = promisify(execFile)
const REPO = fileURLToPath(new URL('../../', import.meta.url))
const VENV = join(REPO, '.venv/bin')
const NS = 'duckdb://mesh.duckdb'

async function dbt(
  cwd: string,
  project: string,
  target: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<number> {
  try {
    await exec(
      join(VENV, 'dbt'),
      [
        ...args,
        '--project-dir',
        project,
        '--profiles-dir',
        project,
        '--target-path',
        target,
        '--log-path',
        join(cwd, 'logs'),
      ],
      {
        cwd,
        env: {
          ...process.env,
          PATH: `${VENV}:${process.env.PATH}`,
          MESHWATCH_DUCKDB: 'mesh.duckdb',
          DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
          DO_NOT_TRACK: '1',
          DBT_LOOM_CONFIG: existsSync(join(project, 'dbt_loom.config.yml'))
            ? join(project, 'dbt_loom.config.yml')
            : join(project, 'none.yml'),
          ...env,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
    )
    return 0
  } catch (e) {
    return (e as { code: number }).code
  }
}

/** Copies a project (with an optional overlay) under work/name, stamps its seeds, runs dbt seed + build there (one DuckDB file per name). */
async function build(
  work: string,
  name: string,
  project: string,
  overlay?: string,
  env: Record<string, string> = {},
): Promise<{ target: string; code: number }> {
  const cwd = join(work, name)
  mkdirSync(join(cwd, 'projects'), { recursive: true })
  cpSync(join(REPO, 'fixtures/dbt/projects', project), join(cwd, 'projects', project), {
    recursive: true,
  })
  rmSync(join(cwd, 'projects', project, 'target'), { recursive: true, force: true })
  if (overlay)
    cpSync(join(REPO, 'fixtures/gate/overlays', overlay), join(cwd, 'projects'), {
      recursive: true,
    })
  await exec('python3', [join(REPO, 'fixtures/record/stamp_loaded_at.py'), join(cwd, 'projects')])
  const dir = join(cwd, 'projects', project)
  const target = join(cwd, 'target', project)
  await dbt(cwd, dir, join(cwd, 'seed-target', project), ['seed'], env)
  const code = await dbt(cwd, dir, target, ['build'], env)
  return { target, code }
}

async function gate(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const r = await exec('node', [join(REPO, 'dist/cli.js'), 'gate', ...args], {
      cwd: REPO,
      env: { ...process.env, GITHUB_ACTIONS: '' },
    })
    return { code: 0, stdout: r.stdout }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: `${err.stdout}${err.stderr}` }
  }
}

describe.skipIf(!existsSync(join(VENV, 'dbt')))(
  'meshwatch gate on real dbt builds of the demo mesh',
  () => {
    const work = mkdtempSync(join(tmpdir(), 'meshwatch-gate-peer-'))
    const prod: Record<string, string> = {}
    const branch: Record<string, { target: string; code: number }> = {}

    beforeAll(async () => {
      // production: one DuckDB file shared by the three projects, like the demo
      const upstream = join(work, 'upstream')
      const sales = await build(work, 'prod', 'sales')
      prod['sales'] = sales.target
      mkdirSync(join(upstream, 'sales'), { recursive: true })
      cpSync(sales.target, join(upstream, 'sales', 'target'), { recursive: true })
      const loom = { MESHWATCH_UPSTREAM: upstream }
      for (const p of ['finance', 'marketing']) {
        const r = await build(work, 'prod', p, undefined, loom)
        expect(r.code).toBe(0)
        prod[p] = r.target
      }
      const variants = await Promise.all(
        ['unchanged', 'additive', 'breaking'].map((v) =>
          build(work, `branch-${v}`, 'sales', v === 'unchanged' ? undefined : v),
        ),
      )
      ;['unchanged', 'additive', 'breaking'].forEach(
        (v, i) => (branch[v] = variants[i] ?? { target: '', code: -1 }),
      )
    })
    afterAll(() => rmSync(work, { recursive: true, force: true }))

    const baseline = () => [
      '--baseline',
      prod['sales'] ?? '',
      '--mesh',
      prod['finance'] ?? '',
      prod['marketing'] ?? '',
      '--namespace',
      NS,
    ]

    it('passes an unchanged build and a purely additive one', async () => {
      expect(branch['unchanged']?.code).toBe(0)
      expect(branch['additive']?.code).toBe(0)
      for (const v of ['unchanged', 'additive']) {
        const r = await gate(['--current', branch[v]?.target ?? '', ...baseline()])
        expect(r.stdout).toMatch(/^meshwatch gate: PASSED/)
        expect(r.code).toBe(0)
      }
    })

    it('fails the breaking build naming the column, the failing test and the consumers in marketing and finance', async () => {
      expect(branch['breaking']?.code).toBe(1) // dbt build fails on the test
      const junit = join(work, 'gate.xml')
      const r = await gate([
        '--current',
        branch['breaking']?.target ?? '',
        ...baseline(),
        '--junit',
        junit,
      ])
      expect(r.code).toBe(1)
      expect(r.stdout).toContain(
        'breaking change to public model mesh.sales.orders: column channel removed',
      )
      expect(r.stdout).toContain('consumer: finance: job mesh.finance.finance.revenue_daily')
      expect(r.stdout).toContain(
        'consumer: marketing: job mesh.marketing.marketing.customer_attribution',
      )
      expect(r.stdout).toContain(
        'test accepted_values_orders_status__placed__shipped__completed__returned on mesh.sales.orders.status now fails',
      )
      const doc = new XMLParser({
        ignoreAttributes: false,
        attributeNamePrefix: '@_',
        isArray: (n) => ['testsuite', 'testcase'].includes(n),
      }).parse(readFileSync(junit, 'utf8'))
      const failed = (
        doc.testsuites.testsuite as { testcase: { '@_name': string; failure?: unknown }[] }[]
      )
        .flatMap((s) => s.testcase)
        .filter((c) => c.failure !== undefined)
        .map((c) => c['@_name'])
      expect(failed).toEqual(
        expect.arrayContaining([
          'public model mesh.sales.orders stays compatible',
          'test accepted_values_orders_status__placed__shipped__completed__returned',
        ]),
      )
    })
  },
)
