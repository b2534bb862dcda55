import { sql } from 'drizzle-orm'
import {
  blob,
  index,
  integer,
  primaryKey,
  real,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core'
import { ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATUSES, STATUSES } from '../common/vocab.ts'
import type {
  AlertFacts,
  AlertRootCause,
  DimensionResult,
  RootCause,
  ScheduleFact,
} from './json-shapes.ts'
import {
  DELIVERY_STATUSES,
  INCIDENT_CHANNELS,
  INCIDENT_STATUSES,
  INCIDENT_TRANSITIONS,
  RESOLUTIONS,
} from '../common/incident-vocab.ts'
import type { BlastProduct } from './incident-shapes.ts'

// Times are ISO-8601 UTC strings ('…Z'), which sort correctly as text and keep the producer's precision.

const json = <T>() => text({ mode: 'json' }).$type<T>()

export const domains = sqliteTable('domains', {
  name: text().primaryKey(),
  owner: text(),
  description: text(),
  updatedAt: text().notNull(),
})

export const datasets = sqliteTable(
  'datasets',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    namespace: text().notNull(),
    name: text().notNull(),
    domain: text(),
    owner: text(),
    kind: text(),
    description: text(),
    access: text(),
    contractEnforced: integer({ mode: 'boolean' }),
    columns:
      json<{ name: string; type?: string; description?: string; constraints?: string[] }[]>(),
    tags: json<string[]>(),
    meta: json<Record<string, unknown>>(),
    sourceFile: text(),
    externalId: text(),
    firstSeenAt: text().notNull(),
    updatedAt: text().notNull(),
  },
  (t) => [
    uniqueIndex('datasets_ns_name').on(t.namespace, t.name),
    index('datasets_domain').on(t.domain),
  ],
)

export const datasetAliases = sqliteTable(
  'dataset_aliases',
  {
    namespace: text().notNull(),
    name: text().notNull(),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.namespace, t.name] }), index('aliases_dataset').on(t.datasetId)],
)

export const datasetVersions = sqliteTable(
  'dataset_versions',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    columnsHash: text().notNull(),
    columns: json<{ name: string; type?: string }[]>().notNull(),
    observedAt: text().notNull(),
  },
  (t) => [index('versions_dataset').on(t.datasetId, t.id)],
)

export const jobs = sqliteTable(
  'jobs',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    namespace: text().notNull(),
    name: text().notNull(),
    domain: text(),
    owner: text(),
    type: text().notNull(),
    parentId: integer(),
    description: text(),
    schedule: json<ScheduleFact>(),
    meta: json<Record<string, unknown>>(),
    externalId: text(),
    updatedAt: text().notNull(),
  },
  (t) => [
    uniqueIndex('jobs_ns_name').on(t.namespace, t.name),
    index('jobs_parent').on(t.parentId),
    index('jobs_domain').on(t.domain),
  ],
)

export const runs = sqliteTable(
  'runs',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    runId: text().notNull(),
    jobId: integer()
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    state: text().notNull(),
    startedAt: text(),
    endedAt: text(),
    nominalTime: text(),
    error: text(),
    rowsAffected: integer(),
    parentRunId: text(),
    facets: json<Record<string, unknown>>(),
    updatedAt: text().notNull(),
  },
  (t) => [uniqueIndex('runs_run_id').on(t.runId), index('runs_job').on(t.jobId, t.startedAt)],
)

export const lineageEdges = sqliteTable(
  'lineage_edges',
  {
    jobId: integer()
      .notNull()
      .references(() => jobs.id, { onDelete: 'cascade' }),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    direction: text({ enum: ['input', 'output'] }).notNull(),
    updatedAt: text().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.datasetId, t.direction] }),
    index('edges_dataset').on(t.datasetId, t.direction),
  ],
)

export const columnEdges = sqliteTable(
  'column_edges',
  {
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    column: text().notNull(),
    fromDatasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    fromColumn: text().notNull(),
    transformation: text(),
    source: text({ enum: ['openlineage', 'dbt_compiled', 'dbt_uncompiled'] })
      .notNull()
      .default('openlineage'),
  },
  (t) => [
    // one edge per source: dbt-ol's facet and meshwatch's own SQL lineage stay side by side
    primaryKey({ columns: [t.datasetId, t.column, t.fromDatasetId, t.fromColumn, t.source] }),
    index('column_edges_from').on(t.fromDatasetId),
  ],
)

