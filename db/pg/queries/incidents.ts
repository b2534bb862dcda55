import type pg from 'pg'
import type { BlastProduct } from '../../incident-shapes.ts'
import type * as lite from '../../queries/incidents.ts'
import type { AlertRow } from '../../queries/alerts.ts'
import type { IncidentConsumerRow, IncidentRow } from '../../schema.ts'
import type { PgConn, PgModule } from '../module.ts'
import { columnsOf, insertRows, inTransaction as inTx, setList } from '../rows.ts'
import {
  alerts,
  incidentConsumers,
  incidents as incidentsTable,
  incidentTransitions,
} from '../schema.ts'

const INCIDENT = columnsOf(incidentsTable)
const CONSUMER = columnsOf(incidentConsumers)
const TRANSITION = columnsOf(incidentTransitions)

type TransitionRow = Awaited<ReturnType<typeof lite.transitionsOf>>[number]

/** One hop of the blast radius: the jobs reading the frontier and their child jobs, what they write. */
const HOP = `
  with recursive family(job) as (
    select e.job_id from lineage_edges e
     where e.direction = 'input' and e.dataset_id = any($1::int8[])
    union
    select j.id from family f join jobs j on j.parent_id = f.job
  )
  select distinct o.dataset_id as id from family f
    join lineage_edges o on o.job_id = f.job and o.direction = 'output'`

async function latestIncidents(q: PgConn, productIds: string[]): Promise<Map<string, IncidentRow>> {
  const r = await q.query<IncidentRow>(
    `select distinct on (product_id) ${INCIDENT} from incidents
      where product_id = any($1::text[]) order by product_id, id desc`,
    [productIds],
  )
  return new Map(r.rows.map((i) => [i.productId, i]))
}

