import { describe, expect, it } from 'vitest'
import { DAY_MS, shiftValue } from '../../server/demo-timeline.ts'

describe('shiftValue', () => {
  it.each([
    {
      name: 'a scheduled run id moves with its logical date, written as Airflow writes it',
      input: 'scheduled__2026-12-02T06:00:00+00:00',
      ms: -7 * DAY_MS,
      expected: 'scheduled__2026-11-25T06:00:00+00:00',
    },
    {
      name: 'an asset-triggered run id keeps its microseconds and random suffix',
      input: 'asset_triggered__2026-12-02T14:14:08.165944+00:00_9uuIcWA4',
      ms: -DAY_MS,
      expected: 'asset_triggered__2026-12-01T14:14:08.165944+00:00_9uuIcWA4',
    },
    {
      name: 'a run id moved by less than a second',
      input: 'scheduled__2026-12-02T06:00:00+00:00',
      ms: 1500,
      expected: 'scheduled__2026-12-02T06:00:01.500+00:00',
    },
    {
      name: 'a run id without a date stays',
      input: 'manual_sales_good',
      ms: -DAY_MS,
      expected: 'manual_sales_good',
    },
    {
      name: 'an instant moves',
      input: '2026-12-02T06:00:00Z',
      ms: -DAY_MS,
      expected: '2026-12-01T06:00:00.000Z',
    },
    {
      name: 'a date without a time stays',
      input: '2026-12-02',
      ms: -DAY_MS,
      expected: '2026-12-02',
    },
  ])('$name', ({ input, ms, expected }) => {
    expect(shiftValue(input, ms)).toBe(expected)
  })

  it('moves instants and dated run ids inside objects and arrays, and nothing else', () => {
    const body = {
      dag_run_ids: ['scheduled__2026-12-02T06:00:00+00:00', 'manual_bad_day'],
      run: { start_date: '2026-12-02T14:13:45.385447Z', try_number: 1, note: null },
    }
    expect(shiftValue(body, -DAY_MS)).toEqual({
      dag_run_ids: ['scheduled__2026-12-01T06:00:00+00:00', 'manual_bad_day'],
      run: { start_date: '2026-12-01T14:13:45.385Z', try_number: 1, note: null },
    })
  })
})
