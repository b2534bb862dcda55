import { describe, expect, it } from 'vitest'
import type { IncidentRow } from '../../../db/schema.ts'
import {
  changesOf,
  decideIncident,
  type IncidentInput,
} from '../../../server/incidents/lifecycle.ts'
import { incidentStats } from '../../../server/incidents/stats.ts'

const T0 = '2026-11-25T20:00:00.000Z'
const at = (min: number) => new Date(Date.parse(T0) + min * 60_000).toISOString()

const incident = (over: Partial<IncidentRow> = {}): IncidentRow => ({
  id: 1,
  productId: 'sales.orders',
  domain: 'sales',
  title: 'orders',
  status: 'open',
  severity: 'breach',
  productStatus: 'breach',
  score: 20,
  detectedAt: T0,
  startedAt: T0,
  acknowledgedAt: null,
  acknowledgedBy: null,
  mutedUntil: null,
  resolvedAt: null,
  resolution: null,
  resolvedBy: null,
  resolveReason: null,
  reopened: 0,
  episodeId: 7,
  rootCause: null,
  blastRadius: [],
  updatedAt: T0,
  fannedOut: 0,
  ...over,
})

const input = (over: Partial<IncidentInput> = {}): IncidentInput => ({
  status: 'breach',
  score: 20,
  at: at(30),
  episode: { id: 7, worst: 'breach' },
  rootCause: null,
  blastRadius: [],
  ...over,
})

const consumer = {
  productId: 'marketing.customer_attribution',
  name: 'customer_attribution',
  domain: 'marketing',
  owner: null,
  hops: 0,
}

describe('decideIncident', () => {
  it.each([
    { name: 'an episode without incident opens one', inc: undefined, x: input(), op: 'open' },
    {
      name: 'nothing open and no episode: nothing',
      inc: undefined,
      x: input({ episode: undefined }),
      op: 'none',
    },
    { name: 'the same state: nothing', inc: incident(), x: input(), op: 'none' },
    {
      name: 'the episode closed: resolve',
      inc: incident(),
      x: input({ status: 'ok', episode: undefined }),
      op: 'resolve',
    },
    {
      name: 'an acknowledged one resolves too',
      inc: incident({ status: 'acknowledged' }),
      x: input({ status: 'ok', episode: undefined }),
      op: 'resolve',
    },
    {
      name: 'resolved by hand, still breached: stays resolved',
      inc: incident({ status: 'resolved', resolution: 'manual', resolvedAt: at(10) }),
      x: input(),
      op: 'none',
    },
    {
      name: 'breaks again inside the window: reopen',
      inc: incident({ status: 'resolved', resolvedAt: at(0) }),
      x: input({ at: at(60), episode: { id: 8, worst: 'warn' } }),
      op: 'reopen',
    },
    {
      name: 'breaks again after the window: a new incident',
      inc: incident({ status: 'resolved', resolvedAt: at(0) }),
      x: input({ at: at(61), episode: { id: 8, worst: 'warn' } }),
      op: 'open',
    },
  ])('$name', ({ inc, x, op }) => {
    expect(decideIncident(inc, x, 60 * 60_000).op).toBe(op)
  })

  it('updates with what changed: status, score, root cause, blast radius', () => {
    const step = decideIncident(
      incident(),
      input({
        status: 'warn',
        score: 71,
        rootCause: {
          summary: 'load_orders failed',
          confidence: 'lineage',
          culprit: { name: 'load_orders', kind: 'job', type: 'task', domain: 'sales' },
          chain: [],
        },
        blastRadius: [consumer],
      }),
      3_600_000,
    )
    expect(step).toEqual({
      op: 'update',
      changes: ['status', 'score', 'root cause', 'blast radius'],
    })
  })

  it('ignores a score moving by less than a point', () => {
    expect(changesOf(incident({ score: 20.2 }), input({ score: 19.8 }))).toEqual([])
  })
})

describe('incidentStats', () => {
  it('averages detect, acknowledge and resolve times per domain over the incidents that have them', () => {
    const rows = [
      incident({
        id: 1,
        startedAt: at(-10),
        detectedAt: at(0),
        acknowledgedAt: at(5),
        resolvedAt: at(60),
        status: 'resolved',
      }),
      incident({
        id: 2,
        startedAt: at(-30),
        detectedAt: at(0),
        resolvedAt: at(120),
        status: 'resolved',
      }),
      incident({ id: 3, startedAt: at(0), detectedAt: at(0) }),
      incident({ id: 4, domain: 'finance' }),
    ]
    expect(incidentStats(rows)).toEqual([
      { domain: 'finance', incidents: 1, open: 1, mttdMs: 0, mttaMs: null, mttrMs: null },
      {
        domain: 'sales',
        incidents: 3,
        open: 1,
        mttdMs: Math.round(((10 + 30 + 0) / 3) * 60_000),
        mttaMs: 5 * 60_000,
        mttrMs: 90 * 60_000,
      },
    ])
  })
})
