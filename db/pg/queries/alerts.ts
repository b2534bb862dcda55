import type * as lite from '../../queries/alerts.ts'
import type { AlertRow, EpisodeRow } from '../../queries/alerts.ts'
import type { PgModule } from '../module.ts'
import { columnsOf, insertRows, setList } from '../rows.ts'
import { alertEpisodes, alerts as alertsTable } from '../schema.ts'

// The alert outbox on PostgreSQL. Several replicas may run a dispatcher: a claim is one statement
// that locks the due rows it takes (FOR UPDATE SKIP LOCKED: a row another replica is claiming is
// passed over, not waited for) and moves them to their lease, so no two claims return one row
// until its lease has run out.

const ALERT = columnsOf(alertsTable)
const EPISODE = columnsOf(alertEpisodes)

export const alerts = {
  async openEpisodes(q, productIds) {
    const r = await q.query<EpisodeRow>(
      `select ${EPISODE} from alert_episodes
        where product_id = any($1::text[]) and closed_at is null order by id`,
      [productIds],
    )
    return new Map(r.rows.map((e) => [e.productId, e]))
  },

  async productMeta(q, productIds) {
    const r = await q.query<{ id: string; name: string; domain: string; owner: string | null }>(
      `select id, name, domain, owner from products where id = any($1::text[]) order by id`,
      [productIds],
    )
    return new Map(r.rows.map((p) => [p.id, p]))
  },

  async insertEpisode(q, e) {
    const r = await q.query<{ id: number }>(
      `insert into alert_episodes (product_id, domain, opened_at, status, worst, last_alert_at)
       values ($1, $2, $3, $4, $4, $3) returning id`,
      [e.productId, e.domain, e.at, e.status],
    )
    return r.rows[0]!.id
  },

  async updateEpisode(q, id, set) {
    const s = setList(alertEpisodes, set, 2)
    if (s.values.length === 0) return
    await q.query(`update alert_episodes set ${s.sql} where id = $1`, [id, ...s.values])
  },

  async enqueueAlerts(q, rows) {
    const out = await insertRows<{ id: number }>(q, alertsTable, rows, {
      skipConflicts: true,
      returning: 'id',
    })
    return out.map((r) => r.id)
  },

  async claimDueAlerts(q, opts) {
    // The due rows are chosen and locked once, in the CTE: an `id in (select … limit n for update
    // skip locked)` the planner runs as the inner side of a nested loop is rescanned per row, and
    // each rescan takes more rows than n.
    const r = await q.query<AlertRow>(
      `with due as (
         select id from alerts
          where status = 'pending' and next_attempt_at <= $1
          order by next_attempt_at, id limit $3
          for update skip locked)
       update alerts a set next_attempt_at = $2, attempts = a.attempts + 1, last_attempt_at = $1
         from due where a.id = due.id and a.status = 'pending'
       returning ${columnsOf(alertsTable, 'a')}`,
      [opts.now, opts.leaseUntil, opts.limit],
    )
    return r.rows.sort((a, b) => a.id - b.id)
  },

  async markDelivered(q, ids, at) {
    await q.query(
      `update alerts set status = 'delivered', delivered_at = $2, last_error = null
        where id = any($1::int8[])`,
      [ids, at],
    )
  },

  async markRetry(q, ids, nextAttemptAt, error) {
    await q.query(
      `update alerts set next_attempt_at = $2, last_error = $3
        where id = any($1::int8[]) and status = 'pending'`,
      [ids, nextAttemptAt, error],
    )
  },

  async renewLease(q, ids, held, until) {
    const r = await q.query<{ id: number }>(
      `update alerts set next_attempt_at = $3
        where id = any($1::int8[]) and status = 'pending' and next_attempt_at = $2
        returning id`,
      [ids, held, until],
    )
    return r.rows.map((x) => Number(x.id)).sort((a, b) => a - b)
  },

  async markFailed(q, ids, error) {
    await q.query(
      `update alerts set status = 'failed', last_error = $2 where id = any($1::int8[])`,
      [ids, error],
    )
  },

  async requeueFailed(q, ids) {
    const r = await q.query(
      `update alerts set status = 'pending', next_attempt_at = created_at
        where status = 'failed' and ($1::int8[] is null or id = any($1::int8[]))`,
      [ids ?? null],
    )
    return r.rowCount ?? 0
  },

  async nextDueAt(q) {
    const r = await q.query<{ t: string | null }>(
      `select min(next_attempt_at) as t from alerts where status = 'pending'`,
    )
    return r.rows[0]?.t ?? undefined
  },

  async listAlerts(q, opts = {}) {
    const r = await q.query<AlertRow>(
      `select ${ALERT} from alerts
        where ($1::text is null or status = $1) and ($2::text is null or domain = $2)
          and ($3::text is null or product_id = $3)
        order by id desc limit $4`,
      [opts.status || null, opts.domain || null, opts.productId || null, opts.limit ?? 100],
    )
    return r.rows
  },

  async alertCounts(q) {
    const r = await q.query<{ status: string; n: number }>(
      `select status, count(*) as n from alerts group by status`,
    )
    return Object.fromEntries(r.rows.map((x) => [x.status, x.n]))
  },
} satisfies PgModule<typeof lite>
