import { describe, expect, it } from 'vitest'
import { scoreFreshness } from '../../../server/quality/freshness.ts'
import { scoreReliability } from '../../../server/quality/reliability.ts'
import { scoreSchema } from '../../../server/quality/schema-dim.ts'
import { scoreTests } from '../../../server/quality/tests-dim.ts'
import { scoreVolume } from '../../../server/quality/volume.ts'
import { dag, hoursAgo, NOW, output, run, sla, upstream } from './helpers.ts'

const test = (status: string, severity = 'error', name = 't') => ({
  key: `k.${name}`,
  name,
  status,
  severity,
  observedAt: hoursAgo(1),
  column: null,
})

// NOW is Wednesday 2026-11-25 12:00 UTC; the DAG runs daily at 06:00 UTC.
describe('freshness', () => {
  it.each([
    {
      name: 'declared, never written: warn no data yet',
      o: output(),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'warn',
      reason: /no data yet/,
    },
    {
      name: 'not declared, no schedule, no data: unknown',
      o: output(),
      s: sla(),
      expected: 'unknown',
      reason: /no data yet/,
    },
    {
      name: 'declared with on_no_data unknown: unknown',
      o: output(),
      s: sla({ freshness: { max_age_hours: 24, on_no_data: 'unknown' } }),
      expected: 'unknown',
    },
    {
      name: 'declared with on_no_data skip: not scored',
      o: output(),
      s: sla({ freshness: { max_age_hours: 24, on_no_data: 'skip' } }),
      expected: undefined,
    },
    {
      name: 'written 2 h ago within 24 h: ok',
      o: output({ runs: [run('COMPLETE', 2)] }),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'ok',
    },
    {
      name: 'only a failed run 1 h ago, success 30 h ago: breach',
      o: output({ runs: [run('FAIL', 1), run('COMPLETE', 30)] }),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'breach',
      reason: /30 h ago/,
    },
    {
      name: 'over the warn age: warn',
      o: output({ runs: [run('COMPLETE', 20)] }),
      s: sla({ freshness: { max_age_hours: 24, warn_age_hours: 12 } }),
      expected: 'warn',
    },
    {
      name: 'dbt source freshness gives the load time',
      o: output({
        freshness: {
          name: 'freshness_age_seconds',
          value: 3600 * 40,
          status: 'error',
          observedAt: hoursAgo(0),
        },
      }),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'breach',
    },
    {
      name: 'an OpenLineage write signal counts as a write',
      o: output({ writeSignals: [hoursAgo(1)] }),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'ok',
    },
    {
      name: 'cron DAG ran after the last expected run: ok',
      o: output({ runs: [run('COMPLETE', 5)], dags: [dag({ cron: '0 6 * * *' }, 5)] }),
      s: sla(),
      expected: 'ok',
      reason: /on schedule/,
    },
    {
      name: 'cron DAG missed today 06:00 (+1 h grace passed): late',
      o: output({ runs: [run('COMPLETE', 29)], dags: [dag({ cron: '0 6 * * *' }, 29)] }),
      s: sla(),
      expected: 'breach',
      reason: /late/,
    },
    {
      name: 'today 11:00 run still inside its 2 h grace: not late yet',
      o: output({ runs: [run('COMPLETE', 20)], dags: [dag({ cron: '0 11 * * *' }, 20)] }),
      s: sla({ freshness: { grace_minutes: 120 } }),
      expected: 'ok',
    },
    {
      name: 'paused DAG is never late, even if old',
      o: output({
        runs: [run('COMPLETE', 500)],
        dags: [dag({ cron: '0 6 * * *', paused: true }, 500)],
      }),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'ok',
      reason: /paused/,
    },
    {
      name: 'cron DAG never ran, declared: warn no data yet',
      o: output({ dags: [dag({ cron: '0 6 * * *' }, null)] }),
      s: sla({ freshness: { max_age_hours: 24 } }),
      expected: 'warn',
      reason: /never/,
    },
  ])('$name', ({ o, s, expected, reason }) => {
    const r = scoreFreshness([o], [], s, NOW)
    expect(r?.status).toBe(expected)
    if (reason) expect(r?.reason).toMatch(reason)
  })

  it('inherits a stale upstream source', () => {
    const up = upstream({
      freshness: {
        name: 'freshness_age_seconds',
        value: 72 * 3600,
        status: 'error',
        observedAt: hoursAgo(0),
      },
    })
    const r = scoreFreshness(
      [output({ runs: [run('COMPLETE', 1)] })],
      [up],
      sla({ freshness: { max_age_hours: 24 } }),
      NOW,
    )
    expect(r?.status).toBe('breach')
    expect(r?.reason).toMatch(/upstream source mesh.sales_raw.raw_orders .* stale/)
  })
})

