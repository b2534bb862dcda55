import { describe, expect, it } from 'vitest'
import { readContracts } from '../../../collectors/contracts/read.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import type { GateReport } from '../../../server/gate/types.ts'
import { demoConfig, goodMesh, readTarget, ROOT, variantDir } from './helpers.ts'

// The gate's contract checks on the variants fixtures/record/build-contract-variants.sh makes from
// a real datacontract-cli import of sales' orders: production's contract vs the pull request's,
// and the build vs the pull request's contract.

const CONTRACTS = `${ROOT}fixtures/gate/contracts`
const read = (v: string) => (v === 'deleted' ? [] : readContracts([`${CONTRACTS}/${v}`]))

async function gate(
  variant: string,
  build = 'unchanged',
  waivers: unknown[] = [],
): Promise<GateReport> {
  const config = demoConfig()
  return evaluateGate({
    current: await readTarget(variantDir(build)),
    baseline: await goodMesh(),
    baselineLabel: 'good',
    config: { ...config, gate: { ...config.gate, waivers: waivers as never } },
    now: new Date('2026-12-01T12:00:00Z'),
    contracts: { baseline: read('baseline'), current: read(variant) },
  })
}
const contractChecks = (r: GateReport) => r.checks.filter((c) => c.category === 'contract')
const failing = (r: GateReport) => contractChecks(r).filter((c) => c.status === 'fail')

describe('gate: data contracts', () => {
  it('passes an unchanged contract and one whose SLA got stronger (latency 1 d → 12 h)', async () => {
    for (const v of ['unchanged', 'strengthened']) {
      const r = await gate(v)
      expect(contractChecks(r).map((c) => [c.id, c.status])).toEqual([
        ['contract:urn:meshwatch-demo:sales:orders', 'pass'],
        ['contract-satisfied:urn:meshwatch-demo:sales:orders', 'pass'],
      ])
    }
  })

  it('fails a weakened SLA property (latency 1 d → 4 d), naming the consumers by domain', async () => {
    const [f, ...rest] = failing(await gate('weakened'))
    expect(rest).toEqual([])
    expect(f?.message).toMatch(
      /SLA property latency weakened from 1 d to 4 d — consumers in finance, marketing/,
    )
    expect(f?.details).toContainEqual(expect.stringMatching(/^consumer: finance: job /))
  })

  it('fails a removed promised column and a narrowed type', async () => {
    expect(failing(await gate('removed'))[0]?.message).toMatch(
      /promised column orders\.channel removed/,
    )
    const narrowed = failing(await gate('narrowed'))
    expect(narrowed[0]?.message).toMatch(
      /column orders\.amount_eur narrowed from decimal\(12,2\) to decimal\(10,2\)/,
    )
  })

  it('fails deleting a contract other domains depend on', async () => {
    const r = await gate('deleted')
    expect(failing(r).map((c) => c.message)).toEqual([
      expect.stringMatching(
        /^contract urn:meshwatch-demo:sales:orders 1\.0\.0: contract deleted — consumers in finance, marketing/,
      ),
    ])
  })

  it('fails a build that does not satisfy its own new contract, and passes the build that does', async () => {
    const r = await gate('unsatisfied')
    expect(failing(r).map((c) => c.id)).toEqual([
      'contract-satisfied:urn:meshwatch-demo:sales:orders',
    ])
    expect(failing(r)[0]?.details).toEqual([
      'unsatisfied: promised column orders.order_week is not in mesh.sales.orders',
    ])
    // the additive build (orders gains order_week) satisfies it
    expect(failing(await gate('unsatisfied', 'additive'))).toEqual([])
  })

  it('lets a waiver accept a contract regression until it expires', async () => {
    const r = await gate('weakened', 'unchanged', [
      {
        check: 'contract',
        target: 'urn:meshwatch-demo:sales:orders',
        reason: 'finance agreed (PR 912)',
        expires: '2027-01-31',
      },
    ])
    expect(contractChecks(r).map((c) => c.status)).toEqual(['waived', 'pass'])
  })
})
