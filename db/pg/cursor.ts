import type { PgConn } from './module.ts'

// An Airflow's poll cursor on a store several replicas share. One replica polls each Airflow (its
// leader job, db/leader.ts airflowJob), but leadership can move between a poll's read of the
// cursor and its write (a replica that lost its session and does not know it yet): the cursor is
// written compare-and-set, so a poll that read a cursor someone has moved since stores nothing.

/**
 * Moves the poll cursor of `name` from `from` (null: none yet) to `to`, recording a success at `at`
 * (as recordPollSuccess does), in one statement; false, and nothing written, when the stored
 * cursor is no longer `from`. Call it inside the transaction that stores the poll's batch and roll
 * that back on false. A concurrent writer of the same row waits for this one, then finds it moved.
 */
export async function advancePollCursor(
  q: PgConn,
  name: string,
  from: string | null,
  to: string,
  at: string,
): Promise<boolean> {
  const r = await q.query<{ n: number }>(
    `with moved as (
       update collector_state
          set cursor = $3, last_attempt_at = $4, last_success_at = $4, last_error = null
        where name = $1 and cursor is not distinct from $2::text
       returning 1),
     first as (
       insert into collector_state (name, cursor, last_attempt_at, last_success_at)
       select $1, $3, $4, $4 where $2::text is null and not exists (select 1 from moved)
       on conflict (name) do nothing
       returning 1)
     select (select count(*) from moved) + (select count(*) from first) as n`,
    [name, from, to, at],
  )
  return r.rows[0]?.n === 1
}
