import type { BlastProduct } from '../../db/incident-shapes.ts'
import type { IncidentRow } from '../../db/schema.ts'
import { rootCauseOf } from '../alerts/facts.ts'
import type { ProductEvaluation } from '../quality/facts.ts'
import type { RootCause } from '../quality/root-cause.ts'
import { decideIncident, type IncidentInput } from './lifecycle.ts'
import { call, type StoreProgram } from '../store-program.ts'

type Evaluation = ProductEvaluation & { rootCause?: RootCause | null }

export interface WriteIncidentsOptions {
  reopenMs: number
}

export interface IncidentWrite {
  incidentId: number
  transitionId: number
  kind: 'opened' | 'updated' | 'resolved' | 'reopened'
}

const severityOf = (s: string): 'warn' | 'breach' => (s === 'breach' ? 'breach' : 'warn')

/**
 * The incident writer: called in the evaluation's transaction after the alert episodes moved
 * (writeAlerts), it opens, updates, resolves or reopens each evaluated product's incident and
 * stores the transition with the root cause and blast radius of that moment. A store program
 * (server/store-program.ts), run in that transaction.
 */
export function* writeIncidents(
  evals: readonly Evaluation[],
  opts: WriteIncidentsOptions,
): StoreProgram<IncidentWrite[]> {
  const ids = evals.map((e) => e.productId)
  const episodes = yield* call('alerts', 'openEpisodes', ids)
  const latest = yield* call('incidents', 'latestIncidents', ids)
  const active = evals.filter((e) => episodes.has(e.productId) || latest.has(e.productId))
  if (active.length === 0) return []
  const meta = yield* call(
    'alerts',
    'productMeta',
    active.map((e) => e.productId),
  )
  const out: IncidentWrite[] = []
  for (const e of active) {
    const product = meta.get(e.productId)
    if (!product) continue
    const ep = episodes.get(e.productId)
    const inc = latest.get(e.productId)
    const blast: BlastProduct[] = ep
      ? yield* call('incidents', 'blastRadius', e.productId)
      : (inc?.blastRadius ?? [])
    const x: IncidentInput = {
      status: e.status,
      score: e.status === 'unknown' ? null : e.score,
      at: e.evaluatedAt,
      episode: ep ? { id: ep.id, worst: ep.worst } : undefined,
      rootCause: ep ? rootCauseOf(e.rootCause) : (inc?.rootCause ?? null),
      blastRadius: blast,
    }
    const step = decideIncident(inc, x, opts.reopenMs)
    if (step.op === 'none') continue
    const snapshot = {
      productStatus: x.status,
      score: x.score,
      rootCause: x.rootCause,
      blastRadius: x.blastRadius,
      updatedAt: x.at,
    }
    let row: IncidentRow
    let kind: IncidentWrite['kind']
    let changes: string[] = []
    if (step.op === 'open' || !inc) {
      if (!ep) continue
      kind = 'opened'
      row = yield* call('incidents', 'insertIncident', {
        productId: e.productId,
        domain: product.domain,
        title: product.name,
        status: 'open',
        severity: severityOf(ep.worst),
        detectedAt: ep.openedAt,
        // when the trouble began upstream: the blamed node's time, if it is before we saw it
        startedAt: minIso(ep && e.rootCause ? e.rootCause.culprit.at : undefined, ep.openedAt),
        episodeId: ep.id,
        ...snapshot,
      })
    } else if (step.op === 'reopen' && ep) {
      kind = 'reopened'
      row = yield* call('incidents', 'updateIncident', inc.id, {
        status: 'open',
        severity: severityOf(ep.worst),
        episodeId: ep.id,
        reopened: inc.reopened + 1,
        acknowledgedAt: null,
        acknowledgedBy: null,
        mutedUntil: null,
        resolvedAt: null,
        resolution: null,
        resolvedBy: null,
        resolveReason: null,
        ...snapshot,
      })
    } else if (step.op === 'update' && ep) {
      kind = 'updated'
      changes = step.changes
      row = yield* call('incidents', 'updateIncident', inc.id, {
        severity: inc.severity === 'breach' ? 'breach' : severityOf(ep.worst),
        episodeId: ep.id,
        ...snapshot,
      })
    } else {
      kind = 'resolved'
      row = yield* call('incidents', 'updateIncident', inc.id, {
        status: 'resolved',
        resolvedAt: x.at,
        resolution: 'auto',
        resolveReason: 'recovered',
        ...snapshot,
      })
      yield* call('incidents', 'resolveConsumers', row.id, x.at)
    }
    if (kind !== 'resolved')
      yield* call('incidents', 'syncConsumers', row.id, row.blastRadius, x.at)
    const transitionId = yield* call('incidents', 'insertTransition', {
      incidentId: row.id,
      kind,
      at: x.at,
      productStatus: x.status,
      score: x.score,
      changes,
      rootCause: x.rootCause,
      blastRadius: x.blastRadius,
      episodeId: row.episodeId,
    })
    out.push({ incidentId: row.id, transitionId, kind })
  }
  return out
}

const minIso = (a: string | null | undefined, b: string): string =>
  a && Date.parse(a) < Date.parse(b) ? new Date(Date.parse(a)).toISOString() : b
