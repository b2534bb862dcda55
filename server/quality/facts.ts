import type { Dimension } from './sla.ts'

/** What the store knows about a product, as the evaluators read it (loaded by db/queries/quality.ts). */

/** `unknown`: nothing observed to judge by (a dimension without data, a product without any). */
export const STATUSES = ['ok', 'warn', 'breach', 'unknown'] as const
export type Status = (typeof STATUSES)[number]
/** What a dimension with data can be; `unknown` carries no score. */
export type KnownStatus = Exclude<Status, 'unknown'>

export interface RunFact {
  jobId: number
  state: string
  startedAt: string | null
  endedAt: string | null
  error?: string | null
}

export interface AssertionFact {
  key: string
  name: string
  status: string
  severity: string
  observedAt: string
  column: string | null
  message?: string | null
}

export interface MetricFact {
  name: string
  value: number
  status: string | null
  observedAt: string
}

export interface ScheduleFact {
  cron?: string | undefined
  summary?: string | undefined
  timezone?: string | undefined
  nextRunAt?: string | undefined
  paused?: boolean | undefined
}

export interface JobFact {
  id: number
  namespace: string
  name: string
  type: string
  domain: string | null
  owner: string | null
  parentId: number | null
  schedule: ScheduleFact | null
}

export interface DatasetFact {
  id: number
  namespace: string
  name: string
  domain: string | null
  kind: string | null
  access: string | null
  contractEnforced: boolean | null
}

/** One output dataset of a product with everything scored on it. */
export interface OutputFacts extends DatasetFact {
  /** Jobs with an output edge to the dataset, and orchestration jobs linked to it. */
  producers: JobFact[]
  /** Cron-scheduled DAGs that produce this dataset (through tasks or output edges). */
  dags: (JobFact & {
    lastSuccessAt: string | null
    /** The DAG's newest run and its facets, where the Airflow provider reports Deadline Alerts. */
    latestRun?: {
      runId: string
      startedAt: string | null
      facets: Record<string, unknown> | null
    } | null
  })[]
  /** Runs of the producers, newest first, at least those inside the reliability window. */
  runs: RunFact[]
  /** Latest result per test key. */
  assertions: AssertionFact[]
  /** row_count / rows_affected history, oldest first. */
  volume: MetricFact[]
  /** Latest freshness_age_seconds (dbt source freshness). */
  freshness: MetricFact | null
  /** Times of observed writes other than runs (OpenLineage output statistics). */
  writeSignals: string[]
  /** The last two schema versions, older first. */
  versions: { columns: { name: string; type?: string }[]; observedAt: string }[]
}

/** An upstream dataset with its signals, depth = dataset hops from the product's outputs. */
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

export type DimensionResult = {
  dimension: Dimension
  reason: string
  /** Numbers behind the reason (ages, counts), for the UI and alerts. */
  detail?: Record<string, unknown>
} & ({ score: number; status: KnownStatus } | { score: null; status: 'unknown' })

/** score is null exactly when status is unknown (no dimension has data). */
export type ProductEvaluation = {
  productId: string
  evaluatedAt: string
  dimensions: DimensionResult[]
} & ({ score: number; status: KnownStatus } | { score: null; status: 'unknown' })

// unknown ranks below ok: any observation outweighs none, and it is never "worse" than ok.
const RANK: Record<Status, number> = { unknown: -1, ok: 0, warn: 1, breach: 2 }
/** The worst of the statuses; unknown only when there is nothing else (or nothing at all). */
export function worst<S extends Status>(first: S, ...rest: S[]): S
export function worst(...s: Status[]): Status
export function worst(...s: Status[]): Status {
  return s.reduce<Status>((a, b) => (RANK[b] > RANK[a] ? b : a), 'unknown')
}
export const statusRank = (s: Status): number => RANK[s]

export const HOUR = 3_600_000
export const hoursText = (ms: number): string => {
  const h = ms / HOUR
  if (h < 1) return `${Math.max(0, Math.round(ms / 60_000))} min`
  if (h < 48) return `${Math.round(h * 10) / 10} h`
  return `${Math.round((h / 24) * 10) / 10} days`
}
