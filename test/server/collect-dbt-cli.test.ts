import { execFile } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import Database from 'better-sqlite3'
import { beforeAll, describe, expect, it } from 'vitest'
import { FIXTURES } from '../../server/demo.ts'

const run = promisify(execFile)
const BIN = join(import.meta.dirname, '../../dist/cli.js')
const SALES = join(FIXTURES, 'dbt', 'good', 'sales', 'target')
const PROJECT = join(FIXTURES, 'dbt', 'projects', 'sales')

async function cli(args: string[]) {
  try {
    // As recorded: the profile's env_var('MESHWATCH_DUCKDB', 'mesh.duckdb') default.
    const { MESHWATCH_DUCKDB: _, ...env } = process.env
    const r = await run(process.execPath, [BIN, ...args], { env })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string }
    return { code: x.code, stdout: x.stdout, stderr: x.stderr }
  }
}

const counts = (file: string) => {
  const db = new Database(file, { readonly: true })
  const n = (t: string) => (db.prepare(`select count(*) n from ${t}`).get() as { n: number }).n
  const r = {
    batches: n('batches'),
    datasets: n('datasets'),
    jobs: n('jobs'),
    edges: n('lineage_edges'),
  }
  db.close()
  return r
}

/** A target dir holding the sales manifest, with one file replaced. */
function brokenTarget(root: string, name: string, file: string, content: string) {
  const dir = join(root, name, 'target')
  mkdirSync(dir, { recursive: true })
  copyFileSync(join(SALES, 'manifest.json'), join(dir, 'manifest.json'))
  writeFileSync(join(dir, file), content)
  return dir
}

