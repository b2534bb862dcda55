import type * as lite from '../../queries/incident-deliveries.ts'
import type { IncidentDeliveryRow, IncidentRow } from '../../schema.ts'
import type { PgModule } from '../module.ts'
import { columnsOf, insertRows, inTransaction, setList } from '../rows.ts'
import { incidentDeliveries as deliveriesTable, incidents, incidentTransitions } from '../schema.ts'
import { incidentDigests } from './incident-digests.ts'

// Incident deliveries on PostgreSQL. A claim is one statement that locks the due deliveries it
// takes (FOR UPDATE SKIP LOCKED) and moves them to their lease: two replicas' dispatchers never
// send one delivery at once, and one that dies leaves its deliveries due again when the lease ends.

const DELIVERY = columnsOf(deliveriesTable)
const TRANSITION = columnsOf(incidentTransitions)
const LATEST = `(select coalesce(max(t.id), 0) from incident_transitions t where t.incident_id = i.id)`

export const incidentDeliveries = {
  async incidentsToFanOut(q, limit = 500) {
    const r = await q.query<IncidentRow & { latest$: number }>(
      `select ${columnsOf(incidents, 'i')}, ${LATEST} as "latest$" from incidents i
        where ${LATEST} > i.fanned_out order by i.id limit $1`,
      [limit],
    )
    return r.rows.map(({ latest$, ...incident }) => ({ incident, latest: latest$ }))
  },

  async addDeliveries(q, incidentId, rows, through, digest = []) {
    await inTransaction(q, async (tx) => {
      await incidentDigests.addDigestItems(tx, incidentId, digest)
      await insertRows(
        tx,
        deliveriesTable,
        rows.map((r) => ({ ...r, incidentId })),
        { skipConflicts: true, returning: 'id' },
      )
      await tx.query('update incidents set fanned_out = $2 where id = $1', [incidentId, through])
    })
  },

  async claimDueDeliveries(q, opts) {
    const r = await q.query<IncidentDeliveryRow>(
      `with due as (
         select d.id from incident_deliveries d
          where d.status = 'active' and d.next_attempt_at <= $1
            and d.cursor < (select coalesce(max(t.id), 0) from incident_transitions t
                             where t.incident_id = d.incident_id)
          order by d.next_attempt_at, d.id limit $3
          for update of d skip locked)
       update incident_deliveries x
          set next_attempt_at = $2, attempts = x.attempts + 1, last_attempt_at = $1
         from due where x.id = due.id
       returning ${columnsOf(deliveriesTable, 'x')}`,
      [opts.now, opts.leaseUntil, opts.limit],
    )
    return r.rows.sort((a, b) => a.id - b.id)
  },

  async transitionsAfter(q, incidentId, cursor) {
    const r = await q.query(
      `select ${TRANSITION} from incident_transitions
        where incident_id = $1 and id > $2 order by id`,
      [incidentId, cursor],
    )
    return r.rows as Awaited<ReturnType<typeof lite.transitionsAfter>>
  },

  async advanceDelivery(q, id, set) {
    await q.query(
      `update incident_deliveries
          set cursor = $2, delivered_at = $3, attempts = 0, failing_since = null, last_error = null,
              ref = coalesce($4::json, ref)
        where id = $1`,
      [id, set.cursor, set.at, set.ref ? JSON.stringify(set.ref) : null],
    )
  },

  async scheduleDelivery(q, id, set) {
    const s = setList(
      deliveriesTable,
      { nextAttemptAt: set.nextAttemptAt, lastError: set.error, failingSince: set.failingSince },
      2,
    )
    await q.query(`update incident_deliveries set ${s.sql} where id = $1`, [id, ...s.values])
  },

  async renewDeliveryLease(q, id, held, until) {
    const r = await q.query(
      `update incident_deliveries set next_attempt_at = $3
        where id = $1 and status = 'active' and next_attempt_at = $2`,
      [id, held, until],
    )
    return r.rowCount === 1
  },

  async failDelivery(q, id, error) {
    await q.query(
      `update incident_deliveries set status = 'failed', last_error = $2 where id = $1`,
      [id, error],
    )
  },

  async deliveriesOf(q, incidentId) {
    const r = await q.query<IncidentDeliveryRow>(
      `select ${DELIVERY} from incident_deliveries where incident_id = $1 order by id`,
      [incidentId],
    )
    return r.rows
  },

  async deliveryAt(q, incidentId, ref) {
    const r = await q.query<IncidentDeliveryRow>(
      `select ${DELIVERY} from incident_deliveries
        where incident_id = $1 and ref ->> 'ts' = $2 and ref ->> 'channel' = $3 limit 1`,
      [incidentId, ref.ts, ref.channel],
    )
    return r.rows[0]
  },

  async activeHolds(q, now) {
    const r = await q.query<{ key: string; until: string }>(
      `select key, until from incident_route_holds where until > $1 order by key`,
      [now],
    )
    return new Map(r.rows.map((h) => [h.key, Date.parse(h.until)]))
  },

  async holdRoute(q, key, until, reason) {
    await q.query(
      `insert into incident_route_holds (key, until, reason) values ($1, $2, $3)
       on conflict (key) do update
         set until = greatest(incident_route_holds.until, excluded.until), reason = excluded.reason`,
      [key, until, reason],
    )
  },
} satisfies PgModule<typeof lite>
