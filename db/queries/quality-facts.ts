import type { DatasetRow, JobRow } from '../schema.ts'

/**
 * The shapes the quality loaders (quality.ts, quality-graph.ts) return. db/ declares them itself
 * rather than import server/quality/: the evaluators declare what they read in
 * server/quality/{facts,root-cause,governance}.ts, and TypeScript checks that these fit those
 * where server/evaluate.ts passes one to the other.
 */

export interface RunFact {
  jobId: number
  state: string
  startedAt: string | null
  endedAt: string | null
  error: string | null
}

/** A job's newest run with its facets (Airflow DAG runs: the provider's Deadline Alerts). */
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
  message: string | null
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
  /** DAGs among the producers or their parents, with their newest run in the window. */
  dags: (JobFact & { lastSuccessAt: string | null; latestRun: LatestRunFact | null })[]
  /** Runs of the producers inside the window, plus each producer's latest success. */
  runs: RunFact[]
  /** Latest result per test key. */
  assertions: AssertionFact[]
  /** row_count / rows_affected history, oldest first. */
  volume: MetricFact[]
  /** Latest freshness_age_seconds (dbt source freshness). */
  freshness: MetricFact | null
  /** Times of observed writes other than runs (metrics recorded with a run id). */
  writeSignals: string[]
  /** The last two schema versions, older first. */
  versions: { columns: { name: string; type?: string }[]; observedAt: string }[]
}

/** An upstream dataset with a failing test or a stale source, depth = dataset hops from the output. */
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
}

/** A node of a product's root-cause neighbourhood: `dataset:<id>` or `job:<id>`. */
export interface RcNode {
  id: string
  kind: 'dataset' | 'job'
  namespace: string
  name: string
  domain: string | null
  /** dataset kind or job type */
  type: string | null
  schedule?: JobRow['schedule']
  lastSuccessAt?: string | null
  latestRun?: { state: string; at: string | null; error: string | null } | null
  latestFailure?: { at: string | null; error: string | null } | null
  assertions?: AssertionFact[]
  freshness?: MetricFact | null
}

/** source → target as data flows; the links this loader finds. */
export interface RcEdge {
  source: string
  target: string
  via: 'lineage' | 'orchestration' | 'parent'
}

export interface GovProduct {
  id: string
  domain: string
  owner: string | null
  description: string | null
  /** Whether the product row declares an SLA (dbt meta); callers add meshwatch.yml's. */
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
  /** Public dbt models. */
  datasets: GovDataset[]
  dags: GovJob[]
  /** Input edges where the reading job's domain differs from the dataset's. */
  crossDomainReads: { job: GovJob; dataset: GovDataset }[]
}
