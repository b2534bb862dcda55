import { statusRank, type ProductEvaluation, type Status } from '../quality/facts.ts'
import type { AlertKind, AlertSeverity } from './facts.ts'

/** The open episode of a product as stored (alert_episodes). */
export interface OpenEpisode {
  id: number
  productId: string
  openedAt: string
  status: Status
  worst: Status
  lastAlertAt: string
  reminders: number
}

export type EpisodeStep =
  | { op: 'open'; status: Status; at: string }
  | { op: 'update'; status: Status; worst: Status; lastAlertAt: string; reminders: number }
  | { op: 'close'; at: string }

export interface AlertStep {
  kind: AlertKind
  severity: AlertSeverity
  /** Unique within the episode: with the episode id it is the outbox dedupe key. */
  key: string
  since: string
  durationMs?: number
  reminder?: number
}

export interface Decision {
  episode?: EpisodeStep
  alert?: AlertStep
}

/** The worst an episode has been: warn or breach (an episode opens on one of them). */
const asStatus = (s: Status): Status => (s === 'breach' || s === 'warn' ? s : 'ok')

/**
 * What a new evaluation means for a product's alert episode: leaving ok opens one (alert
 * 'opened'), a worse status than seen in it alerts 'worsened', a breach lasting `reminderMs`
 * past the last alert alerts 'reminder', returning to ok closes it (alert 'recovered').
 * Times come from the evaluation, never the clock.
 */
export function decide(
  open: OpenEpisode | undefined,
  e: Pick<ProductEvaluation, 'status' | 'evaluatedAt'>,
  reminderMs: number,
): Decision {
  const at = e.evaluatedAt
  if (e.status === 'unknown') {
    // Nothing to judge by is neither a breach nor a recovery: no alert, and an open episode
    // stays open (only data that is ok again closes it).
    if (!open || open.status === 'unknown') return {}
    return {
      episode: {
        op: 'update',
        status: 'unknown',
        worst: asStatus(open.worst),
        lastAlertAt: open.lastAlertAt,
        reminders: open.reminders,
      },
    }
  }
  if (e.status === 'ok') {
    if (!open) return {}
    const worst = asStatus(open.worst)
    return {
      episode: { op: 'close', at },
      alert: {
        kind: 'recovered',
        severity: worst === 'breach' ? 'breach' : 'warn',
        key: 'recovered',
        since: open.openedAt,
        durationMs: Date.parse(at) - Date.parse(open.openedAt),
      },
    }
  }
  if (!open) {
    return {
      episode: { op: 'open', status: e.status, at },
      alert: { kind: 'opened', severity: e.status, key: 'opened', since: at },
    }
  }
  const worst = asStatus(open.worst)
  if (statusRank(e.status) > statusRank(worst)) {
    return {
      episode: {
        op: 'update',
        status: e.status,
        worst: e.status,
        lastAlertAt: at,
        reminders: open.reminders,
      },
      alert: {
        kind: 'worsened',
        severity: e.status,
        key: `worsened:${e.status}`,
        since: open.openedAt,
      },
    }
  }
  if (e.status === 'breach' && Date.parse(at) - Date.parse(open.lastAlertAt) >= reminderMs) {
    const n = open.reminders + 1
    return {
      episode: { op: 'update', status: e.status, worst, lastAlertAt: at, reminders: n },
      alert: {
        kind: 'reminder',
        severity: 'breach',
        key: `reminder:${n}`,
        since: open.openedAt,
        durationMs: Date.parse(at) - Date.parse(open.openedAt),
        reminder: n,
      },
    }
  }
  if (e.status !== open.status) {
    return {
      episode: {
        op: 'update',
        status: e.status,
        worst,
        lastAlertAt: open.lastAlertAt,
        reminders: open.reminders,
      },
    }
  }
  return {}
}

export const dedupeKeyOf = (productId: string, episodeId: number, key: string): string =>
  `${productId}#${episodeId}:${key}`
