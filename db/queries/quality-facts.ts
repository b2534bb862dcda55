import type { ColumnMetricName, Link } from '../../common/vocab.ts'
import type { DatasetRow, JobRow } from '../schema.ts'

/**
 * The shapes the quality loaders (quality.ts, quality-graph.ts) return, declared once, here
 * where the data comes from: the evaluators (server/quality/) read them and import these types
 * (`import type`, STYLE.md §1); the gate builds them for a build's artifacts.
 */

export interface RunFact {
  jobId: number
  state: string
  startedAt: string | null
  endedAt: string | null
  /** Always loaded; optional because the evaluators do not need it (the gate builds facts without). */
  error?: string | null
}

/** A DAG's newest run with its facets, where the Airflow provider reports Deadline Alerts. */
export interface LatestRunFact {
  runId: string
  startedAt: string | null
  facets: Record<string, unknown> | null
}

export interface AssertionFact {
  key: string
  name: string
  status: string
  severity: string
  observedAt: string
  column: string | null
  /** Always loaded; optional as `error` above. */
  message?: string | null
}

export interface MetricFact {
  name: string
  value: number
  status: string | null
  observedAt: string
}

export type JobFact = Pick<
  JobRow,
  'id' | 'namespace' | 'name' | 'type' | 'domain' | 'owner' | 'parentId' | 'schedule'
>

export type DatasetFact = Pick<
  DatasetRow,
  'id' | 'namespace' | 'name' | 'domain' | 'kind' | 'access' | 'contractEnforced'
>

/** One output dataset of a product with everything scored on it. */
export interface OutputFacts extends DatasetFact {
  /** Jobs with an output edge to the dataset, and orchestration jobs linked to it. */
  producers: JobFact[]
  /** Cron-scheduled DAGs among the producers or their parents, with their newest run. */
  dags: (JobFact & { lastSuccessAt: string | null; latestRun?: LatestRunFact | null })[]
  /** Runs of the producers, newest first: those inside the reliability window, plus each producer's latest success. */
  runs: RunFact[]
  /** Latest result per test key. */
  assertions: AssertionFact[]
  /** row_count / rows_affected history, oldest first. */
  volume: MetricFact[]
  /** Latest freshness_age_seconds (dbt source freshness). */
  freshness: MetricFact | null
  /** Times of observed writes other than runs (metrics recorded with a run id: OpenLineage output statistics). */
  writeSignals: string[]
  /** The last two schema versions, older first. */
  versions: { columns: { name: string; type?: string }[]; observedAt: string }[]
}

/** An upstream dataset with its signals (failing tests, source freshness), depth = dataset hops from the product's outputs. */
export interface UpstreamFacts extends DatasetFact {
  depth: number
  assertions: AssertionFact[]
  freshness: MetricFact | null
}

export interface ProductFacts {
  id: string
  name: string
  domain: string
  owner: string | null
  description: string | null
  outputs: OutputFacts[]
  upstream: UpstreamFacts[]
  /** The product's current ODCS contracts with what is observed of them (server/contracts/facts.ts). */
  contracts?: ContractFacts[]
}

/** A test result on a contract-bound dataset, with its failing-row count. */
export type ContractAssertionFact = AssertionFact & { failures: number | null }

/** A product's alert episode, with when its problem started and when it was notified. */
export interface EpisodeFact {
  openedAt: string
  closedAt: string | null
  /** When the root cause stored with the opening evaluation says the problem started upstream. */
  startedAt: string | null
  /** When the episode's `opened` alert was delivered (the outbox). */
  notifiedAt: string | null
}

/** One schema object of a contract with the dataset it binds to and what is observed of it. */
export interface ContractObjectFacts {
  object: string
  datasetId: number | null
  datasetName: string | null
  /** Why it is unbound. */
  reason?: string | undefined
  /** The newest observed schema version (null: none). */
  columns: { name: string; type?: string }[] | null
  columnsObservedAt: string | null
  assertions: ContractAssertionFact[]
  /** The newest observed metrics of its columns (what a collector reported: min, nullCount). */
  columnMetrics: ColumnMetricFact[]
}

/** A column's metric (OpenLineage dataQualityMetrics columnMetrics.<column>.min / nullCount). */
export interface ColumnMetricFact {
  column: string
  metric: ColumnMetricName
  value: number
  observedAt: string
}

/**
 * A product's current ODCS contract as stored (the document validated against its apiVersion's
 * schema when it was stored), bound to datasets, with the product's recent alert episodes.
 */
export interface ContractFacts {
  contractId: string
  version: string
  status: string
  contentHash: string
  sourceFile: string | null
  document: Record<string, unknown>
  objects: ContractObjectFacts[]
  episodes: EpisodeFact[]
}

/** A node of a product's root-cause neighbourhood: `dataset:<id>` or `job:<id>`. */
/** The run a node's latest state comes from: its id and its tags (TagsRunFacet), when known. */
export interface BlamedRun {
  runId?: string
  runTags?: string[]
}

export interface RcNode {
  id: string
  kind: 'dataset' | 'job'
  namespace: string
  name: string
  domain: string | null
  /** dataset kind (model, source…) or job type (dbt_model, airflow_task, airflow_dag…) */
  type: string | null
  schedule?: JobRow['schedule']
  lastSuccessAt?: string | null
  latestRun?: ({ state: string; at: string | null; error: string | null } & BlamedRun) | null
  /** The job's most recent failed run, even if a later one succeeded. */
  latestFailure?: ({ at: string | null; error: string | null } & BlamedRun) | null
  assertions?: AssertionFact[]
  freshness?: MetricFact | null
}

/**
 * Data flows source → target: dataset → job (input), job → dataset (output), task → model job,
 * DAG → task. The loader finds lineage, orchestration and parent links; root cause adds guesses.
 */
export interface RcEdge {
  source: string
  target: string
  via: Link
}

export interface GovProduct {
  id: string
  domain: string
  owner: string | null
  description: string | null
  /** Whether any SLA was declared for it: the loader sees dbt meta, callers add meshwatch.yml's. */
  hasSla: boolean
  outputs: {
    id: number
    name: string
    meta: Record<string, unknown> | null
    uniqueColumns: string[]
  }[]
}

export type GovDataset = Pick<
  DatasetRow,
  'id' | 'name' | 'domain' | 'kind' | 'access' | 'contractEnforced'
>

export type GovJob = Pick<JobRow, 'id' | 'name' | 'type' | 'domain' | 'owner'>

export interface GovernanceFacts {
  products: GovProduct[]
  /** Public dbt models (the checks read the datasets they are given). */
  datasets: GovDataset[]
  dags: GovJob[]
  /** Input edges where the reading job's domain differs from the dataset's. */
  crossDomainReads: { job: GovJob; dataset: GovDataset }[]
}
