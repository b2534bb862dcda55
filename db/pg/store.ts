import type pg from 'pg'
import type { RawEventRow, RunEvent, Store } from '../store.ts'

// The PostgreSQL store, written for PostgreSQL: a batch of events is one set-based insert
// (unnest of one array per column), deduplicated by the unique key with ON CONFLICT DO NOTHING.

const RAW_COLUMNS = [
  'event_hash',
  'kind',
  'run_id',
  'job_namespace',
  'job_name',
  'event_type',
  'event_time',
  'received_at',
  'payload',
  'domain',
] as const

const INSERT_RAW = `
insert into raw_events (${RAW_COLUMNS.join(', ')})
select ${RAW_COLUMNS.join(', ')}
  from unnest(${RAW_COLUMNS.map((_, i) => `$${i + 1}::text[]`).join(', ')})
       with ordinality as u(${RAW_COLUMNS.join(', ')}, ord)
 order by ord
    on conflict (event_time, event_hash) do nothing
returning event_time, event_hash`

type RunEventRow = Omit<RunEvent, 'event'> & { payload: string }

export function pgStore(pool: pg.Pool): Store {
  return {
    async keepRawEvents(events: readonly RawEventRow[], now: string) {
      if (events.length === 0) return []
      const columns = [
        events.map((e) => e.eventHash),
        events.map((e) => e.kind),
        events.map((e) => e.runId),
        events.map((e) => e.jobNamespace),
        events.map((e) => e.jobName),
        events.map((e) => e.eventType),
        events.map((e) => e.eventTime),
        events.map(() => now),
        events.map((e) => e.payload),
        events.map((e) => e.domain),
      ]
      // One statement is one transaction; the same event twice in a batch is kept once (the first).
      const r = await pool.query<{ event_time: string; event_hash: string }>(INSERT_RAW, columns)
      const fresh = new Set(r.rows.map((x) => `${x.event_time}\u0000${x.event_hash}`))
      return events.map((e) => fresh.delete(`${e.eventTime}\u0000${e.eventHash}`))
    },
    async listRunEvents(runId) {
      const r = await pool.query<RunEventRow>(
        `select id, event_hash as "eventHash", kind, run_id as "runId", job_namespace as "jobNamespace",
                job_name as "jobName", event_type as "eventType", event_time as "eventTime",
                received_at as "receivedAt", payload
           from raw_events where run_id = $1 order by id`,
        [runId],
      )
      return r.rows.map(({ payload, ...row }) => ({
        ...row,
        event: JSON.parse(payload) as unknown,
      }))
    },
    async pageRawEvents(afterId, limit) {
      const r = await pool.query<{
        id: number
        payload: string
        receivedAt: string
        domain: string | null
      }>(
        `select id, payload, received_at as "receivedAt", domain
           from raw_events where id > $1 order by id limit $2`,
        [afterId, limit],
      )
      return r.rows
    },
    async close() {
      await pool.end()
    },
  }
}
