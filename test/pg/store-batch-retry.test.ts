import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { isRetryable, withRetry } from '../../db/pg/ingest/retry.ts'
import { inTransaction } from '../../db/pg/rows.ts'
import { createDatabase } from './helpers.ts'

// storeBatch's retry on a real deadlock: two transactions taking two rows in opposite orders,
// each waiting for the other; PostgreSQL aborts one (40P01) and withRetry runs it again.

describe('withRetry', () => {
  it('runs a transaction PostgreSQL aborted as a deadlock victim again, until it commits', async () => {
    const pool = new pg.Pool({ connectionString: await createDatabase(), max: 4 })
    try {
      await pool.query('create table t (id int primary key, n int not null)')
      await pool.query('insert into t values (1, 0), (2, 0)')
      let held = 0
      let release: () => void = () => {}
      const bothHold = new Promise<void>((r) => (release = r))
      const errors: unknown[] = []
      let attempts = 0
      const swap = (first: number, second: number) =>
        withRetry(async () => {
          attempts++
          try {
            return await inTransaction(pool, async (tx) => {
              await tx.query('update t set n = n + 1 where id = $1', [first])
              if (++held === 2) release()
              await bothHold
              await tx.query('update t set n = n + 1 where id = $1', [second])
            })
          } catch (e) {
            errors.push(e)
            throw e
          }
        })
      await Promise.all([swap(1, 2), swap(2, 1)])
      expect(errors.map(isRetryable)).toEqual([true])
      expect(attempts).toBe(3)
      const r = await pool.query<{ n: number }>('select n from t order by id')
      expect(r.rows).toEqual([{ n: 2 }, { n: 2 }])
    } finally {
      await pool.end()
    }
  })

  it('does not run again what failed otherwise', async () => {
    let attempts = 0
    const fail = withRetry(() => {
      attempts++
      return Promise.reject(Object.assign(new Error('unique'), { code: '23505' }))
    })
    await expect(fail).rejects.toThrow('unique')
    expect(attempts).toBe(1)
  })
})
