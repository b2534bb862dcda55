import { describe, expect, it } from 'vitest'
import {
  formatAgo,
  formatDuration,
  formatIssue,
  formatIssues,
  formatPath,
} from '../../common/format.ts'

describe('formatDuration: whole minutes, hours and days, never decimals', () => {
  it.each([
    { ms: -5_000, out: '0 min' },
    { ms: 0, out: '0 min' },
    { ms: 29_000, out: '0 min' },
    { ms: 59 * 60_000, out: '59 min' },
    { ms: 3_600_000, out: '1 h' },
    { ms: 5_400_000, out: '1 h 30 min' },
    { ms: 2 * 3_600_000, out: '2 h' },
    { ms: 8_100_000, out: '2 h 15 min' },
    { ms: 47 * 3_600_000 + 59 * 60_000, out: '47 h 59 min' },
    { ms: 48 * 3_600_000, out: '2 days' },
    { ms: 50 * 3_600_000, out: '2 days 2 h' },
    { ms: 50 * 3_600_000 + 20 * 60_000, out: '2 days 2 h' },
  ])('$ms ms → $out', ({ ms, out }) => expect(formatDuration(ms)).toBe(out))
})

describe('formatAgo: how long before now', () => {
  const now = new Date('2026-01-01T03:10:00Z')
  it.each([
    { at: '2026-01-01T00:00:00Z', out: '3 h 10 min ago' },
    { at: Date.parse('2026-01-01T01:40:00Z'), out: '1 h 30 min ago' },
    { at: '2026-01-01T03:09:30Z', out: 'just now' },
    { at: '2026-01-01T04:00:00Z', out: 'just now' },
    { at: '2025-12-29T00:10:00Z', out: '3 days 3 h ago' },
    { at: null, out: '—' },
    { at: undefined, out: '—' },
    { at: 'not a time', out: '—' },
  ])('$at → $out', ({ at, out }) => expect(formatAgo(at, now)).toBe(out))
})

describe('validation issues', () => {
  it.each([
    { path: [], out: '$' },
    { path: ['outputs', 0, 'name'], out: '$.outputs[0].name' },
    { path: ['facets', 'my-facet', '_producer'], out: '$.facets["my-facet"]._producer' },
  ])('path $path → $out', ({ path, out }) => expect(formatPath(path)).toBe(out))

  it('names the path, says "required" for a missing field, and the message alone at the root', () => {
    expect(
      formatIssue({
        path: ['run', 'runId'],
        message: 'Invalid input: expected string, received undefined',
      }),
    ).toBe('$.run.runId: required')
    expect(formatIssue({ path: ['kind'], message: 'Invalid option' })).toBe(
      '$.kind: Invalid option',
    )
    expect(
      formatIssue({ path: [], message: 'Invalid input: expected object, received string' }),
    ).toBe('Invalid input: expected object, received string')
  })

  it('joins the first few issues into one sentence', () => {
    const issues = [1, 2, 3, 4, 5, 6].map((i) => ({ path: ['edges', i], message: 'bad' }))
    expect(formatIssues(issues)).toBe(
      '$.edges[1]: bad; $.edges[2]: bad; $.edges[3]: bad; $.edges[4]: bad; $.edges[5]: bad',
    )
    expect(formatIssues(issues, 1)).toBe('$.edges[1]: bad')
    expect(formatIssues([])).toBe('invalid')
  })
})
