import { execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The package as a user gets it: `npm pack` (prepack builds dist/ and web/dist/), installed into an
// empty directory from the tarball (dependencies from the npm cache, else the registry), then run
// with npx from there — no repository beside it.
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const work = mkdtempSync(join(tmpdir(), 'mw-pack-'))
const app = join(work, 'app')
const exec = promisify(execFile)
let files: string[] = []

beforeAll(async () => {
  const packed = await exec('npm', ['pack', '--json', '--pack-destination', work], {
    cwd: ROOT,
    maxBuffer: 16 << 20,
  })
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[]
  if (!info) throw new Error(`npm pack printed no package:\n${packed.stderr}`)
  files = info.files.map((f) => f.path)
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }))
  await exec(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)],
    // node-gyp compiles better-sqlite3 on every core when no prebuilt binary is reachable.
    { cwd: app, maxBuffer: 16 << 20, env: { ...process.env, JOBS: 'max' } },
  )
})
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('the npm package', () => {
  it('ships the built CLI, the page and the demo mesh, and no sources, tests or other fixtures', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'dist/cli.js',
        'dist/migrations/meta/_journal.json',
        'web/dist/index.html',
        'fixtures/meshwatch.yml',
        'fixtures/dbt/good/sales/target/manifest.json',
        'fixtures/dbt/bad/product/target/run_results.json',
        'fixtures/dbt/projects/finance/profiles.yml',
        'fixtures/airflow/v2/_polls.json',
        'fixtures/airflow/history/bad.json',
      ]),
    )
    const unexpected = files.filter(
      (f) =>
        f.endsWith('.ts') ||
        /^(test|server|collectors|db|web\/(?!dist\/))/.test(f) ||
        /^fixtures\/(gate|openlineage|junit|record|airflow\/v1)\//.test(f),
    )
    expect(unexpected).toEqual([])
    // dist/ chunks, migrations (two per dialect-change), the page and the demo mesh with its five
    // recorded days (48 files of dbt history, one Airflow file a day) and contracts: ~221 today
    expect(files.length).toBeLessThan(260)
  })

  it('installs into an empty directory, where `npx meshwatch --help` lists the commands', async () => {
    const r = await exec('npx', ['meshwatch', '--help'], { cwd: app })
    expect(r.stdout).toContain('Usage: meshwatch')
    expect(r.stdout).toMatch(/\n\s+collect\s/)
    expect(r.stdout).toMatch(/\n\s+gate\s/)
    // The CLI is JavaScript: no TypeScript loader or bundler is installed with it.
    expect(existsSync(join(app, 'node_modules/meshwatch/dist/cli.js'))).toBe(true)
    expect(existsSync(join(app, 'node_modules/tsx'))).toBe(false)
    expect(existsSync(join(app, 'node_modules/esbuild'))).toBe(false)
  })

  it('serves the demo mesh and the page from the installed package', async () => {
    const proc = spawn('npx', ['meshwatch', 'serve', '--port', '0', '--db', join(work, 'x.db')], {
      cwd: app,
      env: { ...process.env, MESHWATCH_AUTH: 'off' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    })
    let err = ''
    proc.stderr.setEncoding('utf8')
    try {
      const url = await new Promise<string>((resolve, reject) => {
        proc.stderr.on('data', (s: string) => {
          err += s
          const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(err)
          if (m?.[1]) resolve(m[1])
        })
        proc.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${err}`)))
      })
      expect(err).toMatch(
        /loaded the demo mesh: 4 domains, .* from 20 dbt builds and 4 Airflow DAGs/,
      )
      const page = await fetch(`${url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<title>meshwatch</title>')
      const body = (await (await fetch(`${url}/api/products`)).json()) as { products: unknown[] }
      expect(body.products.length).toBe(9)
    } finally {
      // npx runs meshwatch as its child: stop the whole process group.
      if (proc.pid !== undefined && proc.exitCode === null) {
        const exited = once(proc, 'exit')
        process.kill(-proc.pid, 'SIGTERM')
        await exited
      }
    }
  })
})
