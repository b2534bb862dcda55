import { describe, expect, it } from 'vitest'
import { cronOf, nextRunsAfter, toSchedule } from '../../../collectors/airflow/schedule.ts'

describe('nextRunsAfter', () => {
  it.each([
    {
      name: 'daily cron, strictly after',
      cron: '0 6 * * *',
      tz: undefined,
      after: '2026-03-27T06:00:00Z',
      n: 2,
      expected: ['2026-03-28T06:00:00.000Z', '2026-03-29T06:00:00.000Z'],
    },
    {
      name: 'weekdays in Paris across DST',
      cron: '30 7 * * 1-5',
      tz: 'Europe/Paris',
      after: '2026-03-27T07:00:00Z',
      n: 2,
      expected: ['2026-03-30T05:30:00.000Z', '2026-03-31T05:30:00.000Z'],
    },
    {
      name: 'Airflow preset @quarterly',
      cron: '@quarterly',
      tz: undefined,
      after: '2026-03-27T00:00:00Z',
      n: 2,
      expected: ['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z'],
    },
    {
      name: 'preset @hourly',
      cron: '@hourly',
      tz: undefined,
      after: '2026-03-27T10:59:59Z',
      n: 1,
      expected: ['2026-03-27T11:00:00.000Z'],
    },
    {
      name: 'no cron',
      cron: undefined,
      tz: undefined,
      after: '2026-03-27T00:00:00Z',
      n: 3,
      expected: [],
    },
  ])('$name', ({ cron, tz, after, n, expected }) => {
    expect(nextRunsAfter({ cron, timezone: tz }, after, n)).toEqual(expected)
  })

  it('accepts a Date', () => {
    expect(nextRunsAfter({ cron: '*/15 * * * *' }, new Date('2026-01-01T00:07:00Z'), 1)).toEqual([
      '2026-01-01T00:15:00.000Z',
    ])
  })
})

describe('cronOf', () => {
  it.each([
    { summary: '0 6 * * *', expected: '0 6 * * *' },
    { summary: '@daily', expected: '0 0 * * *' },
    { summary: 'Asset', expected: undefined },
    { summary: 'None', expected: undefined },
    { summary: '@once', expected: undefined },
    { summary: '1 day, 0:00:00', expected: undefined },
    { summary: undefined, expected: undefined },
  ])('$summary → $expected', ({ summary, expected }) => {
    expect(cronOf(summary)).toBe(expected)
  })
})

describe('toSchedule', () => {
  it('keeps a timezone that reproduces the next run', () => {
    const s = toSchedule({
      summary: '30 7 * * 1-5',
      description: 'At 07:30',
      timezone: 'Europe/Paris',
      nextRunAt: '2026-11-26T06:30:00.000Z',
      paused: false,
    })
    expect(s).toEqual({
      cron: '30 7 * * 1-5',
      summary: 'At 07:30',
      timezone: 'Europe/Paris',
      nextRunAt: '2026-11-26T06:30:00.000Z',
      paused: false,
    })
  })

  it('drops a timezone that contradicts the next run, with a warning', () => {
    const warnings: string[] = []
    const s = toSchedule(
      {
        summary: '30 7 * * 1-5',
        description: undefined,
        timezone: 'UTC',
        nextRunAt: '2026-11-26T06:30:00.000Z',
        paused: true,
      },
      (w) => warnings.push(w),
    )
    expect(s.timezone).toBeUndefined()
    expect(warnings).toHaveLength(1)
  })

  it('describes a non-cron timetable by its summary only', () => {
    expect(
      toSchedule({
        summary: 'Asset',
        description: 'Triggered by assets',
        timezone: undefined,
        nextRunAt: undefined,
        paused: false,
      }),
    ).toEqual({ summary: 'Triggered by assets', paused: false })
  })
})

describe('cronOf with a prototype member name', () => {
  it('is not a cron', () => {
    expect(cronOf('constructor')).toBeUndefined()
  })
})
