import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import type { Batch } from '../../../collectors/batch.ts'
import { readContracts } from '../../../collectors/contracts/read.ts'
import type { ContractDoc } from '../../../collectors/contracts/schema.ts'
import { closeDb, openDb, type Db } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import type { MeshwatchConfig } from '../../../server/config-file.ts'
import type { Deps } from '../../../server/deps.ts'
import { createEvaluator } from '../../../server/evaluate.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import type { GateReport, ProductScore } from '../../../server/gate/types.ts'
import { demoConfig, DOMAINS, goodMesh, readTarget, ROOT, variantDir } from './helpers.ts'
import { sqliteStore } from '../../../db/store.ts'

// The gate scores each product with the server's store, loaders and evaluators: for the same
// artifacts, every product's score and status in the gate's report is what `serve` reports.

const NOW = new Date('2026-11-26T00:00:00Z')
const badDir = (p: string) => `${ROOT}fixtures/dbt/bad/${p}/target`
const versionsDir = (side: string, p: string) => `${ROOT}fixtures/gate/versions/${side}/${p}/target`

/** The demo config, plus a product only meshwatch.yml declares (serve scores those too). */
const config = (): MeshwatchConfig => {
  const demo = demoConfig()
  return {
    ...demo,
    products: {
      ...demo.products,
      'finance.orders_feed': {
        name: 'Orders feed',
        domain: 'finance',
        outputs: ['mesh.sales.orders'],
      },
    },
  }
}

const stops: (() => void)[] = []
afterAll(() => stops.forEach((stop) => stop()))

/**
 * A server wired as main.ts wires `serve` (its evaluator's afterWrite in the app's deps, the
 * evaluator started), the batches pushed to POST /api/batches (what `collect dbt --server`
 * sends); each product is then asked for at the clock the gate scored it at.
 */
async function serve(
  batches: readonly Batch[],
  cfg: MeshwatchConfig,
  contracts: ContractDoc[] = [],
) {
  const db: Db = openDb(':memory:')
  let clock = NOW
  const store: Deps = { store: sqliteStore(db), meshwatch: cfg, now: () => clock }
  const evaluator = createEvaluator(store)
  const deps: Deps = { ...store, afterWrite: evaluator.afterWrite }
  const stop = evaluator.start(3_600_000)
  stops.push(() => {
    stop()
    closeDb(db)
  })
  const app = createApp(deps)
  for (const b of batches) {
    const res = await app.request('/api/batches', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(b),
    })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
  }
  if (contracts.length > 0) {
    // what `collect contracts --server` posts: each file's name and text
    const res = await app.request('/api/contracts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        contracts: contracts.map((d) => ({ file: d.file, text: readFileSync(d.file, 'utf8') })),
      }),
    })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
  }
  return async (productId: string, at: string): Promise<Omit<ProductScore, 'evaluatedAt'>> => {
    clock = new Date(at)
    const res = await app.request(`/api/products/${encodeURIComponent(productId)}/root-cause`)
    expect(res.status).toBe(200)
    const body = (await res.json()) as { score: number | null; status: ProductScore['status'] }
    return { score: body.score, status: body.status }
  }
}

// readTarget hands out one Batch object per directory, so the same batches are the same objects.
const batchIds = new WeakMap<Batch, number>()
let nextId = 0
const idOf = (b: Batch): number => {
  if (!batchIds.has(b)) batchIds.set(b, nextId++)
  return batchIds.get(b) ?? -1
}
const servedBaselines = new Map<string, ReturnType<typeof serve>>()

/**
 * serve() of a baseline, once per file: most cases share the good day, and what they ask of it
 * (GET root-cause, evaluated with store: false) writes nothing.
 */
function serveBaseline(baseline: readonly Batch[], cfg: MeshwatchConfig) {
  const key = baseline.map(idOf).join()
  const hit = servedBaselines.get(key) ?? serve(baseline, cfg)
  servedBaselines.set(key, hit)
  return hit
}

/** Every product-score check's two sides next to what serve reports for the same batches. */
async function compare(
  report: GateReport,
  baseline: readonly Batch[],
  current: Batch,
  contracts: { baseline: ContractDoc[]; current: ContractDoc[] } = { baseline: [], current: [] },
) {
  const cfg = config()
  const before =
    contracts.baseline.length === 0
      ? await serveBaseline(baseline, cfg)
      : await serve(baseline, cfg, contracts.baseline)
  const after = await serve([...baseline, current], cfg, [
    ...contracts.baseline,
    ...contracts.current,
  ])
  const gate: Record<string, unknown> = {}
  const served: Record<string, unknown> = {}
  for (const c of report.checks) {
    if (c.category !== 'product-score' || !c.scores) continue
    const id = c.targets[0] ?? ''
    const { before: b, after: a } = c.scores
    gate[id] = { before: [b.score, b.status], after: [a.score, a.status] }
    const sb = await before(id, b.evaluatedAt)
    const sa = await after(id, a.evaluatedAt)
    served[id] = { before: [sb.score, sb.status], after: [sa.score, sa.status] }
  }
  return { gate, served }
}

