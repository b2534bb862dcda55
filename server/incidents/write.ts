import type { Db } from '../../db/client.ts'
import type { BlastProduct } from '../../db/incident-shapes.ts'
import { openEpisodes, productMeta } from '../../db/queries/alerts.ts'
import {
  blastRadius,
  insertIncident,
  insertTransition,
  latestIncidents,
  resolveConsumers,
  syncConsumers,
  updateIncident,
} from '../../db/queries/incidents.ts'
import type { IncidentRow } from '../../db/schema.ts'
import { rootCauseOf } from '../alerts/facts.ts'
import type { ProductEvaluation } from '../quality/facts.ts'
import type { RootCause } from '../quality/root-cause.ts'
import { decideIncident, type IncidentInput } from './lifecycle.ts'

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
 * stores the transition with the root cause and blast radius of that moment.
 */
export function writeIncidents(
  tx: Db,
  evals: readonly Evaluation[],
  opts: WriteIncidentsOptions,
): IncidentWrite[] {
  const ids = evals.map((e) => e.productId)
  const episodes = openEpisodes(tx, ids)
  const latest = latestIncidents(tx, ids)
  const active = evals.filter((e) => episodes.has(e.productId) || latest.has(e.productId))
  if (active.length === 0) return []
  const meta = productMeta(
    tx,
    active.map((e) => e.productId),
  )
  const out: IncidentWrite[] = []
  for (const e of active) {
    const product = meta.get(e.productId)
    if (!product) continue
    const ep = episodes.get(e.productId)
    const inc = latest.get(e.productId)
    const blast: BlastProduct[] = ep ? blastRadius(tx, e.productId) : (inc?.blastRadius ?? [])
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
      row = insertIncident(tx, {
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
      row = updateIncident(tx, inc.id, {
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
      row = updateIncident(tx, inc.id, {
        severity: inc.severity === 'breach' ? 'breach' : severityOf(ep.worst),
        episodeId: ep.id,
        ...snapshot,
      })
    } else {
      kind = 'resolved'
      row = updateIncident(tx, inc.id, {
        status: 'resolved',
        resolvedAt: x.at,
        resolution: 'auto',
        resolveReason: 'recovered',
        ...snapshot,
      })
      resolveConsumers(tx, row.id, x.at)
    }
    if (kind !== 'resolved') syncConsumers(tx, row.id, row.blastRadius, x.at)
    const transitionId = insertTransition(tx, {
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
