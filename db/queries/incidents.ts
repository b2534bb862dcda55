import { and, asc, desc, eq, gte, inArray, isNull, lte, or, sql } from 'drizzle-orm'
import type { IncidentStatus } from '../../common/incident-vocab.ts'
import type { Db } from '../client.ts'
import type { BlastProduct } from '../incident-shapes.ts'
import {
  alerts,
  apiTokens,
  datasets,
  incidentConsumers,
  incidents,
  incidentTransitions,
  productOutputs,
  type IncidentConsumerRow,
  type IncidentRow,
} from '../schema.ts'
import { chunk } from './merge.ts'

export type IncidentInsert = typeof incidents.$inferInsert
export type TransitionInsert = typeof incidentTransitions.$inferInsert

/** The newest incident of each product (open or not). */
export function latestIncidents(db: Db, productIds: string[]): Map<string, IncidentRow> {
  const out = new Map<string, IncidentRow>()
  for (const part of chunk(productIds, 5000)) {
    const rows = db
      .select()
      .from(incidents)
      .where(
        and(
          inArray(incidents.productId, part),
          sql`${incidents.id} = (select max(i2.id) from incidents i2 where i2.product_id = ${incidents.productId})`,
        ),
      )
      .all()
    for (const r of rows) out.set(r.productId, r)
  }
  return out
}

/** Products whose current incident someone acknowledged, or muted past `at`: no reminders for them. */
export function quietProducts(db: Db, productIds: string[], at: string): Set<string> {
  const out = new Set<string>()
  for (const [id, r] of latestIncidents(db, productIds))
    if (r.status === 'acknowledged' || (r.status === 'open' && r.mutedUntil && r.mutedUntil > at))
      out.add(id)
  return out
}

export function insertIncident(db: Db, row: IncidentInsert): IncidentRow {
  return db.insert(incidents).values(row).returning().get()
}

export function updateIncident(db: Db, id: number, set: Partial<IncidentInsert>): IncidentRow {
  const row = db.update(incidents).set(set).where(eq(incidents.id, id)).returning().get()
  if (!row) throw new Error(`incident ${id} vanished inside its own transaction`)
  return row
}

export function insertTransition(db: Db, row: TransitionInsert): number {
  return db.insert(incidentTransitions).values(row).returning({ id: incidentTransitions.id }).get()
    .id
}

/**
 * Makes the consumer rows of an incident match its blast radius: a domain newly affected is
 * notified at `at`, one no longer affected keeps its row (it was told) with its products as they were.
 */
export function syncConsumers(db: Db, incidentId: number, blast: BlastProduct[], at: string): void {
  const byDomain = new Map<string, BlastProduct[]>()
  for (const p of blast) byDomain.set(p.domain, [...(byDomain.get(p.domain) ?? []), p])
  for (const [domain, products] of byDomain)
    db.insert(incidentConsumers)
      .values({ incidentId, domain, products, notifiedAt: at })
      .onConflictDoUpdate({
        target: [incidentConsumers.incidentId, incidentConsumers.domain],
        set: { products, resolvedAt: null },
      })
      .run()
}

export function resolveConsumers(db: Db, incidentId: number, at: string): void {
  db.update(incidentConsumers)
    .set({ resolvedAt: at })
    .where(and(eq(incidentConsumers.incidentId, incidentId), isNull(incidentConsumers.resolvedAt)))
    .run()
}

export function acknowledgeConsumer(
  db: Db,
  incidentId: number,
  domain: string,
  ack: { at: string; by: string },
): IncidentConsumerRow | undefined {
  return db
    .update(incidentConsumers)
    .set({ acknowledgedAt: ack.at, acknowledgedBy: ack.by })
    .where(and(eq(incidentConsumers.incidentId, incidentId), eq(incidentConsumers.domain, domain)))
    .returning()
    .get()
}

/**
 * The products of other domains downstream of a product's outputs, each with its owner and the
 * fewest hops. A job that reads a dataset passes it on to what it and its child jobs write, so an
 * Airflow DAG scheduled on an asset reaches the outputs of its tasks.
 *
 * A breadth-first walk from the product's outputs, one statement per hop: each dataset enters once,
 * at the hop it is first reached (its fewest), so diamonds and cycles cost nothing more, and only
 * the jobs that read the frontier (and their child jobs) are looked at. `cross join` keeps SQLite
 * from scanning every edge for the few jobs of a hop (it would, unasked: ~100x slower).
 */
