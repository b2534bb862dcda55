import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { inject } from 'vitest'

/** A new, empty database on the suite's cluster, so each test file starts from nothing. */
export async function createDatabase(): Promise<string> {
  const admin = new pg.Client({ connectionString: inject('pgUrl') })
  await admin.connect()
  const name = `t_${randomBytes(6).toString('hex')}`
  try {
    await admin.query(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(inject('pgUrl'))
  url.pathname = `/${name}`
  return url.toString()
}

/** Until some session of `pool`'s database waits for a lock another holds. */
export async function someoneWaits(pool: pg.Pool): Promise<void> {
  for (;;) {
    const r = await pool.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and wait_event_type = 'Lock'`,
    )
    if ((r.rows[0]?.n ?? 0) > 0) return
    await sleep(5)
  }
}