export const checks = sqliteTable(
  'checks',
  {
    key: text().primaryKey(),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    column: text(),
    kind: text().notNull(),
    name: text().notNull(),
    severity: text().notNull(),
    origin: text().notNull(),
    updatedAt: text().notNull(),
  },
  (t) => [index('checks_dataset').on(t.datasetId)],
)

export const assertions = sqliteTable(
  'assertions',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    key: text().notNull(),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    column: text(),
    name: text().notNull(),
    status: text().notNull(),
    severity: text().notNull(),
    failures: integer(),
    message: text(),
    observedAt: text().notNull(),
    origin: text().notNull(),
    runId: text(),
  },
  (t) => [
    uniqueIndex('assertions_key_time').on(t.key, t.datasetId, t.observedAt),
    index('assertions_dataset').on(t.datasetId, t.observedAt),
  ],
)

export const metrics = sqliteTable(
  'metrics',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    value: real().notNull(),
    status: text(),
    detail: text(),
    observedAt: text().notNull(),
    runId: text(),
  },
  (t) => [uniqueIndex('metrics_dataset_name_time').on(t.datasetId, t.name, t.observedAt)],
)

export const products = sqliteTable(
  'products',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    domain: text().notNull(),
    owner: text(),
    description: text(),
    origin: text().notNull(),
    sla: json<Record<string, unknown>>(),
    updatedAt: text().notNull(),
  },
  (t) => [index('products_domain').on(t.domain)],
)

export const productOutputs = sqliteTable(
  'product_outputs',
  {
    productId: text()
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    datasetId: integer()
      .notNull()
      .references(() => datasets.id, { onDelete: 'cascade' }),
  },
  (t) => [
    primaryKey({ columns: [t.productId, t.datasetId] }),
    index('outputs_dataset').on(t.datasetId),
  ],
)

/** Every accepted batch, append-only and replayable; contentHash makes redelivery a no-op. */
export const batches = sqliteTable(
  'batches',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    kind: text().notNull(),
    scope: text().notNull(),
    contentHash: text().notNull(),
    receivedAt: text().notNull(),
    summary: json<Record<string, number>>().notNull(),
    /** The batch's JSON as concatenated gzip members (db/queries/batch-codec.ts): tens of MB of repetitive text for a big project. */
    payload: blob({ mode: 'buffer' }).notNull(),
  },
  (t) => [uniqueIndex('batches_hash').on(t.contentHash)],
)

/** Raw OpenLineage events, append-only (subject to retention), deduplicated by hash. */
export const rawEvents = sqliteTable(
  'raw_events',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    eventHash: text().notNull(),
    kind: text().notNull(),
    runId: text(),
    jobNamespace: text(),
    jobName: text(),
    eventType: text(),
    eventTime: text().notNull(),
    receivedAt: text().notNull(),
    payload: text().notNull(),
    /**
     * The domain of the token that posted it (null: an unscoped token or a local import): what
     * the event says about another domain's inputs is not applied, now or on replay.
     */
    domain: text(),
  },
  (t) => [
    // Dedupe key: equal events have equal times, so (time, hash) is as unique as the hash, and
    // events arrive roughly in time order: new keys land at the index's end instead of on a
    // random page each, so a bulk import's commit rewrites a few index pages, not most of them.
    uniqueIndex('raw_events_time_hash').on(t.eventTime, t.eventHash),
    index('raw_events_run').on(t.runId),
    // No index on received_at: ids follow receipt, so retention walks ids (listRawEventsBefore).
  ],
)

export const collectorState = sqliteTable('collector_state', {
  name: text().primaryKey(),
  cursor: text(),
  lastAttemptAt: text(),
  lastSuccessAt: text(),
  lastError: text(),
})

export const evaluations = sqliteTable(
  'evaluations',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    productId: text()
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    evaluatedAt: text().notNull(),
    /** 0 for an unknown evaluation, which reads back as null (readEvaluationRow). */
    score: real().notNull(),
    status: text({ enum: STATUSES }).notNull(),
    dimensions: json<DimensionResult[]>().notNull(),
    rootCause: json<RootCause>(),
  },
  (t) => [index('evaluations_product').on(t.productId, t.evaluatedAt)],
)

