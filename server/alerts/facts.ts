import type { DimensionResult, Status } from '../quality/facts.ts'
import type { ChainNode, RootCause } from '../quality/root-cause.ts'

/** Why an alert was written: the episode opened, got worse, is still breached, or ended. */
export const ALERT_KINDS = ['opened', 'worsened', 'reminder', 'recovered'] as const
export type AlertKind = (typeof ALERT_KINDS)[number]

export const ALERT_STATUSES = ['pending', 'delivered', 'failed'] as const

/** Routing severity: recoveries go where the episode's worst alert went. */
export type AlertSeverity = 'warn' | 'breach'

/**
 * What an alert says, frozen when the evaluation is stored (the outbox payload): the message
 * is built from it at delivery, so a later config change re-routes but never rewrites history.
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

export type AlertChainNode = Pick<
  ChainNode,
  'name' | 'kind' | 'type' | 'domain' | 'problem' | 'status' | 'via'
>

export interface AlertRootCause {
  summary: string
  confidence: RootCause['confidence']
  culprit: AlertChainNode
  chain: AlertChainNode[]
}

const chainNodeOf = (n: ChainNode): AlertChainNode => ({
  name: n.name,
  kind: n.kind,
  type: n.type,
  domain: n.domain,
  ...(n.problem !== undefined ? { problem: n.problem } : {}),
  ...(n.status !== undefined ? { status: n.status } : {}),
  ...(n.via !== undefined ? { via: n.via } : {}),
})

export const rootCauseOf = (rc: RootCause | null | undefined): AlertRootCause | null =>
  rc
    ? {
        summary: rc.summary,
        confidence: rc.confidence,
        culprit: chainNodeOf(rc.culprit),
        chain: rc.chain.map(chainNodeOf),
      }
    : null
