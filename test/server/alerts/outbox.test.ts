import { describe, expect, it } from 'vitest'
import { shouldStore } from '../../../server/quality/history.ts'
import { openDb } from '../../../db/client.ts'
import { listAlerts } from '../../../db/queries/alerts.ts'
import { storeEvaluations } from '../../../db/queries/quality-store.ts'
import { alertEpisodes, evaluations, products } from '../../../db/schema.ts'
import { writeAlerts } from '../../../server/alerts/outbox.ts'
import { runOnDb } from '../../../server/store-program.ts'
import { decide, type OpenEpisode } from '../../../server/alerts/plan.ts'
import type { KnownStatus, ProductEvaluation, Status } from '../../../server/quality/facts.ts'

const H = 3_600_000
const T0 = Date.parse('2026-11-25T20:00:00Z')
const at = (h: number) => new Date(T0 + h * H).toISOString()
const episode = (over: Partial<OpenEpisode> = {}): OpenEpisode => ({
  id: 1,
  productId: 'p',
  openedAt: at(0),
  status: 'breach',
  worst: 'breach',
  lastAlertAt: at(0),
  reminders: 0,
  ...over,
})

describe('decide: what an evaluation means for the alert episode', () => {
  it.each([
    {
      name: 'ok with no episode: nothing',
      open: undefined,
      status: 'ok',
      h: 1,
      alert: undefined,
      op: undefined,
    },
    {
      name: 'leaving ok opens an episode',
      open: undefined,
      status: 'breach',
      h: 1,
      alert: 'opened',
      op: 'open',
    },
    {
      name: 'a warning opens one too',
      open: undefined,
      status: 'warn',
      h: 1,
      alert: 'opened',
      op: 'open',
    },
    {
      name: 'same breach inside the interval: nothing',
      open: episode(),
      status: 'breach',
      h: 3.9,
      alert: undefined,
      op: undefined,
    },
    {
      name: 'still breached after the interval: a reminder',
      open: episode(),
      status: 'breach',
      h: 4,
      alert: 'reminder',
      op: 'update',
    },
    {
      name: 'warn to breach: worsened',
      open: episode({ status: 'warn', worst: 'warn' }),
      status: 'breach',
      h: 1,
      alert: 'worsened',
      op: 'update',
    },
    {
      name: 'breach to warn: quietly recorded',
      open: episode(),
      status: 'warn',
      h: 1,
      alert: undefined,
      op: 'update',
    },
    {
      name: 'back to breach after a warn: no second worsened',
      open: episode({ status: 'warn' }),
      status: 'breach',
      h: 1,
      alert: undefined,
      op: 'update',
    },
    {
      name: 'a long warning gets no reminder',
      open: episode({ status: 'warn', worst: 'warn' }),
      status: 'warn',
      h: 30,
      alert: undefined,
      op: undefined,
    },
    {
      name: 'back to ok: recovered, closing it',
      open: episode(),
      status: 'ok',
      h: 2.25,
      alert: 'recovered',
      op: 'close',
    },
  ])('$name', ({ open, status, h, alert, op }) => {
    const d = decide(open, { status: status as Status, evaluatedAt: at(h) }, 4 * H)
    expect(d.alert?.kind).toBe(alert)
    expect(d.episode?.op).toBe(op)
  })

  it('gives each alert of an episode its own key, reminders numbered', () => {
    expect(
      decide(
        episode({ reminders: 2, lastAlertAt: at(8) }),
        { status: 'breach', evaluatedAt: at(12) },
        4 * H,
      ).alert,
    ).toMatchObject({ key: 'reminder:3', reminder: 3, durationMs: 12 * H })
    expect(
      decide(episode({ worst: 'warn' }), { status: 'ok', evaluatedAt: at(2.25) }, 4 * H).alert,
    ).toMatchObject({ key: 'recovered', severity: 'warn', durationMs: 2.25 * H })
  })
})

function setup() {
  const db = openDb(':memory:')
  db.insert(products)
    .values({
      id: 'sales.orders',
      name: 'orders',
      domain: 'sales',
      owner: 'sales@x',
      origin: 'dbt',
      updatedAt: at(0),
    })
    .run()
  return db
}
const evaluation = (status: KnownStatus, h: number): ProductEvaluation & { rootCause: null } => ({
  productId: 'sales.orders',
  evaluatedAt: at(h),
  score: status === 'ok' ? 100 : 40,
  status,
  dimensions: [
    {
      dimension: 'tests',
      status,
      score: status === 'ok' ? 100 : 40,
      reason: status === 'ok' ? 'all pass' : '1 of 6 tests failing',
    },
  ],
  rootCause: null,
})
const store = (db: ReturnType<typeof setup>, e: ReturnType<typeof evaluation>) =>
  db.transaction(() => {
    const written = storeEvaluations(db, [e], { keep: (prev, next) => shouldStore(prev, next, H) })
    runOnDb(db, writeAlerts([e], { reminderMs: 4 * H }))
    return written
  })

describe('the outbox writer', () => {
  it('writes opened, reminder and recovered for one episode, and opens a new episode after', () => {
    const db = setup()
    for (const [s, h] of [
      ['ok', 0],
      ['breach', 1],
      ['breach', 2],
      ['breach', 5],
      ['ok', 6],
      ['warn', 7],
    ] as const)
      store(db, evaluation(s, h))
    expect(
      listAlerts(db)
        .reverse()
        .map((a) => `${a.dedupeKey} ${a.severity} ${a.createdAt}`),
    ).toEqual([
      `sales.orders#1:opened breach ${at(1)}`,
      `sales.orders#1:reminder:1 breach ${at(5)}`,
      `sales.orders#1:recovered breach ${at(6)}`,
      `sales.orders#2:opened warn ${at(7)}`,
    ])
    expect(listAlerts(db).find((a) => a.kind === 'recovered')?.payload).toMatchObject({
      status: 'ok',
      previous: 'breach',
      since: at(1),
      durationMs: 5 * H,
      rootCause: null,
    })
    expect(
      db
        .select()
        .from(alertEpisodes)
        .all()
        .map((e) => [e.id, e.openedAt, e.closedAt]),
    ).toEqual([
      [1, at(1), at(6)],
      [2, at(7), null],
    ])
  })

  it('stores the evaluation and its alert together or not at all', () => {
    const db = setup()
    db.$client.exec(
      "CREATE TRIGGER no_alerts BEFORE INSERT ON alerts BEGIN SELECT RAISE(ABORT, 'outbox unavailable'); END",
    )
    expect(() => store(db, evaluation('breach', 1))).toThrow(/outbox unavailable/)
    expect(db.select().from(evaluations).all()).toEqual([])
    expect(db.select().from(alertEpisodes).all()).toEqual([])
    db.$client.exec('DROP TRIGGER no_alerts')
    store(db, evaluation('breach', 1))
    expect(db.select().from(evaluations).all()).toHaveLength(1)
    expect(listAlerts(db).map((a) => a.kind)).toEqual(['opened'])
  })
})
