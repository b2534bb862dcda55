import { serve, type ServerType } from '@hono/node-server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readContracts } from '../../../collectors/contracts/read.ts'
import { closeDb, openDb, type Db } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { ingestContracts } from '../../../server/contracts/ingest.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { fetchBaseline } from '../../../server/gate/fetch-baseline.ts'
import type { GateReport } from '../../../server/gate/types.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { demoConfig, goodMesh, readTarget, ROOT, variantDir } from './helpers.ts'
import { sqliteStore } from '../../../db/store.ts'

// `gate --server`: production's contracts are the server's (GET /api/gate/baseline over real HTTP
// on 127.0.0.1), of which the gate compares those of the changed project.

const GATE = `${ROOT}fixtures/gate/contracts`
const FINANCE = `${ROOT}fixtures/contracts/demo/finance-revenue.odcs.yaml`
const NOW = new Date('2026-12-01T12:00:00Z')

let db: Db
let server: ServerType
let url: string

beforeAll(async () => {
  db = openDb(':memory:')
  const deps = { store: sqliteStore(db), now: () => NOW }
  for (const b of await goodMesh()) await ingestBatch(deps, b)
  // sales' orders contract as production has it, and finance's (another project's) beside it
  await ingestContracts(deps, readContracts([`${GATE}/baseline`, FINANCE]))
  server = await new Promise<ServerType>((resolve) => {
    const s = serve({ fetch: createApp(deps).fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(s),
    )
  })
  const address = server.address()
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`
}, 60_000) // the whole demo mesh is ingested first
afterAll(() => {
  server.close()
  closeDb(db)
})

async function gateAgainstServer(variant: string): Promise<GateReport> {
  const fetched = await fetchBaseline(url, 'sales')
  return evaluateGate({
    current: await readTarget(variantDir('unchanged')),
    baseline: fetched.batches,
    baselineLabel: url,
    config: demoConfig(),
    now: NOW,
    contracts: {
      baseline: fetched.contracts ?? [],
      current: variant === 'deleted' ? [] : readContracts([`${GATE}/${variant}`]),
      baselineOfMesh: true,
    },
  })
}
const contractChecks = (r: GateReport) =>
  r.checks.filter((c) => c.category === 'contract').map((c) => [c.id, c.status])

describe('gate --server: baseline contracts from the server', () => {
  it('answers every current contract with the baseline batches', async () => {
    const fetched = await fetchBaseline(url, 'sales')
    expect(fetched.contracts?.map((c) => [c.contract.id, c.contract.version]).sort()).toEqual([
      ['urn:meshwatch-demo:finance:revenue', '2.0.0'],
      ['urn:meshwatch-demo:sales:orders', '1.0.0'],
    ])
  })

  it("fails the PR that weakens the server's contract, naming its consumers by domain", async () => {
    const r = await gateAgainstServer('weakened')
    const failed = r.checks.filter((c) => c.category === 'contract' && c.status === 'fail')
    expect(failed.map((c) => c.message)).toEqual([
      expect.stringMatching(
        /SLA property latency weakened from 1 d to 4 d — consumers in finance, marketing/,
      ),
    ])
  })

  it("passes the unchanged contract and leaves other projects' contracts out", async () => {
    const r = await gateAgainstServer('unchanged')
    expect(contractChecks(r)).toEqual([
      ['contract:urn:meshwatch-demo:sales:orders', 'pass'],
      ['contract-satisfied:urn:meshwatch-demo:sales:orders', 'pass'],
    ])
    expect(r.notes).toContain('1 baseline contract of other projects not compared')
  })

  it('fails deleting the contract the server holds while other domains read orders', async () => {
    const r = await gateAgainstServer('deleted')
    expect(contractChecks(r)).toEqual([['contract:urn:meshwatch-demo:sales:orders', 'fail']])
  })
})
