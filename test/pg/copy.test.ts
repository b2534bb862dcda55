import { copyFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type pg from 'pg'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { copyStore, StoreCopyError, verifyCopy } from '../../db/pg/copy.ts'
import { COPY_TABLES } from '../../db/pg/copy-plan.ts'
import { alerts as pgAlerts } from '../../db/pg/queries/alerts.ts'
import { qualityStore as pgQualityStore } from '../../db/pg/queries/quality-store.ts'
import { tokens as pgTokens } from '../../db/pg/queries/tokens.ts'
import { pgStore } from '../../db/pg/store.ts'
import * as liteAlerts from '../../db/queries/alerts.ts'
import * as liteQualityStore from '../../db/queries/quality-store.ts'
import * as liteTokens from '../../db/queries/tokens.ts'
import { sqliteStore } from '../../db/store.ts'
import { fullStore } from './copy-fixture.ts'
import { bindPg, bindSqlite, onBoth } from './engines.ts'
import { createDatabase } from './helpers.ts'

// db/pg/copy.ts on a store with rows in every table (test/pg/copy-fixture.ts: the demo's good
// and bad day evaluated, raw events, contracts, tokens, deliveries…). Each test copies its own
// copy of that SQLite file into its own new PostgreSQL database.

const dir = mkdtempSync(join(tmpdir(), 'meshwatch-copy-'))
const BASE = join(dir, 'base.db')
let tokens: string[]
let now: Date
const open: { db: Db; pool: pg.Pool }[] = []
let n = 0

beforeAll(async () => {
  const s = await fullStore(BASE)
  ;({ tokens, now } = s)
  closeDb(s.db)
})
afterEach(async () => {
  for (const s of open.splice(0)) {
    closeDb(s.db)
    await s.pool.end()
  }
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A new SQLite copy of the full store and a new, migrated, empty PostgreSQL database. */
async function fresh(): Promise<{ db: Db; pool: pg.Pool }> {
  const file = join(dir, `store-${++n}.db`)
  copyFileSync(BASE, file)
  const s = { db: openDb(file), pool: await openPgPool(await createDatabase()) }
  open.push(s)
  return s
}

const written = (copied: { table: string; written: number }[]) =>
  Object.fromEntries(copied.filter((c) => c.written > 0).map((c) => [c.table, c.written]))

const differing = async (db: Db, pool: pg.Pool) =>
  (await verifyCopy(db, pool)).filter((c) => !c.equal).map((c) => c.table)

/** Every row's xmin (the transaction that last wrote it) by table and key. */
async function xmins(pool: pg.Pool): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const t of COPY_TABLES) {
    const key = t.key.map((k) => `"${k}"`).join(', ')
    const r = await pool.query<{ k: string; x: string }>(
      `select row(${key})::text as k, xmin::text as x from "${t.name}" order by ${key}`,
    )
    out[t.name] = r.rows.map((row) => `${row.k}@${row.x}`)
  }
  return out
}

const sqliteRow = (db: Db, sql: string, ...args: unknown[]) =>
  db.$client.prepare(sql).get(...args) as Record<string, unknown>

describe('store copy: SQLite to PostgreSQL', () => {
  it('copies every table, each with rows, to equal counts and digests on both sides', async () => {
    const { db, pool } = await fresh()
    const copied = await copyStore(db, pool)
    expect(copied.map((c) => c.table).sort()).toEqual(COPY_TABLES.map((t) => t.name).sort())
    for (const c of copied) {
      expect(c.rows, `${c.table} has rows to copy`).toBeGreaterThan(0)
      expect(c.written, c.table).toBe(c.rows)
    }
    const checks = await verifyCopy(db, pool)
    for (const c of checks) {
      expect(c.pg, c.table).toEqual(c.sqlite)
      expect(c.sqlite.sha256).toMatch(/^[0-9a-f]{64}$/)
    }
    expect(checks.every((c) => c.equal)).toBe(true)
  })

  it('keeps what meshwatch runs on: tokens still verify, the outbox, evaluation history and raw events read alike', async () => {
    const { db, pool } = await fresh()
    await copyStore(db, pool)
    const tok = { sqlite: bindSqlite<typeof pgTokens>(liteTokens, db), pg: bindPg(pgTokens, pool) }
    const at = now.toISOString()
    for (const token of tokens) {
      const check = await onBoth(tok, (m) => m.verifyToken(token, at))
      expect(check.ok, 'a token made before the move still authenticates').toBe(true)
    }
    expect(await onBoth(tok, (m) => m.listTokens())).toHaveLength(2)

    const outbox = {
      sqlite: bindSqlite<typeof pgAlerts>(liteAlerts, db),
      pg: bindPg(pgAlerts, pool),
    }
    const pending = await onBoth(outbox, (m) => m.listAlerts({ status: 'pending' }))
    expect(pending.length).toBeGreaterThan(0)

    const quality = {
      sqlite: bindSqlite<typeof pgQualityStore>(liteQualityStore, db),
      pg: bindPg(pgQualityStore, pool),
    }
    expect(await onBoth(quality, (m) => m.evaluationHistory('sales.orders'))).toHaveLength(2)

    const run = sqliteRow(db, 'select run_id from raw_events where run_id is not null limit 1')
    const runId = String(run.run_id)
    const events = await sqliteStore(db).rawEvents.listRunEvents(runId)
    expect(events.length).toBeGreaterThan(0)
    expect(await pgStore(pool).rawEvents.listRunEvents(runId)).toEqual(events)
  })

  it('writes nothing when run again: every row keeps its xmin, and the check still passes', async () => {
    const { db, pool } = await fresh()
    await copyStore(db, pool)
    const before = await xmins(pool)
    const again = await copyStore(db, pool)
    expect(written(again)).toEqual({})
    expect(again.every((c) => c.rows > 0)).toBe(true)
    expect(await xmins(pool)).toEqual(before)
    expect(await differing(db, pool)).toEqual([])
  })

  it('updates a row changed in SQLite and inserts a new one, leaving every other row alone', async () => {
    const { db, pool } = await fresh()
    await copyStore(db, pool)
    const before = await xmins(pool)
    const token = liteTokens.listTokens(db).find((t) => t.name === 'ci')
    expect(token).toBeDefined()
    liteTokens.revokeToken(db, token?.id ?? 0, now.toISOString())
    db.$client
      .prepare(
        "update datasets set description = 'moved' where id = (select min(id) from datasets)",
      )
      .run()
    liteTokens.createToken(db, { name: 'late', scope: 'read', now: now.toISOString() })
    expect(await differing(db, pool)).toEqual(['datasets', 'api_tokens'])

    const again = await copyStore(db, pool)
    expect(written(again)).toEqual({ datasets: 1, api_tokens: 2 })
    expect(await differing(db, pool)).toEqual([])
    const after = await xmins(pool)
    for (const t of COPY_TABLES)
      if (!(t.name in written(again))) expect(after[t.name], t.name).toEqual(before[t.name])
    const tok = { sqlite: bindSqlite<typeof pgTokens>(liteTokens, db), pg: bindPg(pgTokens, pool) }
    expect((await onBoth(tok, (m) => m.verifyToken(tokens[0] ?? '', now.toISOString()))).ok).toBe(
      false,
    )
  })

  it('numbers the next rows as SQLite would: an id SQLite handed out, then deleted, is not reused', async () => {
    const { db, pool } = await fresh()
    const last = liteTokens.listTokens(db)[0]
    db.$client.prepare('delete from api_tokens where id = ?').run(last?.id)
    await copyStore(db, pool)
    const tok = { sqlite: bindSqlite<typeof pgTokens>(liteTokens, db), pg: bindPg(pgTokens, pool) }
    const made = await onBoth(
      tok,
      async (m) =>
        (await m.createToken({ name: 'next', scope: 'read', now: now.toISOString() })).info.id,
    )
    expect(made).toBe((last?.id ?? 0) + 1)
  })

  it('copies all or nothing: a unique key another PostgreSQL row holds refuses the whole copy', async () => {
    const { db, pool } = await fresh()
    await copyStore(db, pool)
    db.$client
      .prepare(
        "update datasets set description = 'changed' where id = (select min(id) from datasets)",
      )
      .run()
    const { info } = liteTokens.createToken(db, {
      name: 'late',
      scope: 'read',
      now: now.toISOString(),
    })
    const hash = sqliteRow(db, 'select hash from api_tokens where id = ?', info.id).hash
    // the same token, written on PostgreSQL under another id since the last copy
    await pool.query(
      `insert into api_tokens (id, name, hash, scope, created_at) values (1000, 'elsewhere', $1, 'read', $2)`,
      [hash, now.toISOString()],
    )
    const before = await xmins(pool)
    const err = await copyStore(db, pool).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreCopyError)
    expect((err as StoreCopyError).reason).toBe('conflict')
    expect((err as Error).message).toMatch(/^api_tokens: .*api_tokens_hash.*nothing was copied/)
    expect(await xmins(pool), 'the datasets updated before api_tokens were rolled back').toEqual(
      before,
    )
  })

  it('carries text exactly: quotes, backslashes, braces, control characters, NULL as a word, empty, non-ASCII', async () => {
    const { db, pool } = await fresh()
    const texts = [
      'say "hi" \\ back\\slash',
      '{braces},commas,"and quotes"',
      'new\nline\ttab\r\u0001\u001f',
      'NULL',
      '',
      ' padded ',
      'ü 🚀 日本',
      '\\x00 not bytes',
    ]
    const put = db.$client.prepare(
      'insert into collector_state (name, cursor, last_error) values (?, ?, ?)',
    )
    texts.forEach((x, i) => put.run(`edge:${i}`, x, i % 2 ? null : x))
    await copyStore(db, pool)
    const r = await pool.query<{ cursor: string; last_error: string | null }>(
      `select cursor, last_error from collector_state where name like 'edge:%' order by name`,
    )
    expect(r.rows).toEqual(texts.map((x, i) => ({ cursor: x, last_error: i % 2 ? null : x })))
    expect(await differing(db, pool)).toEqual([])
  })

  it('keeps rows only PostgreSQL has, and the check names their table', async () => {
    const { db, pool } = await fresh()
    await copyStore(db, pool)
    await pool.query(`insert into collector_state (name, cursor) values ('airflow:elsewhere', 'x')`)
    expect(written(await copyStore(db, pool))).toEqual({})
    const checks = await verifyCopy(db, pool)
    const state = checks.find((c) => c.table === 'collector_state')
    expect(state?.equal).toBe(false)
    expect(state?.pg.rows).toBe((state?.sqlite.rows ?? 0) + 1)
    expect(checks.filter((c) => !c.equal).map((c) => c.table)).toEqual(['collector_state'])
  })
})
