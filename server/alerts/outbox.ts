import type { AlertInsert } from '../../db/queries/alerts.ts'
import type { ProductEvaluation } from '../quality/facts.ts'
import { statusRank } from '../quality/facts.ts'
import type { RootCause } from '../quality/root-cause.ts'
import { rootCauseOf, type AlertFacts } from './facts.ts'
import { decide, dedupeKeyOf, type Decision } from './plan.ts'
import { call, type StoreProgram } from '../store-program.ts'

export const DEFAULT_REMINDER_MINUTES = 240

export interface WriteAlertsOptions {
  reminderMs: number
}

type Evaluation = ProductEvaluation & { rootCause?: RootCause | null }

/**
 * The outbox writer: called inside the transaction that stores the evaluations, it moves each
 * product's alert episode along and enqueues the alerts that decides (deduplicated per episode
 * and kind by the outbox's unique key). Returns the ids of the alerts added. A store program
 * (server/store-program.ts), run in that transaction.
 */
export function* writeAlerts(
  evals: readonly Evaluation[],
  opts: WriteAlertsOptions,
): StoreProgram<number[]> {
  const open = yield* call(
    'alerts',
    'openEpisodes',
    evals.map((e) => e.productId),
  )
  const decided: { e: Evaluation; d: Decision }[] = []
  // Someone acknowledged the incident, or muted it: its reminders would only be noise.
  const quiet = yield* call(
    'incidents',
    'quietProducts',
    [...open.keys()],
    evals[0]?.evaluatedAt ?? '',
  )
  for (const e of evals) {
    const d = decide(open.get(e.productId), e, opts.reminderMs)
    if (d.alert?.kind === 'reminder' && quiet.has(e.productId)) delete d.alert
    if (d.episode || d.alert) decided.push({ e, d })
  }
  if (decided.length === 0) return []
  const meta = yield* call(
    'alerts',
    'productMeta',
    decided.map((x) => x.e.productId),
  )
  const rows: AlertInsert[] = []
  for (const { e, d } of decided) {
    const product = meta.get(e.productId)
    if (!product) continue
    const prev = open.get(e.productId)
    let episodeId = prev?.id
    const step = d.episode
    if (step?.op === 'open')
      episodeId = yield* call('alerts', 'insertEpisode', {
        productId: e.productId,
        domain: product.domain,
        status: step.status,
        at: step.at,
      })
    else if (step?.op === 'close' && prev)
      yield* call('alerts', 'updateEpisode', prev.id, { closedAt: step.at, status: 'ok' })
    else if (step?.op === 'update' && prev)
      yield* call('alerts', 'updateEpisode', prev.id, {
        status: step.status,
        worst: step.worst,
        lastAlertAt: step.lastAlertAt,
        reminders: step.reminders,
      })
    const a = d.alert
    // an unknown evaluation never alerts (plan.ts), so the alerting one always has a score
    if (!a || episodeId === undefined || e.status === 'unknown') continue
    const facts: AlertFacts = {
      productId: e.productId,
      productName: product.name,
      domain: product.domain,
      owner: product.owner,
      kind: a.kind,
      status: e.status,
      previous: prev
        ? prev.status === 'breach' || prev.status === 'warn' || prev.status === 'unknown'
          ? prev.status
          : 'ok'
        : 'ok',
      score: e.score,
      evaluatedAt: e.evaluatedAt,
      since: a.since,
      ...(a.durationMs !== undefined ? { durationMs: a.durationMs } : {}),
      ...(a.reminder !== undefined ? { reminder: a.reminder } : {}),
      // what is wrong, worst first; a dimension without data (unknown) is not why it alerts
      dimensions: e.dimensions
        .flatMap((x) => (x.status === 'ok' || x.status === 'unknown' ? [] : [x]))
        .sort((x, y) => statusRank(y.status) - statusRank(x.status) || x.score - y.score)
        .map(({ dimension, status, score, reason }) => ({ dimension, status, score, reason })),
      rootCause: a.kind === 'recovered' ? null : rootCauseOf(e.rootCause),
    }
    rows.push({
      dedupeKey: dedupeKeyOf(e.productId, episodeId, a.key),
      productId: e.productId,
      domain: product.domain,
      kind: a.kind,
      severity: a.severity,
      status: 'pending',
      payload: { ...facts },
      createdAt: e.evaluatedAt,
      nextAttemptAt: e.evaluatedAt,
      episodeId,
    })
  }
  return yield* call('alerts', 'enqueueAlerts', rows)
}
