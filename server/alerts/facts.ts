import type {
  AlertChainNode,
  AlertFacts,
  AlertRootCause,
  ChainNode,
  RootCause,
} from '../../db/json-shapes.ts'

// The alert vocabularies live in common/vocab.ts, the stored payload's shape (AlertFacts) in
// db/json-shapes.ts, which types the outbox's payload column with it.
export { ALERT_STATUSES, type AlertKind, type AlertSeverity } from '../../common/vocab.ts'
export type { AlertChainNode, AlertFacts, AlertRootCause }

const chainNodeOf = (n: ChainNode): AlertChainNode => ({
  name: n.name,
  kind: n.kind,
  type: n.type,
  domain: n.domain,
  ...(n.problem !== undefined ? { problem: n.problem } : {}),
  ...(n.status !== undefined ? { status: n.status } : {}),
  ...(n.via !== undefined ? { via: n.via } : {}),
  ...(n.run !== undefined ? { run: n.run } : {}),
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
