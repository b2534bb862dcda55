import type { GateCategory } from './waivers.ts'

/** Someone downstream of a dataset: a job of another domain reading it, or an exposure. */
export interface Consumer {
  domain: string
  owner?: string | undefined
  kind: 'job' | 'exposure'
  /** job name (a dbt model's job) or exposure name */
  name: string
  /** dbt unique_id when known */
  externalId?: string | undefined
}

/** One check of the gate: a JUnit testcase, a line of the summary. */
export interface GateCheck {
  /** stable id, e.g. breaking-change:mesh.sales.orders */
  id: string
  category: GateCategory
  /** short name of what was checked (the JUnit testcase name) */
  name: string
  status: 'pass' | 'fail' | 'waived'
  /** one line: why it failed, or what passed */
  message: string
  /** further lines: every change, every consumer */
  details: string[]
  /** names a waiver's `target` may use for this check */
  targets: string[]
  domain?: string | undefined
  consumers?: Consumer[] | undefined
  /** where to annotate, relative to the project dir; line from the model's yml when found */
  location?:
    | {
        file: string
        line?: number | undefined
        column?: string | undefined
        model?: string | undefined
      }
    | undefined
  waiver?: { reason: string; expires: string } | undefined
  /** a product-score check's two evaluations, as `serve` reports them on each side's batches */
  scores?: { before: ProductScore; after: ProductScore } | undefined
}

/** A product's score (null: nothing to score by) and status, and the clock it was scored at. */
export interface ProductScore {
  score: number | null
  status: 'ok' | 'warn' | 'breach' | 'unknown'
  evaluatedAt: string
}

export interface GateReport {
  project: string
  baseline: string
  checks: GateCheck[]
  /** things a reader should know that fail nothing (tests still failing, expired waivers…) */
  notes: string[]
}

export const regressionsOf = (r: GateReport): GateCheck[] =>
  r.checks.filter((c) => c.status === 'fail')