/** The alert outbox: written in the evaluation's transaction, drained by the dispatcher. */
export const alerts = sqliteTable(
  'alerts',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    dedupeKey: text().notNull(),
    productId: text(),
    domain: text().notNull(),
    kind: text({ enum: ALERT_KINDS }).notNull(),
    severity: text({ enum: ALERT_SEVERITIES }).notNull(),
    status: text({ enum: ALERT_STATUSES }).notNull().default('pending'),
    payload: json<AlertFacts>().notNull(),
    attempts: integer().notNull().default(0),
    createdAt: text().notNull(),
    nextAttemptAt: text().notNull(),
    deliveredAt: text(),
    lastError: text(),
    lastAttemptAt: text(),
    /** The episode this alert belongs to (alert_episodes.id); null for test messages. */
    episodeId: integer(),
  },
  (t) => [
    uniqueIndex('alerts_dedupe').on(t.dedupeKey),
    index('alerts_due').on(t.status, t.nextAttemptAt),
  ],
)

/**
 * A product's stretch of not-ok evaluations: opened by the evaluation that leaves ok, closed by
 * the one that returns to it. At most one open episode per product; its id is in every alert's dedupe key.
 */
export const alertEpisodes = sqliteTable(
  'alert_episodes',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    productId: text().notNull(),
    domain: text().notNull(),
    openedAt: text().notNull(),
    /** The current not-ok status, and the worst one seen in the episode. */
    status: text({ enum: STATUSES }).notNull(),
    worst: text({ enum: STATUSES }).notNull(),
    /** When the last opened/worsened/reminder alert was written: reminders count from here. */
    lastAlertAt: text().notNull(),
    reminders: integer().notNull().default(0),
    closedAt: text(),
  },
  (t) => [
    uniqueIndex('alert_episodes_open')
      .on(t.productId)
      .where(sql`closed_at is null`),
    index('alert_episodes_product').on(t.productId, t.openedAt),
  ],
)