export const incidents = {
  latestIncidents,

  async quietProducts(q, productIds, at) {
    const out = new Set<string>()
    for (const [id, r] of await latestIncidents(q, productIds))
      if (r.status === 'acknowledged' || (r.status === 'open' && r.mutedUntil && r.mutedUntil > at))
        out.add(id)
    return out
  },

  async insertIncident(q, row) {
    const [out] = await insertRows<IncidentRow>(q, incidentsTable, [row], { returning: INCIDENT })
    return out!
  },

  async updateIncident(q, id, set) {
    const s = setList(incidentsTable, set, 2)
    const r = await q.query<IncidentRow>(
      `update incidents set ${s.sql} where id = $1 returning ${INCIDENT}`,
      [id, ...s.values],
    )
    const row = r.rows[0]
    if (!row) throw new Error(`incident ${id} vanished inside its own transaction`)
    return row
  },

  async insertTransition(q, row) {
    const [out] = await insertRows<{ id: number }>(q, incidentTransitions, [row], {
      returning: 'id',
    })
    return out!.id
  },

  /** One statement for every domain; a consumer row that would not change is not rewritten. */
  async syncConsumers(q, incidentId, blast, at) {
    const byDomain = new Map<string, BlastProduct[]>()
    for (const p of blast) byDomain.set(p.domain, [...(byDomain.get(p.domain) ?? []), p])
    if (byDomain.size === 0) return
    await q.query(
      `insert into incident_consumers (incident_id, domain, products, notified_at)
       select $1, r.domain, r.products, $3
         from json_to_recordset($2::json) as r(domain text, products json)
       on conflict (incident_id, domain) do update
          set products = excluded.products, resolved_at = null
        where (incident_consumers.products::text, incident_consumers.resolved_at)
              is distinct from (excluded.products::text, null)`,
      [
        incidentId,
        JSON.stringify([...byDomain].map(([domain, products]) => ({ domain, products }))),
        at,
      ],
    )
  },

  async resolveConsumers(q, incidentId, at) {
    await q.query(
      `update incident_consumers set resolved_at = $2 where incident_id = $1 and resolved_at is null`,
      [incidentId, at],
    )
  },

  async acknowledgeConsumer(q, incidentId, domain, ack) {
    const r = await q.query<IncidentConsumerRow>(
      `update incident_consumers set acknowledged_at = $3, acknowledged_by = $4
        where incident_id = $1 and domain = $2 returning ${CONSUMER}`,
      [incidentId, domain, ack.at, ack.by],
    )
    return r.rows[0]
  },

  /**
   * The breadth-first walk of db/queries/incidents.ts, one statement per hop (each dataset enters
   * at the hop it is first reached), then the products of other domains those datasets belong to.
   */
  async blastRadius(q, productId, maxDepth = 12) {
    const start = (
      await q.query<{ id: number }>(
        'select dataset_id as id from product_outputs where product_id = $1',
        [productId],
      )
    ).rows.map((r) => r.id)
    const depth = new Map<number, number>(start.map((id) => [id, 0]))
    let frontier = start
    for (let d = 1; d <= maxDepth && frontier.length > 0; d++) {
      const next: number[] = []
      for (const { id } of (await q.query<{ id: number }>(HOP, [frontier])).rows)
        if (!depth.has(id)) {
          depth.set(id, d)
          next.push(id)
        }
      frontier = next
    }
    const reached = [...depth].filter(([, d]) => d > 0)
    if (reached.length === 0) return []
    const r = await q.query<BlastProduct>(
      `select p.id as "productId", p.name, p.domain, p.owner, min(w.d) - 1 as hops
         from unnest($1::int8[], $2::int4[]) as w(id, d)
         join product_outputs po on po.dataset_id = w.id
         join products p on p.id = po.product_id
        where p.id <> $3 and p.domain <> (select domain from products where id = $3)
        group by p.id order by hops, p.id`,
      [reached.map(([id]) => id), reached.map(([, d]) => d), productId],
    )
    return r.rows
  },

  async listIncidents(q, f = {}) {
    const r = await q.query<IncidentRow>(
      `select ${INCIDENT} from incidents i
        where ($1::text is null or i.domain = $1 or exists (
                 select 1 from incident_consumers c where c.incident_id = i.id and c.domain = $1))
          and ($2::text is null or i.product_id = $2)
          and (case when $3::text = 'muted' then i.status = 'open' and i.muted_until > $4
                    when $3::text is not null then i.status = $3 else true end)
          and ($5::text is null or i.detected_at >= $5 or i.updated_at >= $5)
        order by i.detected_at desc, i.id desc limit $6`,
      [
        f.domain || null,
        f.productId || null,
        f.status || null,
        f.now ?? '',
        f.since || null,
        f.limit ?? 100,
      ],
    )
    return r.rows
  },

  async getIncident(q, id) {
    const r = await q.query<IncidentRow>(`select ${INCIDENT} from incidents where id = $1`, [id])
    return r.rows[0]
  },

  async lockIncident(q, id) {
    // another replica's action (or the evaluator) on it waits for this transaction's commit
    const r = await q.query<IncidentRow>(
      `select ${INCIDENT} from incidents where id = $1 for update`,
      [id],
    )
    return r.rows[0]
  },

  async transitionsOf(q, id) {
    const r = await q.query<TransitionRow>(
      `select ${TRANSITION} from incident_transitions where incident_id = $1 order by id`,
      [id],
    )
    return r.rows
  },

  async consumersOf(q, id) {
    const r = await q.query<IncidentConsumerRow>(
      `select ${CONSUMER} from incident_consumers where incident_id = $1 order by domain`,
      [id],
    )
    return r.rows
  },

  async webhookAlertsOf(q, episodeIds) {
    if (episodeIds.length === 0) return []
    const r = await q.query<AlertRow>(
      `select ${columnsOf(alerts)} from alerts where episode_id = any($1::int8[]) order by id`,
      [episodeIds],
    )
    return r.rows
  },

  /** In id order: SQLite's scan of the table (no index leads with detected_at) reads them so. */
  async incidentsDetectedBetween(q, from, to) {
    const r = await q.query<IncidentRow>(
      `select ${INCIDENT} from incidents where detected_at >= $1 and detected_at <= $2 order by id`,
      [from, to],
    )
    return r.rows
  },

  async tokenNameOf(q, id) {
    const r = await q.query<{ name: string }>('select name from api_tokens where id = $1', [id])
    return r.rows[0]?.name
  },

  /**
   * Runs `fn` in one transaction and hands it the transaction's client (a PostgreSQL transaction
   * lives on one connection, so what `fn` writes must go through it): the caller's own when `q`
   * is a client already.
   */
  inTransaction: <T>(q: PgConn, fn: (tx: pg.PoolClient) => T | Promise<T>): Promise<T> =>
    inTx(q, async (tx) => fn(tx)),

  /** Per product, its output datasets' tags, in dataset id order (SQLite's primary-key order). */
  async outputTags(q, productIds) {
    const r = await q.query<{ productId: string; tags: string[] | null }>(
      `select po.product_id as "productId", d.tags from product_outputs po
         join datasets d on d.id = po.dataset_id
        where po.product_id = any($1::text[]) order by po.product_id, po.dataset_id`,
      [productIds],
    )
    const out = new Map<string, string[]>()
    for (const x of r.rows)
      if (x.tags?.length) out.set(x.productId, [...(out.get(x.productId) ?? []), ...x.tags])
    return out
  },
} satisfies PgModule<typeof lite>
