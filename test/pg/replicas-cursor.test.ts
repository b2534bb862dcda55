import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { openPgPool } from '../../db/pg/client.ts'
import { collectors as pgCollectors } from '../../db/pg/queries/collectors.ts'
import * as liteCollectors from '../../db/queries/collectors.ts'
import { advancePollCursor } from '../../db/queries/collectors.ts'
import { bindPg, bindSqlite, onBoth, type Bound } from './engines.ts'
import { createDatabase } from './helpers.ts'

// collectors.advancePollCursor, the compare-and-set a poll stores its cursor with, on both
// engines: the same moves allowed and refused, the same state after.

type C = typeof pgCollectors
let db: Db
let pool: pg.Pool
let collectors: { sqlite: Bound<C>; pg: Bound<C> }

beforeAll(async () => {
  db = openDb(':memory:')
  pool = await openPgPool(await createDatabase())
  collectors = { sqlite: bindSqlite<C>(liteCollectors, db), pg: bindPg(pgCollectors, pool) }
})
afterAll(async () => {
  closeDb(db)
  await pool.end()
})

const at = (s: number) => `2026-12-01T00:00:0${s}.000Z`

describe('advancePollCursor on both engines', () => {
  it('moves a cursor only from the one the poll read, first poll included', async () => {
    const move = (from: string | null, to: string, s: number) =>
      onBoth(collectors, (m) => m.advancePollCursor('airflow:x', from, to, at(s)))
    expect(await move(null, 'c1', 1)).toBe(true)
    expect(await move(null, 'again', 2)).toBe(false)
    expect(await move('c0', 'stale', 2)).toBe(false)
    // an unchanged cursor (no new runs) is a move too: the success is recorded
    expect(await move('c1', 'c1', 3)).toBe(true)
    await onBoth(collectors, (m) => m.recordPollFailure('airflow:x', 'HTTP 503', at(4)))
    expect(await move('c1', 'c2', 5)).toBe(true)
    expect(await onBoth(collectors, (m) => m.getCollectorState('airflow:x'))).toEqual({
      name: 'airflow:x',
      cursor: 'c2',
      lastAttemptAt: at(5),
      lastSuccessAt: at(5),
      lastError: null,
    })
  })

  it('takes the first cursor of a collector whose polls so far all failed', async () => {
    await onBoth(collectors, (m) => m.recordPollFailure('airflow:y', 'refused', at(1)))
    expect(
      await onBoth(collectors, (m) => m.advancePollCursor('airflow:y', 'c9', 'c1', at(2))),
    ).toBe(false)
    expect(
      await onBoth(collectors, (m) => m.advancePollCursor('airflow:y', null, 'c1', at(2))),
    ).toBe(true)
    expect((await onBoth(collectors, (m) => m.getCollectorState('airflow:y')))?.cursor).toBe('c1')
  })

  it('answers synchronously on SQLite, inside the transaction that stores the poll', () => {
    const tx = db.$client.transaction(() => advancePollCursor(db, 'airflow:z', null, 'c1', at(1)))
    expect(tx()).toBe(true)
    expect(advancePollCursor(db, 'airflow:z', null, 'c1', at(2))).toBe(false)
  })
})
