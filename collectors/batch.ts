import { z } from 'zod'

/**
 * The normalized batch: the one contract between every collector and ingest.
 * Identity follows the OpenLineage naming convention: a dataset or job is (namespace, name).
 */

const Str = z.string().min(1).max(4096)
const Time = z.iso.datetime({ offset: true })
const Meta = z.record(z.string(), z.unknown())

export const RefSchema = z.object({ namespace: Str, name: Str })
export type Ref = z.infer<typeof RefSchema>

export const ColumnSchema = z.object({
  name: Str,
  type: z.string().max(1024).optional(),
  description: z.string().max(65536).optional(),
  constraints: z.array(z.string().max(256)).max(64).optional(),
})
export type Column = z.infer<typeof ColumnSchema>

export const ACCESS_LEVELS = ['public', 'protected', 'private'] as const

export const DomainSchema = z.object({
  name: Str,
  owner: z.string().max(512).optional(),
  description: z.string().max(65536).optional(),
})
export type Domain = z.infer<typeof DomainSchema>

export const DatasetSchema = RefSchema.extend({
  domain: Str.optional(),
  owner: z.string().max(512).optional(),
  /** model, source, seed, snapshot, table, view, asset, file… */
  kind: z.string().max(64).optional(),
  description: z.string().max(65536).optional(),
  columns: z.array(ColumnSchema).max(10000).optional(),
  access: z.enum(ACCESS_LEVELS).optional(),
  contractEnforced: z.boolean().optional(),
  tags: z.array(z.string().max(256)).max(256).optional(),
  meta: Meta.optional(),
  aliases: z.array(RefSchema).max(64).optional(),
  /** Where the dataset is defined, for CI annotations (e.g. models/orders.sql). */
  sourceFile: z.string().max(4096).optional(),
  /** The producer's own id: a dbt unique_id, an Airflow asset URI. */
  externalId: z.string().max(4096).optional(),
})
export type Dataset = z.infer<typeof DatasetSchema>

export const ScheduleSchema = z.object({
  cron: z.string().max(256).optional(),
  summary: z.string().max(1024).optional(),
  timezone: z.string().max(128).optional(),
  nextRunAt: Time.optional(),
  paused: z.boolean().optional(),
})
export type Schedule = z.infer<typeof ScheduleSchema>

export const JobSchema = RefSchema.extend({
  domain: Str.optional(),
  owner: z.string().max(512).optional(),
  /** dbt_project, dbt_model, dbt_seed, dbt_snapshot, dbt_test, airflow_dag, airflow_task, job… */
  type: z.string().max(64),
  parent: RefSchema.optional(),
  description: z.string().max(65536).optional(),
  schedule: ScheduleSchema.optional(),
  meta: Meta.optional(),
  externalId: z.string().max(4096).optional(),
})
export type Job = z.infer<typeof JobSchema>

export const RUN_STATES = ['START', 'RUNNING', 'COMPLETE', 'FAIL', 'ABORT', 'OTHER'] as const
export type RunState = (typeof RUN_STATES)[number]

export const RunSchema = z.object({
  runId: Str,
  job: RefSchema,
  state: z.enum(RUN_STATES),
  startedAt: Time.optional(),
  endedAt: Time.optional(),
  nominalTime: Time.optional(),
  error: z.string().max(65536).optional(),
  rowsAffected: z.number().int().nonnegative().optional(),
  parentRunId: Str.optional(),
  facets: Meta.optional(),
})
export type Run = z.infer<typeof RunSchema>

export const EdgeSchema = z.object({
  job: RefSchema,
  dataset: RefSchema,
  direction: z.enum(['input', 'output']),
})
export type Edge = z.infer<typeof EdgeSchema>

/**
 * Who derived a column edge: an OpenLineage producer's columnLineage facet, or meshwatch from a
 * dbt model's compiled SQL (or its raw SQL with only ref/source/this/config/var rendered).
 */
export const COLUMN_EDGE_SOURCES = ['openlineage', 'dbt_compiled', 'dbt_uncompiled'] as const
export type ColumnEdgeSource = (typeof COLUMN_EDGE_SOURCES)[number]

export const ColumnEdgeSchema = z.object({
  dataset: RefSchema,
  column: Str,
  from: RefSchema,
  fromColumn: Str,
  transformation: z.string().max(1024).optional(),
  /** Absent: 'openlineage' (every edge before meshwatch computed its own). */
  source: z.enum(COLUMN_EDGE_SOURCES).optional(),
})
export type ColumnEdge = z.infer<typeof ColumnEdgeSchema>

/**
 * The `column` of a dataset-wide edge: an input that shapes every output column of the dataset
 * (a join, filter, group-by or sort column, INDIRECT/…), stored once per model and source instead
 * of once per output column, as OpenLineage's ColumnLineageDatasetFacet `dataset` field. Readers
 * expand it to every column the same source gives the dataset edges for.
 */
export const ALL_COLUMNS = '*'

/**
 * What meshwatch's own column lineage of one model was computed from (a hash of its SQL, dialect
 * and upstream columns) and the columns it output. `unchanged`: the hash is the one the store
 * already has, so the model was not parsed again and its stored edges stand.
 */
