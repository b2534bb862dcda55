import type * as lite from '../../queries/collectors.ts'
import type { CollectorStateRow } from '../../queries/collectors.ts'
import { advancePollCursor } from '../cursor.ts'
import type { PgModule } from '../module.ts'
import { columnsOf } from '../rows.ts'
import { collectorState } from '../schema.ts'

// Collectors' poll state on PostgreSQL. A replica's compare-and-set of a poll's cursor is
// db/pg/cursor.ts (advancePollCursor); the others are SQLite's plain upserts.

const STATE = columnsOf(collectorState)

export const collectors = {
  async getCollectorState(q, name) {
    return (
      await q.query<CollectorStateRow>(`select ${STATE} from collector_state where name = $1`, [
        name,
      ])
    ).rows[0]
  },

  async listCollectorStates(q) {
    return (await q.query<CollectorStateRow>(`select ${STATE} from collector_state order by name`))
      .rows
  },

  async recordPollSuccess(q, name, cursor, at) {
    await q.query(
      `insert into collector_state (name, cursor, last_attempt_at, last_success_at, last_error)
       values ($1, $2, $3, $3, null)
       on conflict (name) do update
         set cursor = excluded.cursor, last_attempt_at = excluded.last_attempt_at,
             last_success_at = excluded.last_success_at, last_error = null`,
      [name, cursor, at],
    )
  },

  advancePollCursor,

  async recordPollFailure(q, name, error, at) {
    await q.query(
      `insert into collector_state (name, last_attempt_at, last_error) values ($1, $2, $3)
       on conflict (name) do update
         set last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error`,
      [name, at, error],
    )
  },
} satisfies PgModule<typeof lite>