describe('meshwatch collect dbt', () => {
  const root = mkdtempSync(join(tmpdir(), 'mw-dbt-'))
  const db = join(root, 'store.db')
  const collect = (dirs: string[]) =>
    cli(['collect', 'dbt', ...dirs, '--project-dir', PROJECT, '--db', db])
  let stored: ReturnType<typeof counts>

  beforeAll(async () => {
    const first = await collect([SALES])
    expect(first.code).toBe(0)
    stored = counts(db)
    // a first collect parses every model's SQL: seconds of CPU, more wall time on a loaded machine
  }, 60_000)

  it('stores a project and says what it stored; collecting it again changes nothing', async () => {
    expect(stored.datasets).toBeGreaterThan(5)
    const again = await collect([SALES])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain('unchanged')
    expect(counts(db)).toEqual(stored)
  })

  const manifest = readFileSync(join(SALES, 'manifest.json'), 'utf8')
  const v5 = manifest.replace(/manifest\/v\d+\.json/, 'manifest/v5.json')
  it.each([
    {
      name: 'a truncated manifest',
      make: () => brokenTarget(root, 'trunc', 'manifest.json', manifest.slice(0, 5000)),
      says: /manifest\.json: not JSON, or truncated/,
    },
    {
      name: 'run_results given as the manifest',
      make: () =>
        brokenTarget(
          root,
          'wrong',
          'manifest.json',
          readFileSync(join(SALES, 'run_results.json'), 'utf8'),
        ),
      says: /manifest\.json/,
    },
    {
      name: 'an unsupported manifest version',
      make: () => brokenTarget(root, 'v5', 'manifest.json', v5),
      says: /v5 is not supported \(supported: v7–v12/,
    },
    {
      name: 'a missing directory',
      make: () => join(root, 'nope', 'target'),
      says: /not a directory/,
    },
  ])(
    'refuses $name with exit 2 and a clear message, writing nothing (also for the good dirs beside it)',
    async ({ make, says }) => {
      const r = await collect([SALES, make()])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(says)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(counts(db)).toEqual(stored)
    },
  )

  it('does not parse again the models of a new dbt invocation whose SQL is unchanged', async () => {
    const dir = join(root, 'rerun', 'target')
    mkdirSync(dir, { recursive: true })
    for (const f of ['manifest.json', 'run_results.json', 'catalog.json', 'sources.json'])
      if (existsSync(join(SALES, f))) copyFileSync(join(SALES, f), join(dir, f))
    // another invocation of the same project: new invocation id and time, the same SQL
    const m = JSON.parse(manifest) as { metadata: Record<string, string> }
    m.metadata['invocation_id'] = '00000000-0000-4000-8000-000000000002'
    m.metadata['generated_at'] = '2026-11-26T20:32:39.250815Z'
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m))
    const edges = (file: string) => {
      const d = new Database(file, { readonly: true })
      const rows = d.prepare('select * from column_edges order by 1, 2, 3, 4, 5').all()
      d.close()
      return rows
    }
    const before = edges(db)
    expect(before.length).toBeGreaterThan(0)
    const r = await collect([dir])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/column lineage of \d+ models unchanged \(not parsed again\)/)
    expect(edges(db)).toEqual(before)
  })

  it('loads a manifest without run_results (no runs, no test results)', async () => {
    const dir = join(root, 'only-manifest', 'target')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(SALES, 'manifest.json'), join(dir, 'manifest.json'))
    const r = await cli([
      'collect',
      'dbt',
      dir,
      '--project-dir',
      PROJECT,
      '--db',
      join(root, 'other.db'),
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/0 test results/)
  })

  it('collects the same artifacts from another checkout as unchanged, naming each dir in its warnings', async () => {
    // fixtures/dbt/compat (a real dbt build) carries warnings (a source with no freshness result)
    const compat = join(FIXTURES, 'dbt', 'compat', 'target')
    const [a, b] = [join(root, 'checkout-a', 'target'), join(root, 'ci', 'run-7', 'target')]
    for (const d of [a, b]) cpSync(compat, d, { recursive: true })
    const store = join(root, 'compat.db')
    const first = await cli([
      'collect',
      'dbt',
      a,
      '--namespace',
      'duckdb://compat.duckdb',
      '--db',
      store,
    ])
    expect(first.code).toBe(0)
    expect(first.stderr).toContain(`warning: ${a}: sources.json: no freshness result for 1 node(s)`)
    const second = await cli([
      'collect',
      'dbt',
      b,
      '--namespace',
      'duckdb://compat.duckdb',
      '--db',
      store,
    ])
    expect(second.code).toBe(0)
    expect(second.stdout).toContain('dbt:compat_shop: unchanged (already collected)')
    expect(second.stderr).toContain(`warning: ${b}: sources.json:`)
  })

  it("refuses sales' manifest beside finance's run_results, naming both files, writing nothing", async () => {
    const dir = join(root, 'mixed', 'target')
    mkdirSync(dir, { recursive: true })
    copyFileSync(join(SALES, 'manifest.json'), join(dir, 'manifest.json'))
    copyFileSync(
      join(FIXTURES, 'dbt', 'good', 'finance', 'target', 'run_results.json'),
      join(dir, 'run_results.json'),
    )
    const store = join(root, 'mixed.db')
    const r = await cli(['collect', 'dbt', dir, '--project-dir', PROJECT, '--db', store])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(
      `${join(dir, 'run_results.json')} does not belong with ${join(dir, 'manifest.json')} (project sales)`,
    )
    expect(existsSync(store) ? counts(store).batches : 0).toBe(0)
  })

  it('says the store is busy (exit 1, no stack) when another process holds its write lock past the timeout', async () => {
    const store = join(root, 'locked.db')
    expect(
      (await cli(['collect', 'dbt', SALES, '--project-dir', PROJECT, '--db', store])).code,
    ).toBe(0)
    const other = join(FIXTURES, 'dbt', 'good', 'finance', 'target')
    const holder = new Database(store)
    holder.exec('begin immediate')
    try {
      const r = await cli([
        'collect',
        'dbt',
        other,
        '--project-dir',
        join(FIXTURES, 'dbt', 'projects', 'finance'),
        '--db',
        store,
      ])
      expect(r.code).toBe(1)
      expect(r.stderr).toMatch(/^meshwatch: the store is busy \(SQLITE_BUSY\): .*retry shortly\n$/)
    } finally {
      holder.exec('rollback')
      holder.close()
    }
    expect(counts(store).batches).toBe(1)
  })
})