describe('tests', () => {
  it.each([
    {
      name: 'declared, no results: warn no data yet',
      a: [],
      s: sla({ tests: { min_pass_rate: 1 } }),
      expected: 'warn',
      reason: /no data yet/,
    },
    { name: 'not declared, no results: unknown', a: [], s: sla(), expected: 'unknown' },
    {
      name: 'all pass: ok',
      a: [test('pass'), test('pass', 'warn')],
      s: sla(),
      expected: 'ok',
      score: 100,
    },
    {
      name: 'error-severity failure: breach',
      a: [test('pass'), test('fail')],
      s: sla(),
      expected: 'breach',
      score: 50,
    },
    {
      name: 'warn-severity failure: warn',
      a: [test('pass'), test('warn', 'warn')],
      s: sla(),
      expected: 'warn',
      score: 67,
    },
    {
      name: 'warn failure under min_pass_rate: breach',
      a: [test('pass'), test('warn', 'warn')],
      s: sla({ tests: { min_pass_rate: 0.9 } }),
      expected: 'breach',
    },
    {
      name: 'skipped tests are ignored',
      a: [test('pass'), test('skipped')],
      s: sla(),
      expected: 'ok',
      score: 100,
    },
    {
      name: 'runtime error counts as a failure',
      a: [test('error')],
      s: sla(),
      expected: 'breach',
      score: 0,
    },
  ])('$name', ({ a, s, expected, score, reason }) => {
    const r = scoreTests([output({ assertions: a })], [], s)
    expect(r?.status).toBe(expected)
    if (score !== undefined) expect(r?.score).toBe(score)
    if (reason) expect(r?.reason).toMatch(reason)
  })

  it.each([
    { mode: 'off', expected: 'ok' },
    { mode: 'warn', expected: 'warn' },
    { mode: 'breach', expected: 'breach' },
  ] as const)(
    'an upstream error-test failure with upstream=$mode is $expected',
    ({ mode, expected }) => {
      const up = upstream({ assertions: [test('fail')] })
      const r = scoreTests(
        [output({ assertions: [test('pass')] })],
        [up],
        sla({ tests: { upstream: mode } }),
      )
      expect(r?.status).toBe(expected)
    },
  )
})

const rows = (...values: number[]) =>
  values.map((value, i) => ({
    name: 'row_count',
    value,
    status: null,
    observedAt: hoursAgo(values.length - i),
  }))

describe('volume', () => {
  it.each([
    {
      name: 'declared, no row counts: warn no data yet',
      v: [],
      s: sla({ volume: { min_rows: 1 } }),
      expected: 'warn',
    },
    {
      name: 'declared with on_no_data skip: not scored',
      v: [],
      s: sla({ volume: { min_rows: 1, on_no_data: 'skip' } }),
      expected: undefined,
    },
    {
      name: 'within bounds: ok',
      v: rows(10),
      s: sla({ volume: { min_rows: 1, max_rows: 100 } }),
      expected: 'ok',
    },
    {
      name: 'under min_rows: breach',
      v: rows(0),
      s: sla({ volume: { min_rows: 1 } }),
      expected: 'breach',
    },
    {
      name: 'over max_rows: breach',
      v: rows(1000),
      s: sla({ volume: { max_rows: 100 } }),
      expected: 'breach',
    },
    {
      name: 'too little history to learn: unknown',
      v: rows(100, 5),
      s: sla(),
      expected: 'unknown',
    },
    { name: 'not declared, no row counts: unknown', v: [], s: sla(), expected: 'unknown' },
    {
      name: 'inside the learned band: ok',
      v: rows(100, 110, 90, 105, 95, 120),
      s: sla(),
      expected: 'ok',
    },
    {
      name: 'outside the learned band: warn',
      v: rows(100, 110, 90, 105, 95, 10),
      s: sla(),
      expected: 'warn',
    },
    {
      name: 'empty when it usually is not: breach',
      v: rows(100, 110, 90, 105, 95, 0),
      s: sla(),
      expected: 'breach',
    },
  ])('$name', ({ v, s, expected }) => {
    expect(scoreVolume([output({ volume: v })], s)?.status).toBe(expected)
  })
})

