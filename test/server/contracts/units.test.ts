import { describe, expect, it } from 'vitest'
import { compareTypes } from '../../../server/quality/contract-schema.ts'
import {
  durationMs,
  lastDeadline,
  rateOf,
  timeOfDay,
  timeOfMinimum,
} from '../../../server/quality/contract-units.ts'

describe('ODCS units', () => {
  it.each([
    { value: 4, unit: 'd', ms: 4 * 86_400_000 },
    { value: 3, unit: 'years', ms: 3 * 365 * 86_400_000 },
    { value: 30, unit: 'min', ms: 1_800_000 },
    { value: '12', unit: 'h', ms: 43_200_000 },
    { value: 1, unit: 'fortnight', ms: undefined },
    { value: 1, unit: undefined, ms: undefined },
  ])('$value $unit is $ms ms', ({ value, unit, ms }) => {
    expect(durationMs(value, unit)).toBe(ms)
  })

  it.each([
    { value: 99.9, unit: 'percent', rate: 0.999 },
    { value: 5, unit: '%', rate: 0.05 },
    { value: 0.2, unit: 'ratio', rate: 0.2 },
    { value: 150, unit: 'percent', rate: undefined },
    { value: 5, unit: 'd', rate: undefined },
  ])('$value $unit is the rate $rate', ({ value, unit, rate }) => {
    expect(rateOf(value, unit)).toBe(rate)
  })

  it('reads the official example "09:00-08:00" as 09:00 at UTC-8 and takes an IANA zone from valueExt', () => {
    expect(timeOfDay('09:00-08:00', undefined)).toEqual({ minutes: 540, offsetMinutes: -480 })
    expect(timeOfDay('07:00', 'Europe/Paris')).toEqual({ minutes: 420, zone: 'Europe/Paris' })
    expect(timeOfDay('25:00', undefined)).toBeUndefined()
  })

  it.each([
    {
      name: 'after today’s deadline in Paris (winter, UTC+1)',
      now: '2026-11-25T20:00:00Z',
      deadline: '2026-11-25T08:00:00.000Z',
      dayStart: '2026-11-24T23:00:00.000Z',
    },
    {
      name: 'before it: yesterday’s',
      now: '2026-11-25T07:00:00Z',
      deadline: '2026-11-24T08:00:00.000Z',
      dayStart: '2026-11-23T23:00:00.000Z',
    },
    {
      name: 'summer time (UTC+2)',
      now: '2026-07-01T12:00:00Z',
      deadline: '2026-07-01T07:00:00.000Z',
      dayStart: '2026-06-30T22:00:00.000Z',
    },
  ])('the last 09:00 Europe/Paris deadline, $name', ({ now, deadline, dayStart }) => {
    const d = lastDeadline({ minutes: 540, zone: 'Europe/Paris' }, new Date(now))
    expect([d.deadline.toISOString(), d.dayStart.toISOString()]).toEqual([deadline, dayStart])
  })
})

describe('timeOfMinimum (a column minimum read as the oldest row)', () => {
  it.each([
    { name: 'a yyyymmdd partition key', v: 20230415, iso: '2023-04-15T00:00:00.000Z' },
    { name: 'epoch seconds', v: 1_700_000_000, iso: '2023-11-14T22:13:20.000Z' },
    { name: 'epoch milliseconds', v: 1_700_000_000_123, iso: '2023-11-14T22:13:20.123Z' },
    { name: 'an impossible date key', v: 20230231, iso: undefined },
    { name: 'an amount', v: 100, iso: undefined },
    { name: 'a fraction', v: 0.5, iso: undefined },
  ])('$name ($v) → $iso', ({ v, iso }) => {
    expect(timeOfMinimum(v)?.toISOString()).toBe(iso)
  })
})

describe('compareTypes', () => {
  it.each([
    { promised: 'INTEGER', observed: 'integer', rel: 'same' },
    { promised: 'INTEGER', observed: 'BIGINT', rel: 'widened' },
    { promised: 'BIGINT', observed: 'INTEGER', rel: 'narrowed' },
    { promised: 'DECIMAL(12,2)', observed: 'DECIMAL(10,2)', rel: 'narrowed' },
    { promised: 'DECIMAL(12,2)', observed: 'DECIMAL(14,2)', rel: 'widened' },
    { promised: 'VARCHAR(64)', observed: 'VARCHAR(32)', rel: 'narrowed' },
    { promised: 'VARCHAR(64)', observed: 'VARCHAR', rel: 'widened' },
    { promised: 'TIMESTAMP', observed: 'DATE', rel: 'narrowed' },
    { promised: 'DOUBLE', observed: 'INTEGER', rel: 'narrowed' },
    { promised: 'VARCHAR', observed: 'INTEGER', rel: 'changed' },
  ])('$promised → $observed is $rel', ({ promised, observed, rel }) => {
    expect(compareTypes(promised, observed)).toBe(rel)
  })
})
