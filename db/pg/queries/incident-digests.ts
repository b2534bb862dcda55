import type * as lite from '../../queries/incident-digests.ts'
import type { IncidentDigestItemRow } from '../../schema.ts'
import type { PgModule } from '../module.ts'
import { columnsOf, insertRows, setList } from '../rows.ts'
import { incidentDigestItems } from '../schema.ts'

const ITEM = columnsOf(incidentDigestItems)

export const incidentDigests = {
  async addDigestItems(q, incidentId, rows) {
    await insertRows(
      q,
      incidentDigestItems,
      rows.map((r) => ({ ...r, incidentId })),
      { skipConflicts: true, returning: 'id' },
    )
  },

  async digestedThrough(q, incidentId, routeKey, audience) {
    const r = await q.query<{ max: number }>(
      `select coalesce(max(transition_id), 0) as max from incident_digest_items
        where incident_id = $1 and route_key = $2 and audience = $3`,
      [incidentId, routeKey, audience],
    )
    return r.rows[0]?.max ?? 0
  },

  /** One statement: the due items are chosen and locked once (SKIP LOCKED), then moved to their lease. */
  async claimDueDigestItems(q, opts) {
    const r = await q.query<IncidentDigestItemRow>(
      `with due as (
         select id from incident_digest_items
          where status = 'pending' and next_attempt_at <= $1
          order by id limit $3
          for update skip locked)
       update incident_digest_items i set next_attempt_at = $2, attempts = i.attempts + 1
         from due where i.id = due.id
       returning ${columnsOf(incidentDigestItems, 'i')}`,
      [opts.now, opts.leaseUntil, opts.limit],
    )
    return r.rows.sort((a, b) => a.id - b.id)
  },

  async settleDigestItems(q, ids, set) {
    if ('sentAt' in set)
      await q.query(
        `update incident_digest_items
            set status = 'sent', sent_at = $2, last_error = null, failing_since = null
          where id = any($1::int8[])`,
        [ids, set.sentAt],
      )
    else
      await q.query(
        `update incident_digest_items set status = 'failed', last_error = $2 where id = any($1::int8[])`,
        [ids, set.failed],
      )
  },

  async rescheduleDigestItems(q, ids, set) {
    const s = setList(
      incidentDigestItems,
      { nextAttemptAt: set.nextAttemptAt, lastError: set.error, failingSince: set.failingSince },
      2,
    )
    await q.query(`update incident_digest_items set ${s.sql} where id = any($1::int8[])`, [
      ids,
      ...s.values,
    ])
  },

  async digestItemsOf(q, incidentId) {
    const r = await q.query<IncidentDigestItemRow>(
      `select ${ITEM} from incident_digest_items where incident_id = $1 order by id`,
      [incidentId],
    )
    return r.rows
  },
} satisfies PgModule<typeof lite>