const gate = (
  current: Batch,
  baseline: Batch[],
  contracts?: { baseline: ContractDoc[]; current: ContractDoc[] },
) =>
  evaluateGate({ current, baseline, baselineLabel: 'test', config: config(), now: NOW, contracts })

const productChecks = (r: GateReport) => r.checks.filter((c) => c.category === 'product-score')

describe('gate scores = serve scores, product by product, on the same artifacts', () => {
  it.each(DOMAINS)('the demo mesh: the bad day of %s against the good day', async (p) => {
    const baseline = await goodMesh()
    const current = await readTarget(badDir(p))
    const report = gate(current, baseline)
    // every product of the mesh, and the one meshwatch.yml declares
    expect(productChecks(report).map((c) => c.targets[0])).toEqual(
      expect.arrayContaining(['sales.orders', 'finance.revenue', 'finance.orders_feed']),
    )
    expect(productChecks(report).length).toBeGreaterThanOrEqual(10)
    const { gate: g, served } = await compare(report, baseline, current)
    expect(g).toEqual(served)
  })

  it('the demo mesh: a day rebuilt as it was', async () => {
    const baseline = await goodMesh()
    const current = await readTarget(`${ROOT}fixtures/dbt/good/sales/target`)
    const { gate: g, served } = await compare(gate(current, baseline), baseline, current)
    expect(Object.keys(g).length).toBeGreaterThanOrEqual(10)
    expect(g).toEqual(served)
  })

  it.each(['unchanged', 'additive', 'breaking', 'removed', 'narrowed'])(
    'the gate variant %s against the good day',
    async (variant) => {
      const baseline = await goodMesh()
      const current = await readTarget(variantDir(variant))
      const report = gate(current, baseline)
      const { gate: g, served } = await compare(report, baseline, current)
      expect(Object.keys(g).length).toBeGreaterThanOrEqual(9)
      expect(g).toEqual(served)
    },
  )

  describe('with the demo contracts (fixtures/contracts/demo) collected on both sides', () => {
    const demo = () => readContracts([`${ROOT}fixtures/contracts/demo`])
    const scores = (r: GateReport) =>
      Object.fromEntries(productChecks(r).map((c) => [c.targets[0], c.scores]))

    it.each(DOMAINS)('the bad day of %s against the good day', async (p) => {
      const baseline = await goodMesh()
      const current = await readTarget(badDir(p))
      const contracts = { baseline: demo(), current: demo() }
      const report = gate(current, baseline, contracts)
      const { gate: g, served } = await compare(report, baseline, current, contracts)
      expect(Object.keys(g).length).toBeGreaterThanOrEqual(10)
      expect(g).toEqual(served)
      // the contracts are scored: some product is judged otherwise than without them
      expect(scores(report)).not.toEqual(scores(gate(current, baseline)))
    })

    it("a PR that changes sales' orders contract (latency 1 d → 4 d)", async () => {
      const baseline = await goodMesh()
      const current = await readTarget(variantDir('unchanged'))
      const contracts = {
        baseline: demo(),
        current: readContracts([`${ROOT}fixtures/gate/contracts/weakened`]),
      }
      const report = gate(current, baseline, contracts)
      const { gate: g, served } = await compare(report, baseline, current, contracts)
      expect(Object.keys(g).length).toBeGreaterThanOrEqual(9)
      expect(g).toEqual(served)
    })
  })

  it('does not score a product the change removed (the store keeps its row, as the server does)', async () => {
    const report = gate(await readTarget(variantDir('removed')), await goodMesh())
    const ids = productChecks(report).map((c) => c.targets[0])
    expect(ids).not.toContain('sales.orders')
    expect(ids).toContain('sales.exposure.sales_kpi_dashboard')
  })

  it('the gate variant versions (its own mesh)', async () => {
    const baseline = [
      await readTarget(versionsDir('baseline', 'sales')),
      await readTarget(versionsDir('baseline', 'finance')),
    ]
    const current = await readTarget(versionsDir('current', 'sales'))
    const { gate: g, served } = await compare(gate(current, baseline), baseline, current)
    expect(Object.keys(g).length).toBeGreaterThanOrEqual(3)
    expect(g).toEqual(served)
  })

  it('the breaking variant drops the scores serve drops, at the clock of each build', async () => {
    const report = gate(await readTarget(variantDir('breaking')), await goodMesh())
    const orders = report.checks.find((c) => c.id === 'product-score:sales.orders')
    expect(orders?.status).toBe('fail')
    expect(orders?.scores?.after.status).toBe('breach')
    // sales' products are judged at the pull request's build, finance's at production's
    const revenue = report.checks.find((c) => c.id === 'product-score:finance.revenue')
    expect(orders?.scores?.after.evaluatedAt).not.toBe(orders?.scores?.before.evaluatedAt)
    expect(revenue?.scores?.after.evaluatedAt).toBe(revenue?.scores?.before.evaluatedAt)
  })
})