export const ColumnLineageInputSchema = z.object({
  dataset: RefSchema,
  hash: z.string().max(128),
  columns: z.array(z.string().max(1024)).max(10000),
  unchanged: z.boolean().default(false),
})
export type ColumnLineageInput = z.infer<typeof ColumnLineageInputSchema>

export const SEVERITIES = ['error', 'warn'] as const
export const ORIGINS = ['dbt', 'openlineage', 'airflow', 'junit', 'config'] as const

/** A test definition (a dbt test, a declared check), whether or not it has run. */
export const CheckSchema = z.object({
  key: Str,
  dataset: RefSchema,
  column: z.string().max(1024).optional(),
  /** unique, not_null, relationships, accepted_values, singular, … */
  kind: z.string().max(128),
  name: Str,
  severity: z.enum(SEVERITIES),
  origin: z.enum(ORIGINS),
})
export type Check = z.infer<typeof CheckSchema>

export const ASSERTION_STATUSES = ['pass', 'fail', 'warn', 'error', 'skipped'] as const
export type AssertionStatus = (typeof ASSERTION_STATUSES)[number]

/** One result of a check at a point in time. */
export const AssertionSchema = z.object({
  key: Str,
  dataset: RefSchema,
  column: z.string().max(1024).optional(),
  name: Str,
  status: z.enum(ASSERTION_STATUSES),
  severity: z.enum(SEVERITIES),
  failures: z.number().int().nonnegative().optional(),
  message: z.string().max(65536).optional(),
  observedAt: Time,
  origin: z.enum(ORIGINS),
  runId: Str.optional(),
})
export type Assertion = z.infer<typeof AssertionSchema>

/** row_count, bytes, freshness_age_seconds, rows_affected, … */
export const MetricSchema = z.object({
  dataset: RefSchema,
  name: z.string().min(1).max(128),
  value: z.number().finite(),
  status: z.enum(['pass', 'warn', 'error']).optional(),
  detail: z.string().max(65536).optional(),
  observedAt: Time,
  runId: Str.optional(),
})
export type Metric = z.infer<typeof MetricSchema>

export const PRODUCT_ORIGINS = ['dbt_public', 'dbt_exposure', 'dbt_meta', 'config'] as const

export const ProductSchema = z.object({
  id: Str,
  name: Str,
  domain: Str,
  owner: z.string().max(512).optional(),
  description: z.string().max(65536).optional(),
  origin: z.enum(PRODUCT_ORIGINS),
  outputs: z.array(RefSchema).max(10000),
  /** The SLA as declared next to the code (dbt meta.meshwatch.sla), unvalidated here. */
  sla: Meta.optional(),
})
export type Product = z.infer<typeof ProductSchema>

export const BATCH_KINDS = ['dbt', 'openlineage', 'airflow', 'junit'] as const

export const BatchSchema = z.object({
  kind: z.enum(BATCH_KINDS),
  /** What the batch describes (a dbt project, an Airflow URL): a re-collect replaces its edges. */
  scope: Str,
  producedAt: Time.optional(),
  /** When true, the jobs in this batch are a full snapshot: their old edges are replaced. */
  replaceEdges: z.boolean().default(false),
  domains: z.array(DomainSchema).default([]),
  datasets: z.array(DatasetSchema).default([]),
  jobs: z.array(JobSchema).default([]),
  runs: z.array(RunSchema).default([]),
  edges: z.array(EdgeSchema).default([]),
  columnEdges: z.array(ColumnEdgeSchema).default([]),
  columnLineageInputs: z.array(ColumnLineageInputSchema).default([]),
  checks: z.array(CheckSchema).default([]),
  assertions: z.array(AssertionSchema).default([]),
  metrics: z.array(MetricSchema).default([]),
  products: z.array(ProductSchema).default([]),
  warnings: z.array(z.string()).default([]),
})
export type Batch = z.infer<typeof BatchSchema>

/**
 * The dataset namespace of a test result whose event names no tested dataset: the store puts it
 * on the dbt test of that id (dataset name) if collect dbt knows it, else drops it.
 */
export const UNPLACED_TEST = 'meshwatch:unplaced-test'

/** An empty batch, for collectors to fill. */
export function emptyBatch(kind: Batch['kind'], scope: string): Batch {
  return {
    kind,
    scope,
    replaceEdges: false,
    domains: [],
    datasets: [],
    jobs: [],
    runs: [],
    edges: [],
    columnEdges: [],
    columnLineageInputs: [],
    checks: [],
    assertions: [],
    metrics: [],
    products: [],
    warnings: [],
  }
}

/** Raised when a collector refuses its input whole (bad envelope, unknown version, not JSON). */
export class CollectorError extends Error {
  override name = 'CollectorError'
  readonly file: string | undefined
  constructor(message: string, options?: { file?: string; cause?: unknown }) {
    super(message, { cause: options?.cause })
    this.file = options?.file
  }
}

export const refKey = (r: Ref): string => `${r.namespace}\u0000${r.name}`
