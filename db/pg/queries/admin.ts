import type * as lite from '../../queries/admin.ts'
import type { PgModule } from '../module.ts'

// The demo's clock anchor, kept with the collectors' state (as db/queries/admin.ts keeps it).
const DEMO_STATE = 'demo-fixtures'

export const admin = {
  async isEmpty(q) {
    const r = await q.query(
      `select 1 where exists (select 1 from batches) or exists (select 1 from datasets)
          or exists (select 1 from jobs)`,
    )
    return r.rows.length === 0
  },

  async storeCounts(q) {
    const r = await q.query<{ domains: number; datasets: number; jobs: number; products: number }>(
      `select (select count(*) from domains) as domains, (select count(*) from datasets) as datasets,
              (select count(*) from jobs) as jobs, (select count(*) from products) as products`,
    )
    return r.rows[0]!
  },

  async getDemoAnchor(q) {
    const r = await q.query<{ cursor: string | null }>(
      'select cursor from collector_state where name = $1',
      [DEMO_STATE],
    )
    const cursor = r.rows[0]?.cursor
    if (!cursor) return undefined
    const v = JSON.parse(cursor) as { recordedAt?: unknown; loadedAt?: unknown }
    return typeof v.recordedAt === 'string' && typeof v.loadedAt === 'string'
      ? { recordedAt: v.recordedAt, loadedAt: v.loadedAt }
      : undefined
  },

  async setDemoAnchor(q, anchor) {
    await q.query(
      `insert into collector_state (name, cursor, last_success_at) values ($1, $2, $3)
       on conflict (name) do update set cursor = excluded.cursor`,
      [DEMO_STATE, JSON.stringify(anchor), anchor.loadedAt],
    )
  },

  async listDbtModelNames(q) {
    const r = await q.query<{ name: string }>(
      `select name from datasets where kind = 'model' and external_id is not null order by id`,
    )
    return [...new Set(r.rows.map((x) => x.name.slice(x.name.lastIndexOf('.') + 1)))]
  },

  async hasEvaluationSince(q, at) {
    const r = await q.query('select 1 from evaluations where evaluated_at >= $1 limit 1', [at])
    return r.rows.length > 0
  },
} satisfies PgModule<typeof lite>