export const apiTokens = sqliteTable(
  'api_tokens',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    name: text().notNull(),
    hash: text().notNull(),
    scope: text().notNull(),
    domain: text(),
    createdAt: text()
      .notNull()
      .default(sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`),
    expiresAt: text(),
    revokedAt: text(),
  },
  (t) => [uniqueIndex('api_tokens_hash').on(t.hash)],
)

export type DatasetRow = typeof datasets.$inferSelect
export type JobRow = typeof jobs.$inferSelect
export type RunRow = typeof runs.$inferSelect
export type ProductRow = typeof products.$inferSelect

/**
 * ODCS data contracts, one row per distinct content of a contract id (collectors/contracts/):
 * the newest row of an id is its current version. Bound to datasets and products when read.
 */
export const contracts = sqliteTable(
  'contracts',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    contractId: text().notNull(),
    version: text().notNull(),
    apiVersion: text().notNull(),
    contentHash: text().notNull(),
    status: text().notNull(),
    name: text(),
    domain: text(),
    dataProduct: text(),
    document: json<Record<string, unknown>>().notNull(),
    sourceFile: text(),
    receivedAt: text().notNull(),
  },
  (t) => [
    uniqueIndex('contracts_id_hash').on(t.contractId, t.contentHash),
    index('contracts_domain').on(t.domain),
  ],
)
export type ContractRow = typeof contracts.$inferSelect

/**
 * Incidents (server/incidents/): a breach episode as one object with a stable id and a lifecycle.
 * Written in the evaluation's transaction, after the alert episodes; a reopened incident moves on
 * to the new episode.
 */
export const incidents = sqliteTable(
  'incidents',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    productId: text().notNull(),
    domain: text().notNull(),
    title: text().notNull(),
    status: text({ enum: INCIDENT_STATUSES }).notNull(),
    /** The worst the product has been in it: warn or breach. */
    severity: text({ enum: ALERT_SEVERITIES }).notNull(),
    productStatus: text({ enum: STATUSES }).notNull(),
    score: real(),
    /** When meshwatch saw it (the evaluation that opened the episode). */
    detectedAt: text().notNull(),
    /** When it began upstream: the root cause's culprit time, else detectedAt. */
    startedAt: text().notNull(),
    acknowledgedAt: text(),
    acknowledgedBy: text(),
    mutedUntil: text(),
    resolvedAt: text(),
    resolution: text({ enum: RESOLUTIONS }),
    resolvedBy: text(),
    resolveReason: text(),
    reopened: integer().notNull().default(0),
    episodeId: integer().notNull(),
    rootCause: json<AlertRootCause | null>(),
    blastRadius: json<BlastProduct[]>().notNull(),
    updatedAt: text().notNull(),
    /** The last transition whose routes were worked out (server/incidents/dispatch.ts). */
    fannedOut: integer().notNull().default(0),
  },
  (t) => [
    uniqueIndex('incidents_episode').on(t.episodeId),
    index('incidents_product').on(t.productId, t.detectedAt),
    index('incidents_domain').on(t.domain, t.detectedAt),
  ],
)

/** Every change of an incident, in order, with the product's root cause and blast radius then. */
export const incidentTransitions = sqliteTable(
  'incident_transitions',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    incidentId: integer()
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    kind: text({ enum: INCIDENT_TRANSITIONS }).notNull(),
    at: text().notNull(),
    /** Who did it (a person or token name); null for meshwatch itself. */
    actor: text(),
    actorDomain: text(),
    note: text(),
    productStatus: text({ enum: STATUSES }).notNull(),
    score: real(),
    /** What changed (updated): status, score, root cause, blast radius. */
    changes: json<string[]>().notNull(),
    rootCause: json<AlertRootCause | null>(),
    blastRadius: json<BlastProduct[]>().notNull(),
    episodeId: integer().notNull(),
  },
  (t) => [index('incident_transitions_incident').on(t.incidentId, t.id)],
)

/** One consumer domain told about an incident upstream of it: what of it reads the product, its own acknowledgement. */
export const incidentConsumers = sqliteTable(
  'incident_consumers',
  {
    incidentId: integer()
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    domain: text().notNull(),
    products: json<BlastProduct[]>().notNull(),
    notifiedAt: text().notNull(),
    acknowledgedAt: text(),
    acknowledgedBy: text(),
    resolvedAt: text(),
  },
  (t) => [
    primaryKey({ columns: [t.incidentId, t.domain] }),
    index('incident_consumers_domain').on(t.domain),
  ],
)

/**
 * One living message of an incident on one route (a channel of the owning domain, or of a
 * consumer domain): `cursor` is the last transition delivered there, so each transition goes out
 * once, in order, and nothing is lost while the channel is down.
 */
export const incidentDeliveries = sqliteTable(
  'incident_deliveries',
  {
    id: integer().primaryKey({ autoIncrement: true }),
    incidentId: integer()
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    /** The route, by what names it (channel type, variable names, channel): never a secret. */
    routeKey: text().notNull(),
    channel: text({ enum: INCIDENT_CHANNELS }).notNull(),
    /** `owner`, or the consumer domain this message tells. */
    audience: text().notNull(),
    /** The domain whose meshwatch.yml route this is ('' for the top-level default). */
    routeDomain: text().notNull(),
    status: text({ enum: DELIVERY_STATUSES }).notNull().default('active'),
    cursor: integer().notNull().default(0),
    /** Where the living message is (Slack: channel and ts), once posted. */
    ref: json<{ channel?: string; ts?: string; id?: string }>(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: text().notNull(),
    lastAttemptAt: text(),
    deliveredAt: text(),
    failingSince: text(),
    lastError: text(),
    createdAt: text().notNull(),
  },
  (t) => [
    uniqueIndex('incident_deliveries_route').on(t.incidentId, t.routeKey, t.audience),
    index('incident_deliveries_due').on(t.status, t.nextAttemptAt),
  ],
)
export type IncidentDeliveryRow = typeof incidentDeliveries.$inferSelect
export type IncidentRow = typeof incidents.$inferSelect
export type IncidentTransitionRow = typeof incidentTransitions.$inferSelect
export type IncidentConsumerRow = typeof incidentConsumers.$inferSelect
