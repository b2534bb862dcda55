import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { getDemoAnchor, setDemoAnchor, storeCounts } from '../../db/queries/admin.ts'
import { demoClock } from '../../server/demo-clock.ts'
import { loadDemo } from '../../server/demo.ts'

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
})
