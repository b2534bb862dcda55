import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SLA,
  resolveSla,
  slaEntries,
  slaWithSources,
  type EffectiveSla,
} from '../../../server/quality/sla.ts'

// resolveSla returns every SLA field typed and defaulted, each value's source beside it.

describe('the effective SLA is typed', () => {
  it('a misspelled field or group does not compile, a wrong value type neither', () => {
    const sla = resolveSla({})
    // These lines are checked by `tsc --noEmit` (test/ is in tsconfig.json): each must be an error.
    // @ts-expect-error grace_minute is not a field of freshness
    expect(sla.freshness.grace_minute).toBeUndefined()
    // @ts-expect-error freshnes is not a group of the SLA
    expect(sla.freshnes).toBeUndefined()
    // @ts-expect-error the sources carry the same fields
    expect(sla.sources.volume.min_row).toBeUndefined()
    // @ts-expect-error a declared SLA is validated the same way
    resolveSla({ product: { tests: { min_pass_rat: 1 } } })
    // @ts-expect-error upstream is off|warn|breach
    resolveSla({ platform: { tests: { upstream: 'sometimes' } } })
  })

  it('a defaulted field is never undefined; a bound without default may be', () => {
    const sla: EffectiveSla = resolveSla({})
    const grace: number = sla.freshness.grace_minutes
    const weight: number = sla.weights.reliability
    const upstream: 'off' | 'warn' | 'breach' = sla.tests.upstream
    const maxAge: number | undefined = sla.freshness.max_age_hours
    expect([grace, weight, upstream, maxAge]).toEqual([60, 10, 'off', undefined])
  })
})

describe('resolveSla', () => {
  it('gives every product the built-in defaults, each from source default', () => {
    const sla = resolveSla({})
    expect(sla.freshness).toEqual(DEFAULT_SLA.freshness)
    expect(sla.tests).toEqual(DEFAULT_SLA.tests)
    expect(sla.volume).toEqual(DEFAULT_SLA.volume)
    expect(sla.schema).toEqual(DEFAULT_SLA.schema)
    expect(sla.reliability).toEqual(DEFAULT_SLA.reliability)
    expect(sla.weights).toEqual(DEFAULT_SLA.weights)
    expect(sla.upstream_depth).toBe(3)
    expect(sla.sources.freshness).toEqual({
      grace_minutes: 'default',
      use_schedule: 'default',
      upstream_sources: 'default',
    })
    expect(sla.sources.upstream_depth).toBe('default')
    expect(sla.declared).toEqual([])
    expect(slaEntries(sla).every(([, v]) => v.source === 'default')).toBe(true)
  })

  it('layers defaults < meshwatch.yml defaults < dbt meta < meshwatch.yml product, per field', () => {
    const sla = resolveSla({
      platform: { freshness: { max_age_hours: 48, grace_minutes: 30 }, upstream_depth: 2 },
      dbtMeta: { freshness: { max_age_hours: 24 }, weights: { tests: 50 } },
      product: { freshness: { warn_age_hours: 12 } },
    })
    expect(sla.freshness).toEqual({
      grace_minutes: 30,
      use_schedule: true,
      upstream_sources: true,
      max_age_hours: 24,
      warn_age_hours: 12,
    })
    expect(sla.sources.freshness).toEqual({
      grace_minutes: 'meshwatch.yml',
      use_schedule: 'default',
      upstream_sources: 'default',
      max_age_hours: 'dbt_meta',
      warn_age_hours: 'meshwatch.yml',
    })
    expect([sla.upstream_depth, sla.sources.upstream_depth]).toEqual([2, 'meshwatch.yml'])
    expect([sla.weights.tests, sla.sources.weights.tests]).toEqual([50, 'dbt_meta'])
    expect([sla.weights.freshness, sla.sources.weights.freshness]).toEqual([30, 'default'])
    // weights are not a dimension: declaring them declares no dimension
    expect(sla.declared).toEqual(['freshness'])
  })

  it('ignores an invalid dbt meta value with a warning, keeping the value below it', () => {
    const sla = resolveSla({
      platform: { volume: { min_rows: 10 } },
      dbtMeta: { volume: { min_rows: -1 }, upstream_depth: 99 },
    })
    expect([sla.volume.min_rows, sla.sources.volume.min_rows]).toEqual([10, 'meshwatch.yml'])
    expect([sla.upstream_depth, sla.sources.upstream_depth]).toEqual([3, 'default'])
    expect(sla.warnings).toEqual([
      expect.stringMatching(/^dbt meta\.meshwatch\.sla\.volume: .*, ignored$/),
      expect.stringMatching(/^dbt meta\.meshwatch\.sla\.upstream_depth: .*, ignored$/),
    ])
  })
})

describe('the SLA with its sources, as the API and `meshwatch check` show it', () => {
  const sla = resolveSla({
    dbtMeta: { freshness: { max_age_hours: 24 } },
    product: { upstream_depth: 5 },
  })

  it('nests each set value with its source under its group', () => {
    const nested = slaWithSources(sla)
    expect(nested.freshness).toEqual({
      grace_minutes: { value: 60, source: 'default' },
      use_schedule: { value: true, source: 'default' },
      upstream_sources: { value: true, source: 'default' },
      max_age_hours: { value: 24, source: 'dbt_meta' },
    })
    expect(nested.upstream_depth).toEqual({ value: 5, source: 'meshwatch.yml' })
    expect(Object.keys(nested)).toEqual([
      'freshness',
      'tests',
      'volume',
      'schema',
      'reliability',
      'upstream_depth',
      'weights',
    ])
    // a field nothing set is left out, as before
    expect('warn_age_hours' in nested.freshness).toBe(false)
  })

  it('lists the same values by dotted path', () => {
    expect(slaEntries(sla).filter(([, v]) => v.source !== 'default')).toEqual([
      ['freshness.max_age_hours', { value: 24, source: 'dbt_meta' }],
      ['upstream_depth', { value: 5, source: 'meshwatch.yml' }],
    ])
  })
})
