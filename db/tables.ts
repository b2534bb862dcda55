import { sql } from 'drizzle-orm'
import { ALERT_KINDS, ALERT_SEVERITIES, ALERT_STATUSES, STATUSES } from '../common/vocab.ts'
import {
  DELIVERY_STATUSES,
  DIGEST_ITEM_STATUSES,
  INCIDENT_CHANNELS,
  INCIDENT_STATUSES,
  INCIDENT_TRANSITIONS,
  RESOLUTIONS,
} from '../common/incident-vocab.ts'
import type { BlastProduct } from './incident-shapes.ts'
import type {
  AlertFacts,
  AlertRootCause,
  DimensionResult,
  RootCause,
  ScheduleFact,
} from './json-shapes.ts'
import {
  bool,
  bytes,
  id,
  index,
  int,
  json,
  pk,
  real,
  table,
  text,
  textEnum,
  unique,
  uniqueWhere,
} from './tables-kit.ts'

// The one definition of meshwatch's tables: db/schema.ts builds the SQLite tables from it,
// db/pg/schema.ts the PostgreSQL ones (each with its own drizzle-kit migrations). References
// name the neutral column (datasets.columns.id).
//
// Times are ISO-8601 UTC strings ('…Z'), which sort correctly as text and keep the producer's precision.

export const domains = table('domains', {
  name: text().primaryKey(),
  owner: text(),
  description: text(),
  updatedAt: text().notNull(),
})

export const datasets = table(
  'datasets',
  {
    id: id(),
    namespace: text().notNull(),
    name: text().notNull(),
    domain: text(),
    owner: text(),
    kind: text(),
    description: text(),
    access: text(),
    contractEnforced: bool(),
    columns:
      json<{ name: string; type?: string; description?: string; constraints?: string[] }[]>(),
    tags: json<string[]>(),
    meta: json<Record<string, unknown>>(),
    sourceFile: text(),
    externalId: text(),
    firstSeenAt: text().notNull(),
    updatedAt: text().notNull(),
  },
  [unique('datasets_ns_name', 'namespace', 'name'), index('datasets_domain', 'domain')],
)

export const datasetAliases = table(
  'dataset_aliases',
  {
    namespace: text().notNull(),
    name: text().notNull(),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
  },
  [pk('namespace', 'name'), index('aliases_dataset', 'datasetId')],
)

export const datasetVersions = table(
  'dataset_versions',
  {
    id: id(),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    columnsHash: text().notNull(),
    columns: json<{ name: string; type?: string }[]>().notNull(),
    observedAt: text().notNull(),
  },
  [index('versions_dataset', 'datasetId', 'id')],
)

export const jobs = table(
  'jobs',
  {
    id: id(),
    namespace: text().notNull(),
    name: text().notNull(),
    domain: text(),
    owner: text(),
    type: text().notNull(),
    parentId: int(),
    description: text(),
    schedule: json<ScheduleFact>(),
    meta: json<Record<string, unknown>>(),
    externalId: text(),
    updatedAt: text().notNull(),
  },
  [
    unique('jobs_ns_name', 'namespace', 'name'),
    index('jobs_parent', 'parentId'),
    index('jobs_domain', 'domain'),
  ],
)

export const runs = table(
  'runs',
  {
    id: id(),
    runId: text().notNull(),
    jobId: int()
      .notNull()
      .references(() => jobs.columns.id, { onDelete: 'cascade' }),
    state: text().notNull(),
    startedAt: text(),
    endedAt: text(),
    nominalTime: text(),
    error: text(),
    rowsAffected: int(),
    parentRunId: text(),
    facets: json<Record<string, unknown>>(),
    updatedAt: text().notNull(),
  },
  [unique('runs_run_id', 'runId'), index('runs_job', 'jobId', 'startedAt')],
)

export const lineageEdges = table(
  'lineage_edges',
  {
    jobId: int()
      .notNull()
      .references(() => jobs.columns.id, { onDelete: 'cascade' }),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    direction: textEnum(['input', 'output']).notNull(),
    updatedAt: text().notNull(),
  },
  [pk('jobId', 'datasetId', 'direction'), index('edges_dataset', 'datasetId', 'direction')],
)

export const columnEdges = table(
  'column_edges',
  {
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    column: text().notNull(),
    fromDatasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    fromColumn: text().notNull(),
    transformation: text(),
    source: textEnum(['openlineage', 'dbt_compiled', 'dbt_uncompiled'])
      .notNull()
      .default('openlineage'),
  },
  [
    // one edge per source: dbt-ol's facet and meshwatch's own SQL lineage stay side by side
    pk('datasetId', 'column', 'fromDatasetId', 'fromColumn', 'source'),
    index('column_edges_from', 'fromDatasetId'),
  ],
)

