import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { closeDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { copyStore } from '../../db/pg/copy.ts'
import { pgStore } from '../../db/pg/store.ts'
import { startRetention } from '../../server/openlineage.ts'
import { fullStore } from './copy-fixture.ts'
import { dumpPg, dumpSqlite } from './store-batch-fixtures.ts'

// `meshwatch replay --db postgres://…` as a user runs it (the built CLI, a child process), as a
// role that owns its database and is NOT a superuser (no session_replication_role): a store with
// rows in every table (copy-fixture.ts: the demo's kept batches and evaluations by the real
// evaluator, recorded OpenLineage events) copied into it.
// The replay rebuilds the derived tables to what they were and keeps every evaluation.

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CLI = join(ROOT, 'dist/cli.js')
const ROLE = `owner_${randomBytes(4).toString('hex')}`
let url: string
let pool: pg.Pool
let db: Db

function meshwatch(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  const admin = new pg.Client({ connectionString: inject('pgUrl') })
  await admin.connect()
  try {
    await admin.query(`create role ${ROLE} login nosuperuser nocreatedb nocreaterole`)
    await admin.query(`create database ${ROLE} owner ${ROLE}`)
  } finally {
    await admin.end()
  }
  const u = new URL(inject('pgUrl'))
  u.username = ROLE
  u.pathname = `/${ROLE}`
  url = u.toString()
  // migrated and filled as the owner role: every table is its own
  pool = await openPgPool(url)
  ;({ db } = await fullStore())
  await copyStore(db, pool)
})
afterAll(async () => {
  await pool.end()
  closeDb(db)
})

const count = async (t: string) =>
  Number((await pool.query<{ n: string }>(`select count(*) as n from ${t}`)).rows[0]?.n)

describe('meshwatch replay --db postgres:// as the owner role', () => {
  it('is a role that may not switch session_replication_role (what replay needed before)', async () => {
    const r = await pool.query<{ rolsuper: boolean }>(
      'select rolsuper from pg_roles where rolname = current_user',
    )
    expect(r.rows[0]?.rolsuper).toBe(false)
    const c = await pool.connect()
    try {
      await c.query('begin')
      await expect(c.query('set local session_replication_role = replica')).rejects.toMatchObject({
        code: '42501',
      })
    } finally {
      await c.query('rollback')
      c.release()
    }
  })

  it('rebuilds the derived tables as they were, keeping every evaluation', async () => {
    const rawEvents = await count('raw_events')
    const evaluations = await count('evaluations')
    expect(rawEvents).toBeGreaterThan(20)
    expect(evaluations).toBeGreaterThan(0)
    const before = await dumpPg(pool)
    expect(before).toEqual(dumpSqlite(db))
    const r = await meshwatch('replay', '--db', url)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^replayed \\d+ batches and ${rawEvents} raw events\\n$`))
    const after = await dumpPg(pool)
    // what a rebuild dates at the replay's time: the rows' times, not their content
    const undated = (d: Record<string, unknown[]>) =>
      Object.fromEntries(
        Object.entries(d).map(([t, rows]) => [
          t,
          (rows as Record<string, unknown>[]).map(({ first_seen_at: _, ...x }) => x),
        ]),
      )
    for (const t of Object.keys(before)) expect(undated(after)[t], t).toEqual(undated(before)[t])
    expect(await count('evaluations')).toBe(evaluations)
    const orphans = await pool.query(
      'select 1 from evaluations e left join products p on p.id = e.product_id where p.id is null',
    )
    expect(orphans.rowCount).toBe(0)
  })

  it('runs the retention as that role: old raw events folded into a kept batch, lineage kept', async () => {
    const before = await dumpPg(pool)
    const raw = await count('raw_events')
    const batches = await count('batches')
    expect(raw).toBeGreaterThan(20)
    const store = pgStore(await openPgPool(url))
    const logged = new Promise<string>((resolve, reject) => {
      const log = { info: resolve, warn: reject, error: reject }
      // a clock a year on: every kept event is older than 30 days
      const stop = startRetention(store, 30, log, () => new Date(Date.now() + 365 * 86_400_000))
      stop()
    })
    expect(await logged).toBe(`pruned ${raw} raw OpenLineage events older than 30 days`)
    await store.close()
    expect(await count('raw_events')).toBe(0)
    expect(await count('batches')).toBe(batches + 1)
    const after = await dumpPg(pool)
    for (const t of Object.keys(before)) if (t !== 'batches') expect(after[t], t).toEqual(before[t])
  })
})
