import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { getDemoAnchor, setDemoAnchor, storeCounts } from '../../db/queries/admin.ts'
import { demoClock } from '../../server/demo-clock.ts'
import { loadDemo } from '../../server/demo.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import { DEMO_TIMELINE, FIXTURES } from '../../server/demo.ts'
import { DAY_MS } from '../../server/demo-timeline.ts'
import { join } from 'node:path'
import { sqliteStore } from '../../db/store.ts'

describe('demo mesh', () => {
  it('loads four domains with their public products from the recorded dbt builds', async () => {
    const db = openDb(':memory:')
    const r = await loadDemo({ store: sqliteStore(db) })
    expect(r.counts.domains).toBe(4)
    expect(r.counts.products).toBeGreaterThanOrEqual(4)
    expect(storeCounts(db)).toEqual(r.counts)
    expect(Date.parse(r.recordedAt)).not.toBeNaN()
  })

  it('loading the same days twice changes nothing', async () => {
    const db = openDb(':memory:')
    await loadDemo({ store: sqliteStore(db) })
    const before = db.$client.prepare('select count(*) n from batches').get()
    await loadDemo({ store: sqliteStore(db) })
    expect(db.$client.prepare('select count(*) n from batches').get()).toEqual(before)
  })

  it('runs its clock from the recording time, advancing with the wall clock', () => {
    let wall = Date.parse('2027-03-01T12:00:00Z')
    const clock = demoClock(
      { recordedAt: '2026-11-25T20:30:00Z', loadedAt: '2027-03-01T12:00:00Z' },
      () => wall,
    )
    expect(clock().toISOString()).toBe('2026-11-25T20:35:00.000Z')
    wall += 60_000
    expect(clock().toISOString()).toBe('2026-11-25T20:36:00.000Z')
  })

  it('keeps the clock anchor in the store so a restarted demo keeps its clock', () => {
    const db = openDb(':memory:')
    expect(getDemoAnchor(db)).toBeUndefined()
    setDemoAnchor(db, { recordedAt: '2026-11-25T20:30:00Z', loadedAt: '2027-03-01T12:00:00Z' })
    expect(getDemoAnchor(db)).toEqual({
      recordedAt: '2026-11-25T20:30:00Z',
      loadedAt: '2027-03-01T12:00:00Z',
    })
  })

  it('loads its recorded days one day apart and scores the earlier ones, so the history shows the outage and the recovery', async () => {
    const db = openDb(':memory:')
    const meshwatch = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))
    const r = await loadDemo(
      { store: sqliteStore(db), meshwatch },
      { history: true, airflow: false },
    )
    const app = createApp({ store: sqliteStore(db), meshwatch })
    const body = (await (await app.request('/api/products/sales.orders/history')).json()) as {
      evaluations: { status: string; evaluatedAt: string }[]
    }
    const oldestFirst = body.evaluations.toReversed()
    // good (D-4) ok, outage (D-3) breach, partial recovery and recovered (D-2, D-1) ok again
    const episodes = oldestFirst.map((e) => e.status).filter((s, i, a) => s !== a[i - 1])
    expect(episodes).toEqual(['ok', 'breach', 'ok'])
    // four scores a day (0, 3, 6, 9 h after each earlier day's recording)
    const days = oldestFirst.map((e) =>
      Math.floor((Date.parse(r.recordedAt) - Date.parse(e.evaluatedAt)) / 86_400_000),
    )
    expect(days).toEqual([3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0])
    // finance: its ERP source stale from the outage through the partial recovery, fresh on D-1
    const fin = (await (await app.request('/api/products/finance.revenue/history')).json()) as {
      evaluations: { status: string }[]
    }
    expect(fin.evaluations.toReversed().map((e) => e.status)).toContain('breach')
    expect(fin.evaluations[0]?.status).toBe('ok')
    // a second load stores nothing new
    const n = db.$client.prepare('select count(*) n from evaluations').get()
    await loadDemo({ store: sqliteStore(db), meshwatch }, { history: true, airflow: false })
    expect(db.$client.prepare('select count(*) n from evaluations').get()).toEqual(n)
  }, 180_000)

  // each day's finance run: the ERP load fails from the outage through the partial recovery and today
  const FINANCE_RUNS = {
    good: { runId: 'manual_finance_good', state: 'COMPLETE' },
    outage: { runId: 'manual_finance_outage', state: 'FAIL' },
    partial: { runId: 'manual_finance_partial', state: 'FAIL' },
    recovered: { runId: 'manual_finance_recovered', state: 'COMPLETE' },
    bad: { runId: 'manual_bad_day', state: 'FAIL' },
  } as const
  const recordedDays = DEMO_TIMELINE.filter((d) =>
    existsSync(join(FIXTURES, 'airflow', 'history', `${d.day}.json`)),
  )

  it.runIf(recordedDays.length === DEMO_TIMELINE.length)(
    "carries each day's recorded Airflow runs on that day, each day's runs its own, none after the demo clock",
    async () => {
      const db = openDb(':memory:')
      const meshwatch = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))
      const r = await loadDemo({ store: sqliteStore(db), meshwatch }, { history: true })
      expect(r.summary).toMatch(/from 20 dbt builds and 4 Airflow DAGs/)
      type Row = { dag: string; dagRunId: string; state: string; startedAt: string }
      const runs = db.$client
        .prepare<[], Row>(
          `select j.name dag, json_extract(r.facets, '$.airflow.dagRunId') dagRunId, r.state,
             r.started_at startedAt
           from runs r join jobs j on j.id = r.job_id where j.type = 'airflow_dag'`,
        )
        .all()
      const today = Date.parse(r.recordedAt)
      for (const { day, daysAgo } of DEMO_TIMELINE) {
        const expected = FINANCE_RUNS[day]
        const run = runs.find((x) => x.dag === 'finance_ledger' && x.dagRunId === expected.runId)
        expect({ day, state: run?.state }).toEqual({ day, state: expected.state })
        // on its own day: within the 24 h before that day's place on the timeline
        const dayAt = today - daysAgo * DAY_MS
        const at = Date.parse(run?.startedAt ?? '')
        expect(at).toBeLessThanOrEqual(dayAt)
        expect(at).toBeGreaterThan(dayAt - DAY_MS)
      }
      // one scheduled 06:00 sales run a day, five days, five runs (none merged into another day's)
      const scheduled = runs.filter(
        (x) => x.dag === 'sales_daily' && x.dagRunId.startsWith('scheduled__'),
      )
      expect(scheduled.map((x) => x.dagRunId.slice(-14))).toEqual(Array(5).fill('06:00:00+00:00'))
      expect(new Set(scheduled.map((x) => x.dagRunId.slice(0, 21))).size).toBe(5)
      expect(Math.max(...runs.map((x) => Date.parse(x.startedAt)))).toBeLessThanOrEqual(today)
      // Airflow beside dbt keeps the story: sales ok, breach on the outage, ok again
      const app = createApp({ store: sqliteStore(db), meshwatch })
      const body = (await (await app.request('/api/products/sales.orders/history')).json()) as {
        evaluations: { status: string }[]
      }
      const statuses = body.evaluations.toReversed().map((e) => e.status)
      expect(statuses.filter((s, i, a) => s !== a[i - 1])).toEqual(['ok', 'breach', 'ok'])
    },
    180_000,
  )
})