/**
 * What meshwatch's own column lineage of a dbt model was computed from (a hash of its SQL, its
 * dialect and its upstream columns) and the columns it output: a re-collect whose hash is the
 * same keeps the model's edges without parsing its SQL again.
 */
export const columnLineageInputs = table('column_lineage_inputs', {
  datasetId: int()
    .primaryKey()
    .references(() => datasets.columns.id, { onDelete: 'cascade' }),
  hash: text().notNull(),
  columns: json<string[]>().notNull(),
  updatedAt: text().notNull(),
})

export const checks = table(
  'checks',
  {
    key: text().primaryKey(),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    column: text(),
    kind: text().notNull(),
    name: text().notNull(),
    severity: text().notNull(),
    origin: text().notNull(),
    updatedAt: text().notNull(),
  },
  [index('checks_dataset', 'datasetId')],
)

export const assertions = table(
  'assertions',
  {
    id: id(),
    key: text().notNull(),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    column: text(),
    name: text().notNull(),
    status: text().notNull(),
    severity: text().notNull(),
    failures: int(),
    message: text(),
    observedAt: text().notNull(),
    origin: text().notNull(),
    runId: text(),
  },
  [
    unique('assertions_key_time', 'key', 'datasetId', 'observedAt'),
    index('assertions_dataset', 'datasetId', 'observedAt'),
  ],
)

export const metrics = table(
  'metrics',
  {
    id: id(),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    value: real().notNull(),
    status: text(),
    detail: text(),
    observedAt: text().notNull(),
    runId: text(),
  },
  [unique('metrics_dataset_name_time', 'datasetId', 'name', 'observedAt')],
)

export const products = table(
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
  [index('products_domain', 'domain')],
)

export const productOutputs = table(
  'product_outputs',
  {
    productId: text()
      .notNull()
      .references(() => products.columns.id, { onDelete: 'cascade' }),
    datasetId: int()
      .notNull()
      .references(() => datasets.columns.id, { onDelete: 'cascade' }),
  },
  [pk('productId', 'datasetId'), index('outputs_dataset', 'datasetId')],
)

/** Every accepted batch, append-only and replayable; contentHash makes redelivery a no-op. */
export const batches = table(
  'batches',
  {
    id: id(),
    kind: text().notNull(),
    scope: text().notNull(),
    contentHash: text().notNull(),
    receivedAt: text().notNull(),
    summary: json<Record<string, number>>().notNull(),
    /** The batch's JSON as concatenated gzip members (db/queries/batch-codec.ts): tens of MB of repetitive text for a big project. */
    payload: bytes().notNull(),
  },
  [unique('batches_hash', 'contentHash')],
)

