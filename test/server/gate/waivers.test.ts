import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../server/config-file.ts'
import { gateSettingsOf } from '../../../server/gate/evaluate.ts'
import type { GateCheck } from '../../../server/gate/types.ts'
import { applyWaivers, expiredWaivers } from '../../../server/gate/waivers.ts'

const YML = `
gate:
  max_score_drop: 7
  fail_on: breach
  waivers:
    - check: breaking-change
      target: mesh.sales.orders
      reason: finance and marketing migrated off channel in PR 812
      expires: 2026-12-31
    - check: tests
      reason: flaky upstream feed, ticket DATA-77
      expires: 2026-01-01
`
const NOW = new Date('2026-11-26T12:00:00Z')

const check = (over: Partial<GateCheck>): GateCheck => ({
  id: 'x',
  category: 'breaking-change',
  name: 'n',
  status: 'fail',
  message: 'm',
  details: [],
  targets: ['mesh.sales.orders'],
  ...over,
})

describe('gate settings and waivers from meshwatch.yml', () => {
  const settings = gateSettingsOf(parseConfig(YML, 'meshwatch.yml'))

  it('reads thresholds and waivers', () => {
    expect(settings).toMatchObject({ maxScoreDrop: 7, failOn: 'breach' })
    expect(settings.waivers).toHaveLength(2)
  })

  it('defaults when the gate section is absent', () => {
    expect(gateSettingsOf(parseConfig('version: 1\n', 'm.yml'))).toEqual({
      maxScoreDrop: 5,
      failOn: 'warn',
      waivers: [],
    })
  })

  it.each([
    { name: 'an active waiver on the target waives it', c: check({}), expected: 'waived' },
    {
      name: 'another target stays failed',
      c: check({ targets: ['mesh.sales.customers'] }),
      expected: 'fail',
    },
    {
      name: 'an expired waiver no longer applies',
      c: check({ category: 'tests', targets: ['t'] }),
      expected: 'fail',
    },
    { name: 'a passing check is left alone', c: check({ status: 'pass' }), expected: 'pass' },
  ])('$name', ({ c, expected }) => {
    const [out] = applyWaivers([c], settings.waivers, NOW)
    expect(out?.status).toBe(expected)
    if (expected === 'waived')
      expect(out?.waiver).toEqual({
        reason: 'finance and marketing migrated off channel in PR 812',
        expires: '2026-12-31',
      })
  })

  it('lists expired waivers', () => {
    expect(expiredWaivers(settings.waivers, NOW).map((w) => w.check)).toEqual(['tests'])
  })

  it('rejects a waiver without a reason, naming the line', () => {
    expect(() =>
      parseConfig(
        'gate:\n  waivers:\n    - check: tests\n      expires: 2026-12-31\n',
        'meshwatch.yml',
      ),
    ).toThrow(/meshwatch.yml:3:\d+: gate.waivers\[0\].reason/)
  })
})
