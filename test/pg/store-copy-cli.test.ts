import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { closeDb } from '../../db/client.ts'
import { COPY_TABLES } from '../../db/pg/copy-plan.ts'
import { fullStore } from './copy-fixture.ts'
import { ROOT, runMeshwatch, type Run } from './cli.ts'
import { createDatabase } from './helpers.ts'

// `meshwatch store copy` as a user runs it: the built CLI (dist/cli.js) as a child process, from
// a SQLite store file with rows in every table to a new PostgreSQL database of the suite's cluster.
// The cluster trusts local connections, so a password in the URL is accepted and ignored: it is
// there to prove it is never printed. (The CLI suite collects every *cli.test.ts; without the pg
// suite's cluster there is nothing to copy to, so this file runs in the pg suite only.)

const PASSWORD = 's3cr3t-Pa55'
const PG_URL = inject('pgUrl') as string | undefined
const dir = mkdtempSync(join(tmpdir(), 'meshwatch-store-copy-'))
const STORE = join(dir, 'meshwatch.db')
const NOT_A_STORE = join(dir, 'notes.txt')

const meshwatch = (...args: string[]) => runMeshwatch(dir, ...args)

/** `url` with the test's password in it. */
const withPassword = (url: string) => {
  const u = new URL(url)
  u.password = PASSWORD
  return u.toString()
}

const expectNoSecret = (r: Run) => {
  expect(r.stdout + r.stderr).not.toContain(PASSWORD)
  expect(r.stderr, 'no stack trace').not.toMatch(/\n\s+at /)
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer()
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
  const address = s.address()
  await new Promise((r) => s.close(r))
  return typeof address === 'object' && address ? address.port : 1
}

describe.skipIf(PG_URL === undefined)('meshwatch store copy (built CLI)', () => {
  let target: string
  beforeAll(async () => {
    execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
    writeFileSync(NOT_A_STORE, 'meshwatch.yml notes, not a store\n')
    const { db } = await fullStore(STORE)
    closeDb(db)
    target = withPassword(await createDatabase())
  }, 240_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('copies every table and prints counts and digests of both sides, all equal, without the password', async () => {
    const r = await meshwatch('store', 'copy', '--from', STORE, '--to', target)
    expect(r.stderr).toContain('counts and sha256 digests are equal on both sides for every table')
    expect(r.code).toBe(0)
    expectNoSecret(r)
    expect(r.stderr).toContain(':***@127.0.0.1')
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toMatch(
      /^table\s+written\s+sqlite rows\s+sqlite sha256\s+postgres rows\s+postgres sha256$/,
    )
    expect(lines).toHaveLength(COPY_TABLES.length + 1)
    for (const t of COPY_TABLES) {
      expect(r.stderr, 'progress per table').toMatch(
        new RegExp(`^copied  ${t.name}: \\d+ rows`, 'm'),
      )
      const row = lines.find((l) => l.startsWith(`${t.name} `))
      // table, written, rows, digest, rows, digest, equal: both sides' count and digest the same
      const m = /^\S+\s+(\d+)\s+(\d+)\s+([0-9a-f]{16})\s+(\d+)\s+([0-9a-f]{16})\s+equal$/.exec(
        row ?? '',
      )
      expect(m, `${t.name}: ${row}`).not.toBeNull()
      expect(m?.[1]).toBe(m?.[2])
      expect(m?.[4]).toBe(m?.[2])
      expect(m?.[5]).toBe(m?.[3])
      expect(Number(m?.[2]), `${t.name} has rows`).toBeGreaterThan(0)
    }
  })

  it('run again, writes nothing and still verifies; --json carries the full digests', async () => {
    const r = await meshwatch('store', 'copy', '--from', STORE, '--to', target, '--json')
    expect(r.code).toBe(0)
    expectNoSecret(r)
    expect(r.stderr).toMatch(/rows, 0 written\)/)
    const report = JSON.parse(r.stdout) as {
      to: string
      copied: { table: string; written: number }[]
      checks: {
        table: string
        equal: boolean
        sqlite: { sha256: string }
        pg: { sha256: string }
      }[]
      mismatches: string[]
    }
    expect(report.to).toContain(':***@')
    expect(report.copied.every((c) => c.written === 0)).toBe(true)
    expect(report.mismatches).toEqual([])
    for (const c of report.checks) expect(c.pg.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('exits 1 and names the table when PostgreSQL holds rows SQLite has not', async () => {
    const url = await createDatabase()
    expect((await meshwatch('store', 'copy', '--from', STORE, '--to', url)).code).toBe(0)
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`insert into collector_state (name, cursor) values ('airflow:other', 'x')`)
    await client.end()
    const r = await meshwatch('store', 'copy', '--from', STORE, '--to', withPassword(url))
    expect(r.code).toBe(1)
    expectNoSecret(r)
    expect(r.stderr).toContain(
      'meshwatch: 1 table(s) differ between SQLite and PostgreSQL: collector_state',
    )
    expect(r.stdout).toMatch(/^collector_state .* DIFFERENT$/m)
    expect(r.stdout.match(/ DIFFERENT$/gm)).toHaveLength(1)
  })

  it.each([
    {
      name: 'a --from file that does not exist',
      args: () => ['--from', join(dir, 'missing.db'), '--to', target],
      says: `--from ${join(dir, 'missing.db')}: no such file`,
    },
    {
      name: 'a --from file that is not a SQLite store',
      args: () => ['--from', NOT_A_STORE, '--to', target],
      says: `--from ${NOT_A_STORE}: not a meshwatch SQLite store (file is not a database)`,
    },
    {
      name: 'a --to that is not a URL (a SQLite file)',
      args: () => ['--from', STORE, '--to', 'other.db'],
      says: '--to: not a URL; expected a postgres:// URL, e.g. postgres://meshwatch@db.example.com:5432/meshwatch',
    },
    {
      name: 'a --to of another database engine',
      args: () => ['--from', STORE, '--to', `mysql://root:${PASSWORD}@127.0.0.1/meshwatch`],
      says: '--to mysql://root:***@127.0.0.1/meshwatch: not a PostgreSQL URL',
    },
    {
      name: 'no --to at all',
      args: () => ['--from', STORE],
      says: "required option '--to <url>' not specified",
    },
  ])('exits 2 on $name, naming the flag', async ({ args, says }) => {
    const r = await meshwatch('store', 'copy', ...args())
    expect(r.stderr).toContain(says)
    expect(r.code).toBe(2)
    expectNoSecret(r)
  })

  it('exits 2 naming --to when no PostgreSQL answers there, without the password', async () => {
    const url = `postgres://meshwatch:${PASSWORD}@127.0.0.1:${await closedPort()}/meshwatch`
    const r = await meshwatch('store', 'copy', '--from', STORE, '--to', url)
    expect(r.code).toBe(2)
    expectNoSecret(r)
    expect(r.stderr).toMatch(
      /^meshwatch: --to postgres:\/\/meshwatch:\*\*\*@127\.0\.0\.1:\d+\/meshwatch: cannot open the PostgreSQL store: .*ECONNREFUSED/m,
    )
  })
})