export function blastRadius(db: Db, productId: string, maxDepth = 12): BlastProduct[] {
  const start = db
    .select({ id: productOutputs.datasetId })
    .from(productOutputs)
    .where(eq(productOutputs.productId, productId))
    .all()
    .map((r) => r.id)
  const depth = new Map<number, number>(start.map((id) => [id, 0]))
  let frontier = start
  for (let d = 1; d <= maxDepth && frontier.length > 0; d++) {
    const next: number[] = []
    for (const { id } of db.all<{ id: number }>(sql`
      with recursive family(job) as (
        select e.job_id from lineage_edges e
        where e.direction = 'input' and e.dataset_id in (select value from json_each(${JSON.stringify(frontier)}))
        union
        select j.id from family f join jobs j on j.parent_id = f.job
      )
      select distinct o.dataset_id as id from family f
      cross join lineage_edges o on o.job_id = f.job and o.direction = 'output'`))
      if (!depth.has(id)) {
        depth.set(id, d)
        next.push(id)
      }
    frontier = next
  }
  const reached = [...depth].filter(([, d]) => d > 0)
  if (reached.length === 0) return []
  return db.all<BlastProduct>(sql`
    select p.id as productId, p.name as name, p.domain as domain, p.owner as owner,
      min(w.value ->> '$[1]') - 1 as hops
    from json_each(${JSON.stringify(reached)}) w
    join product_outputs po on po.dataset_id = w.value ->> '$[0]'
    join products p on p.id = po.product_id
    where p.id <> ${productId}
      and p.domain <> (select domain from products where id = ${productId})
    group by p.id order by hops, p.id`)
}

export interface IncidentFilter {
  domain?: string | undefined
  productId?: string | undefined
  status?: IncidentStatus | 'muted' | undefined
  since?: string | undefined
  /** For status 'muted': muted past this time. */
  now?: string | undefined
  limit?: number | undefined
}

/** Incidents, newest first; `domain` matches the owning domain and the consumer domains told. */
export function listIncidents(db: Db, f: IncidentFilter = {}): IncidentRow[] {
  const where = and(
    f.domain
      ? or(
          eq(incidents.domain, f.domain),
          sql`exists (select 1 from incident_consumers c where c.incident_id = ${incidents.id} and c.domain = ${f.domain})`,
        )
      : undefined,
    f.productId ? eq(incidents.productId, f.productId) : undefined,
    f.status === 'muted'
      ? and(eq(incidents.status, 'open'), sql`${incidents.mutedUntil} > ${f.now ?? ''}`)
      : f.status
        ? eq(incidents.status, f.status)
        : undefined,
    f.since ? or(gte(incidents.detectedAt, f.since), gte(incidents.updatedAt, f.since)) : undefined,
  )
  return db
    .select()
    .from(incidents)
    .where(where)
    .orderBy(desc(incidents.detectedAt), desc(incidents.id))
    .limit(f.limit ?? 100)
    .all()
}

export const getIncident = (db: Db, id: number): IncidentRow | undefined =>
  db.select().from(incidents).where(eq(incidents.id, id)).get()

/**
 * An incident read to change it, inside a transaction: nothing else changes it before that commits
 * (SQLite: the store's transaction holds the write lock already; PostgreSQL locks the row).
 */
export const lockIncident = (db: Db, id: number): IncidentRow | undefined => getIncident(db, id)

export const transitionsOf = (db: Db, id: number) =>
  db
    .select()
    .from(incidentTransitions)
    .where(eq(incidentTransitions.incidentId, id))
    .orderBy(asc(incidentTransitions.id))
    .all()

export const consumersOf = (db: Db, id: number) =>
  db
    .select()
    .from(incidentConsumers)
    .where(eq(incidentConsumers.incidentId, id))
    .orderBy(asc(incidentConsumers.domain))
    .all()

/** The Slack webhook alerts of the given alert episodes, oldest first. */
export function webhookAlertsOf(db: Db, episodeIds: number[]) {
  if (episodeIds.length === 0) return []
  return db
    .select()
    .from(alerts)
    .where(inArray(alerts.episodeId, episodeIds))
    .orderBy(asc(alerts.id))
    .all()
}

/** Incidents detected in [from, to], for the per-domain statistics. */
export const incidentsDetectedBetween = (db: Db, from: string, to: string) =>
  db
    .select()
    .from(incidents)
    .where(and(gte(incidents.detectedAt, from), lte(incidents.detectedAt, to)))
    .all()

export const tokenNameOf = (db: Db, id: number): string | undefined =>
  db.select({ name: apiTokens.name }).from(apiTokens).where(eq(apiTokens.id, id)).get()?.name

/** Runs `fn` in one immediate transaction on the connection (better-sqlite3 is synchronous: `db` inside is the transaction). */
export const inTransaction = <T>(db: Db, fn: () => T): T =>
  db.transaction(() => fn(), { behavior: 'immediate' })

/** The tags of each product's output datasets (dbt tags, OpenLineage dataset tags), by product. */
export function outputTags(db: Db, productIds: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const part of chunk(productIds, 5000)) {
    const rows = db
      .select({ productId: productOutputs.productId, tags: datasets.tags })
      .from(productOutputs)
      .innerJoin(datasets, eq(datasets.id, productOutputs.datasetId))
      .where(inArray(productOutputs.productId, part))
      .all()
    for (const r of rows)
      if (r.tags?.length) out.set(r.productId, [...(out.get(r.productId) ?? []), ...r.tags])
  }
  return out
}