const cols = (...c: [string, string][]) => c.map(([name, type]) => ({ name, type }))

describe('schema', () => {
  it.each([
    {
      name: 'declared, never seen: warn no data yet',
      versions: [],
      s: sla({ schema: { on_breaking: 'breach' } }),
      expected: 'warn',
    },
    { name: 'not declared, never seen: unknown', versions: [], s: sla(), expected: 'unknown' },
    {
      name: 'one version: ok',
      versions: [{ columns: cols(['a', 'int']), observedAt: hoursAgo(5) }],
      s: sla(),
      expected: 'ok',
    },
    {
      name: 'column added: ok',
      versions: [
        { columns: cols(['a', 'int']), observedAt: hoursAgo(50) },
        { columns: cols(['a', 'int'], ['b', 'int']), observedAt: hoursAgo(1) },
      ],
      s: sla(),
      expected: 'ok',
    },
    {
      name: 'column removed: breach',
      versions: [
        { columns: cols(['a', 'int'], ['b', 'int']), observedAt: hoursAgo(50) },
        { columns: cols(['a', 'int']), observedAt: hoursAgo(1) },
      ],
      s: sla(),
      expected: 'breach',
      reason: /removed b/,
    },
    {
      name: 'type changed, on_breaking warn: warn',
      versions: [
        { columns: cols(['a', 'int']), observedAt: hoursAgo(50) },
        { columns: cols(['a', 'varchar']), observedAt: hoursAgo(1) },
      ],
      s: sla({ schema: { on_breaking: 'warn' } }),
      expected: 'warn',
      reason: /int → varchar/,
    },
    {
      name: 'a breaking change settles after settle_hours',
      versions: [
        { columns: cols(['a', 'int'], ['b', 'int']), observedAt: hoursAgo(500) },
        { columns: cols(['a', 'int']), observedAt: hoursAgo(200) },
      ],
      s: sla(),
      expected: 'ok',
      reason: /settled/,
    },
  ])('$name', ({ versions, s, expected, reason }) => {
    const r = scoreSchema([output({ versions })], s, NOW)
    expect(r?.status).toBe(expected)
    if (reason) expect(r?.reason).toMatch(reason)
  })

  it('breaches when a required contract is not enforced (contract dropped)', () => {
    const r = scoreSchema(
      [output({ contractEnforced: false })],
      sla({ schema: { require_contract: true } }),
      NOW,
    )
    expect(r?.status).toBe('breach')
  })
})

describe('reliability', () => {
  it.each([
    {
      name: 'declared, never run: warn no data yet',
      runs: [],
      s: sla({ reliability: { window_days: 7 } }),
      expected: 'warn',
    },
    { name: 'not declared, never run: unknown', runs: [], s: sla(), expected: 'unknown' },
    {
      name: 'all succeeded: ok',
      runs: [run('COMPLETE', 1), run('COMPLETE', 25)],
      s: sla(),
      expected: 'ok',
    },
    {
      name: '9 of 10: warn (under 95%, over 80%)',
      runs: [...Array.from({ length: 9 }, (_, i) => run('COMPLETE', i + 1)), run('FAIL', 20)],
      s: sla(),
      expected: 'warn',
    },
    {
      name: 'half failed: breach',
      runs: [run('COMPLETE', 1), run('FAIL', 2)],
      s: sla(),
      expected: 'breach',
    },
    {
      name: 'runs outside the window do not count',
      runs: [run('FAIL', 24 * 10), run('COMPLETE', 1)],
      s: sla(),
      expected: 'ok',
    },
    {
      name: 'running runs do not count',
      runs: [run('RUNNING', 1), run('COMPLETE', 2)],
      s: sla(),
      expected: 'ok',
    },
  ])('$name', ({ runs, s, expected }) => {
    expect(scoreReliability([output({ runs })], s, NOW)?.status).toBe(expected)
  })
})
