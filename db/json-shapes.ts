import type { AlertKind, Dimension, KnownStatus, Link, Status } from '../common/vocab.ts'

// The shapes stored in JSON columns (db/schema.ts types each column with one of them), declared
// once here: the evaluators (server/quality/) produce them and import these types, the readers
// get them typed from drizzle, with no cast.

/** jobs.schedule: what an orchestrator says about a job's schedule. */
export interface ScheduleFact {
  cron?: string | undefined
  summary?: string | undefined
  timezone?: string | undefined
  nextRunAt?: string | undefined
  paused?: boolean | undefined
}

/** One scored dimension of an evaluation (evaluations.dimensions holds a product's list). */
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

/** A node of a root-cause chain. */
export interface ChainNode {
  id: string
  kind: 'dataset' | 'job'
  name: string
  type: string | null
  domain: string | null
  /** How this node links to the previous one in the chain. */
  via?: Link
  /** The column of a chain traced through column lineage (a failing test on a column). */
  column?: string
  problem?: string
  status?: Status
  at?: string | null
  /** The run blamed (a failed job's run): its id and its tags (TagsRunFacet). */
  run?: { runId: string; tags: string[] }
}

/** evaluations.root_cause: why a product is not ok. */
export interface RootCause {
  summary: string
  culprit: ChainNode
  /** From the product's output up to the culprit (and the culprit task's DAG last). */
  chain: ChainNode[]
  /** 'lineage' when every link is observed lineage or orchestration; 'suspected' when a same-domain guess was used. */
  confidence: 'lineage' | 'suspected'
}

export type AlertChainNode = Pick<
  ChainNode,
  'name' | 'kind' | 'type' | 'domain' | 'problem' | 'status' | 'via' | 'run'
>

export interface AlertRootCause {
  summary: string
  confidence: RootCause['confidence']
  culprit: AlertChainNode
  chain: AlertChainNode[]
}

/**
 * alerts.payload: what an alert says, frozen when the evaluation is stored: the message is built
 * from it at delivery, so a later config change re-routes but never rewrites history.
 */
export interface AlertFacts {
  productId: string
  productName: string
  domain: string
  owner: string | null
  kind: AlertKind
  status: Status
  previous: Status | null
  score: number
  evaluatedAt: string
  /** When the episode began (the first not-ok evaluation). */
  since: string
  /** Recovered: how long the episode lasted; reminder: how long it has lasted so far. */
  durationMs?: number
  reminder?: number
  /** The dimensions not ok, worst first. */
  dimensions: Pick<DimensionResult, 'dimension' | 'status' | 'score' | 'reason'>[]
  rootCause: AlertRootCause | null
}