/** Raw OpenLineage events, append-only (subject to retention), deduplicated by hash. */
export const rawEvents = table(
  'raw_events',
  {
    id: id(),
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
  [
    // Dedupe key: equal events have equal times, so (time, hash) is as unique as the hash, and
    // events arrive roughly in time order: new keys land at the index's end instead of on a
    // random page each, so a bulk import's commit rewrites a few index pages, not most of them.
    unique('raw_events_time_hash', 'eventTime', 'eventHash'),
    index('raw_events_run', 'runId'),
    // No index on received_at: ids follow receipt, so retention walks ids (listRawEventsBefore).
  ],
)

export const collectorState = table('collector_state', {
  name: text().primaryKey(),
  cursor: text(),
  lastAttemptAt: text(),
  lastSuccessAt: text(),
  lastError: text(),
})

export const evaluations = table(
  'evaluations',
  {
    id: id(),
    productId: text()
      .notNull()
      .references(() => products.columns.id, { onDelete: 'cascade' }),
    evaluatedAt: text().notNull(),
    /** 0 for an unknown evaluation, which reads back as null (readEvaluationRow). */
    score: real().notNull(),
    status: textEnum(STATUSES).notNull(),
    dimensions: json<DimensionResult[]>().notNull(),
    rootCause: json<RootCause>(),
  },
  [index('evaluations_product', 'productId', 'evaluatedAt')],
)

/** The alert outbox: written in the evaluation's transaction, drained by the dispatcher. */
export const alerts = table(
  'alerts',
  {
    id: id(),
    dedupeKey: text().notNull(),
    productId: text(),
    domain: text().notNull(),
    kind: textEnum(ALERT_KINDS).notNull(),
    severity: textEnum(ALERT_SEVERITIES).notNull(),
    status: textEnum(ALERT_STATUSES).notNull().default('pending'),
    payload: json<AlertFacts>().notNull(),
    attempts: int().notNull().default(0),
    createdAt: text().notNull(),
    nextAttemptAt: text().notNull(),
    deliveredAt: text(),
    lastError: text(),
    lastAttemptAt: text(),
    /** The episode this alert belongs to (alert_episodes.id); null for test messages. */
    episodeId: int(),
  },
  [unique('alerts_dedupe', 'dedupeKey'), index('alerts_due', 'status', 'nextAttemptAt')],
)

/**
 * A product's stretch of not-ok evaluations: opened by the evaluation that leaves ok, closed by
 * the one that returns to it. At most one open episode per product; its id is in every alert's dedupe key.
 */
export const alertEpisodes = table(
  'alert_episodes',
  {
    id: id(),
    productId: text().notNull(),
    domain: text().notNull(),
    openedAt: text().notNull(),
    /** The current not-ok status, and the worst one seen in the episode. */
    status: textEnum(STATUSES).notNull(),
    worst: textEnum(STATUSES).notNull(),
    /** When the last opened/worsened/reminder alert was written: reminders count from here. */
    lastAlertAt: text().notNull(),
    reminders: int().notNull().default(0),
    closedAt: text(),
  },
  [
    uniqueWhere('alert_episodes_open', 'closed_at is null', 'productId'),
    index('alert_episodes_product', 'productId', 'openedAt'),
  ],
)

export const apiTokens = table(
  'api_tokens',
  {
    id: id(),
    name: text().notNull(),
    hash: text().notNull(),
    scope: text().notNull(),
    domain: text(),
    createdAt: text()
      .notNull()
      .defaultSql(
        sql`(strftime('%Y-%m-%dT%H:%M:%fZ','now'))`,
        sql`to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`,
      ),
    expiresAt: text(),
    revokedAt: text(),
  },
  [unique('api_tokens_hash', 'hash')],
)

/**
 * ODCS data contracts, one row per distinct content of a contract id (collectors/contracts/):
 * the newest row of an id is its current version. Bound to datasets and products when read.
 */
export const contracts = table(
  'contracts',
  {
    id: id(),
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
  [unique('contracts_id_hash', 'contractId', 'contentHash'), index('contracts_domain', 'domain')],
)

/**
 * Incidents (server/incidents/): a breach episode as one object with a stable id and a lifecycle.
 * Written in the evaluation's transaction, after the alert episodes; a reopened incident moves on
 * to the new episode.
 */
export const incidents = table(
  'incidents',
  {
    id: id(),
    productId: text().notNull(),
    domain: text().notNull(),
    title: text().notNull(),
    status: textEnum(INCIDENT_STATUSES).notNull(),
    /** The worst the product has been in it: warn or breach. */
    severity: textEnum(ALERT_SEVERITIES).notNull(),
    productStatus: textEnum(STATUSES).notNull(),
    score: real(),
    /** When meshwatch saw it (the evaluation that opened the episode). */
    detectedAt: text().notNull(),
    /** When it began upstream: the root cause's culprit time, else detectedAt. */
    startedAt: text().notNull(),
    acknowledgedAt: text(),
    acknowledgedBy: text(),
    mutedUntil: text(),
    resolvedAt: text(),
    resolution: textEnum(RESOLUTIONS),
    resolvedBy: text(),
    resolveReason: text(),
    reopened: int().notNull().default(0),
    episodeId: int().notNull(),
    rootCause: json<AlertRootCause | null>(),
    blastRadius: json<BlastProduct[]>().notNull(),
    updatedAt: text().notNull(),
    /** The last transition whose routes were worked out (server/incidents/dispatch.ts). */
    fannedOut: int().notNull().default(0),
  },
  [
    unique('incidents_episode', 'episodeId'),
    index('incidents_product', 'productId', 'detectedAt'),
    index('incidents_domain', 'domain', 'detectedAt'),
  ],
)

/** Every change of an incident, in order, with the product's root cause and blast radius then. */
export const incidentTransitions = table(
  'incident_transitions',
  {
    id: id(),
    incidentId: int()
      .notNull()
      .references(() => incidents.columns.id, { onDelete: 'cascade' }),
    kind: textEnum(INCIDENT_TRANSITIONS).notNull(),
    at: text().notNull(),
    /** Who did it (a person or token name); null for meshwatch itself. */
    actor: text(),
    actorDomain: text(),
    note: text(),
    productStatus: textEnum(STATUSES).notNull(),
    score: real(),
    /** What changed (updated): status, score, root cause, blast radius. */
    changes: json<string[]>().notNull(),
    rootCause: json<AlertRootCause | null>(),
    blastRadius: json<BlastProduct[]>().notNull(),
    episodeId: int().notNull(),
  },
  [index('incident_transitions_incident', 'incidentId', 'id')],
)

/** One consumer domain told about an incident upstream of it: what of it reads the product, its own acknowledgement. */
export const incidentConsumers = table(
  'incident_consumers',
  {
    incidentId: int()
      .notNull()
      .references(() => incidents.columns.id, { onDelete: 'cascade' }),
    domain: text().notNull(),
    products: json<BlastProduct[]>().notNull(),
    notifiedAt: text().notNull(),
    acknowledgedAt: text(),
    acknowledgedBy: text(),
    resolvedAt: text(),
  },
  [pk('incidentId', 'domain'), index('incident_consumers_domain', 'domain')],
)

/**
 * One living message of an incident on one route (a channel of the owning domain, or of a
 * consumer domain): `cursor` is the last transition delivered there, so each transition goes out
 * once, in order, and nothing is lost while the channel is down.
 */
export const incidentDeliveries = table(
  'incident_deliveries',
  {
    id: id(),
    incidentId: int()
      .notNull()
      .references(() => incidents.columns.id, { onDelete: 'cascade' }),
    /** The route, by what names it (channel type, variable names, channel): never a secret. */
    routeKey: text().notNull(),
    channel: textEnum(INCIDENT_CHANNELS).notNull(),
    /** `owner`, or the consumer domain this message tells. */
    audience: text().notNull(),
    /** The domain whose meshwatch.yml route this is ('' for the top-level default). */
    routeDomain: text().notNull(),
    status: textEnum(DELIVERY_STATUSES).notNull().default('active'),
    cursor: int().notNull().default(0),
    /** Where the living message is (Slack: channel and ts), once posted. */
    ref: json<{ channel?: string; ts?: string; id?: string }>(),
    attempts: int().notNull().default(0),
    nextAttemptAt: text().notNull(),
    lastAttemptAt: text(),
    deliveredAt: text(),
    failingSince: text(),
    lastError: text(),
    createdAt: text().notNull(),
  },
  [
    unique('incident_deliveries_route', 'incidentId', 'routeKey', 'audience'),
    index('incident_deliveries_due', 'status', 'nextAttemptAt'),
  ],
)

/**
 * One transition of an incident waiting for a digest route's daily message (server/incidents/digest.ts):
 * written when the transition's routes are worked out, sent with the other items of its route
 * due by then in one message, marked sent only after the channel accepted it.
 */
export const incidentDigestItems = table(
  'incident_digest_items',
  {
    id: id(),
    incidentId: int()
      .notNull()
      .references(() => incidents.columns.id, { onDelete: 'cascade' }),
    transitionId: int()
      .notNull()
      .references(() => incidentTransitions.columns.id, { onDelete: 'cascade' }),
    /** The route, by what names it (as incident_deliveries.route_key): never a secret. */
    routeKey: text().notNull(),
    channel: textEnum(INCIDENT_CHANNELS).notNull(),
    /** `owner`, or the consumer domain this item tells. */
    audience: text().notNull(),
    routeDomain: text().notNull(),
    /** The digest it belongs to: the route's first local digest time after the transition. */
    dueAt: text().notNull(),
    status: textEnum(DIGEST_ITEM_STATUSES).notNull().default('pending'),
    nextAttemptAt: text().notNull(),
    attempts: int().notNull().default(0),
    failingSince: text(),
    lastError: text(),
    sentAt: text(),
    createdAt: text().notNull(),
  },
  [
    unique('incident_digest_items_transition', 'routeKey', 'audience', 'transitionId'),
    index('incident_digest_items_due', 'status', 'nextAttemptAt'),
    index('incident_digest_items_incident', 'incidentId'),
  ],
)

/**
 * A channel's Retry-After (Slack 429: per bot token; other channels per route): nothing is sent
 * there before `until`, also by a dispatcher started after the 429 was answered.
 */
export const incidentRouteHolds = table('incident_route_holds', {
  key: text().primaryKey(),
  until: text().notNull(),
  reason: text().notNull(),
})
