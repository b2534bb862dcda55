import type { Status } from '../../common/vocab.ts'

// What the evaluators read and write. Each shape is declared once, where the data comes from:
// the facts in db/queries/quality-facts.ts (what the loaders return), the stored results in
// db/json-shapes.ts (what the evaluations and alerts tables hold), the vocabularies in
// common/vocab.ts. server/quality/ takes them as types only (STYLE.md §1).
export type { KnownStatus, Status } from '../../common/vocab.ts'
export type {
  AssertionFact,
  ContractAssertionFact,
  ContractFacts,
  ContractObjectFacts,
  EpisodeFact,
  MetricFact,
  OutputFacts,
  ProductFacts,
  UpstreamFacts,
} from '../../db/queries/quality-facts.ts'
export type { DimensionResult, ProductEvaluation } from '../../db/json-shapes.ts'

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
