import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { closeDb, openDb } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { sqliteStore } from '../../db/store.ts'
import { loadDemoContracts } from '../../server/contracts/demo.ts'
import { FIXTURES, loadDemo } from '../../server/demo.ts'
import { copyStore } from './demo.ts'
import { createDatabase } from './helpers.ts'

// #16: `meshwatch export --db postgres://…` as a user runs it (the built CLI, dist/cli.js, as a
// child process) gives what the same store gives as a SQLite file. The store: the demo mesh
// (recorded dbt builds and Airflow) and its two ODCS contracts, in a SQLite file, then copied
// by `store copy`'s core (ids kept) into a new PostgreSQL database of the suite's cluster.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(ROOT, 'dist/cli.js')
const PG_URL = inject('pgUrl') as string | undefined
const dir = mkdtempSync(join(tmpdir(), 'meshwatch-export-pg-'))
const FILE = join(dir, 'meshwatch.db')
const CONFIG = join(FIXTURES, 'meshwatch.yml')
let url: string

interface Run {
  code: number
  stdout: string
  stderr: string
}

function meshwatch(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** Runs the same export on the SQLite file and on PostgreSQL; both must exit 0. */
async function onBoth(...args: string[]): Promise<[Run, Run]> {
  const lite = await meshwatch('export', '--db', FILE, ...args)
  const pg = await meshwatch('export', '--db', url, ...args)
  expect(lite.code, lite.stderr).toBe(0)
  expect(pg.code, pg.stderr).toBe(0)
  return [lite, pg]
}

describe.skipIf(PG_URL === undefined)('meshwatch export on PostgreSQL (built CLI)', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
    const db = openDb(FILE)
    const deps = { store: sqliteStore(db), now: () => new Date('2026-11-26T12:00:00Z') }
    await loadDemo(deps)
    expect(await loadDemoContracts(deps, FIXTURES)).toBe(2)
    url = await createDatabase()
    const pool = await openPgPool(url)
    await copyStore(db, pool)
    await pool.end()
    closeDb(db)
  }, 240_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('writes the same OpenLineage static lineage (but the time of the export)', async () => {
    const [lite, pg] = await onBoth()
    const events = (r: Run) =>
      r.stdout
        .trim()
        .split('\n')
        .map((l) => {
          const { eventTime, ...e } = JSON.parse(l) as Record<string, unknown>
          expect(Date.parse(String(eventTime))).not.toBeNaN()
          return e
        })
    const a = events(lite)
    expect(a.filter((e) => 'dataset' in e).length).toBeGreaterThan(20)
    expect(
      a.filter((e) => 'job' in e && (e.inputs as unknown[]).length > 0).length,
    ).toBeGreaterThan(10)
    expect(events(pg)).toEqual(a)
  })

  it('writes the same ODPS descriptors and ODCS contracts, stored and generated', async () => {
    const [odps, odpsPg] = await onBoth('--format', 'odps', '--base-url', 'https://mw.example')
    expect(odps.stdout).toContain('apiVersion: v1.0.0')
    expect(odpsPg.stdout).toBe(odps.stdout)
    const [odcs, odcsPg] = await onBoth('--format', 'odcs', '--config', CONFIG)
    expect(odcs.stdout).toContain('id: urn:meshwatch-demo:sales:orders')
    expect(odcs.stdout).toContain('status: draft')
    expect(odcsPg.stdout).toBe(odcs.stdout)
  })

  it('writes the same files with -o, and says how many were stored and generated', async () => {
    const out = (engine: string) => join(dir, `odcs-${engine}`)
    const lite = await meshwatch('export', '--db', FILE, '--format', 'odcs', '-o', out('lite'))
    const pg = await meshwatch('export', '--db', url, '--format', 'odcs', '-o', out('pg'))
    expect(lite.code, lite.stderr).toBe(0)
    expect(pg.stderr).toBe(lite.stderr.replace(out('lite'), out('pg')))
    expect(lite.stderr).toMatch(/\(2 stored, \d+ generated\)/)
    const files = readdirSync(out('lite')).sort()
    expect(readdirSync(out('pg')).sort()).toEqual(files)
    for (const f of files)
      expect(readFileSync(join(out('pg'), f), 'utf8'), f).toBe(
        readFileSync(join(out('lite'), f), 'utf8'),
      )
  })
})
