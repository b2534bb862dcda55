import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPgPool } from '../../db/pg/client.ts'
import { advancePollCursor } from '../../db/pg/cursor.ts'
import { createDatabase } from './helpers.ts'

let pool: pg.Pool
beforeAll(async () => {
  pool = await openPgPool(await createDatabase())
})
afterAll(async () => {
  await pool.end()
})

const T0 = '2026-12-01T00:00:00.000Z'
const T1 = '2026-12-01T00:01:00.000Z'
const state = async (name: string) =>
  (
    await pool.query(
      'select cursor, last_success_at as "lastSuccessAt", last_error as "lastError" from collector_state where name = $1',
      [name],
    )
  ).rows

describe('the Airflow poll cursor, compare-and-set (db/pg/cursor.ts)', () => {
  it('moves only from the cursor the poll read: the first poll, then each next one', async () => {
    expect(await advancePollCursor(pool, 'airflow:prod', null, 'c1', T0)).toBe(true)
    // a second "first" poll (another replica read no cursor too) stores nothing
    expect(await advancePollCursor(pool, 'airflow:prod', null, 'other', T0)).toBe(false)
    expect(await advancePollCursor(pool, 'airflow:prod', 'c0', 'other', T0)).toBe(false)
    expect(await advancePollCursor(pool, 'airflow:prod', 'c1', 'c2', T1)).toBe(true)
    expect(await state('airflow:prod')).toEqual([
      { cursor: 'c2', lastSuccessAt: T1, lastError: null },
    ])
  })

  it('moves a cursor a failure left unset (the row exists, its cursor null)', async () => {
    await pool.query(
      "insert into collector_state (name, last_attempt_at, last_error) values ('airflow:new', $1, 'HTTP 503')",
      [T0],
    )
    expect(await advancePollCursor(pool, 'airflow:new', null, 'c1', T1)).toBe(true)
    expect(await state('airflow:new')).toEqual([
      { cursor: 'c1', lastSuccessAt: T1, lastError: null },
    ])
  })

  it('lets one of two concurrent polls from the same cursor win; the other waits, then stores nothing', async () => {
    await advancePollCursor(pool, 'airflow:race', null, 'c1', T0)
    const a = await pool.connect()
    const b = await pool.connect()
    try {
      await a.query('begin')
      await b.query('begin')
      expect(await advancePollCursor(a, 'airflow:race', 'c1', 'from-a', T1)).toBe(true)
      const second = advancePollCursor(b, 'airflow:race', 'c1', 'from-b', T1)
      await a.query('commit')
      expect(await second).toBe(false)
      await b.query('rollback')
    } finally {
      a.release()
      b.release()
    }
    expect((await state('airflow:race'))[0]?.cursor).toBe('from-a')
  })
})
