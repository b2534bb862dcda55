import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { getDemoAnchor, setDemoAnchor, storeCounts } from '../../db/queries/admin.ts'
import { demoClock } from '../../server/demo-clock.ts'
import { loadDemo } from '../../server/demo.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import { FIXTURES } from '../../server/demo.ts'
import { join } from 'node:path'

describe('demo mesh', () => {
  it('loads four domains with their public products from the recorded dbt builds', async () => {
    const db = openDb(':memory:')
    const r = await loadDemo({ db })
    expect(r.counts.domains).toBe(4)
    expect(r.counts.products).toBeGreaterThanOrEqual(4)
    expect(storeCounts(db)).toEqual(r.counts)
    expect(Date.parse(r.recordedAt)).not.toBeNaN()
  })

  it('loading the same days twice changes nothing', async () => {
    const db = openDb(':memory:')
    await loadDemo({ db })
    const before = db.$client.prepare('select count(*) n from batches').get()
    await loadDemo({ db })
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
    const r = await loadDemo({ db, meshwatch }, { history: true, airflow: false })
    const app = createApp({ db, meshwatch })
    const body = (await (await app.request('/api/products/sales.orders/history')).json()) as {
      evaluations: { status: string; evaluatedAt: string }[]
    }
    const oldestFirst = body.evaluations.toReversed()
    // good (D-4) ok, outage (D-3) breach, partial recovery and recovered (D-2, D-1) ok again
    const episodes = oldestFirst.map((e) => e.status).filter((s, i, a) => s !== a[i - 1])
    expect(episodes).toEqual(['ok', 'breach', 'ok'])
    // four scores a day (0, 6, 12, 18 h after each earlier day's recording)
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
    await loadDemo({ db, meshwatch }, { history: true, airflow: false })
    expect(db.$client.prepare('select count(*) n from evaluations').get()).toEqual(n)
  }, 180_000)
})
