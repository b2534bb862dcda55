import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { Batch } from '../../../collectors/batch.ts'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { EMPTY_CONFIG } from '../../../server/config-file.ts'
import { evaluateGate } from '../../../server/gate/evaluate.ts'
import { buildMesh, isForeignCopy } from '../../../server/gate/mesh.ts'
import { regressionsOf, type GateCheck, type GateReport } from '../../../server/gate/types.ts'
import { clone, goodDir, goodMesh, readTarget, ROOT, variantDir } from './helpers.ts'

// dbt-loom injects the public models of an upstream project into each consumer's manifest.
// The gate must judge the changed project's models by its own nodes, never by those copies.

const NOW = new Date('2026-11-26T00:00:00Z')

const gate = (current: Batch, baseline: Batch[]): GateReport =>
  evaluateGate({ current, baseline, baselineLabel: 'test', config: EMPTY_CONFIG, now: NOW })

const breakingOf = (r: GateReport, name: string): GateCheck | undefined =>
  r.checks.find((c) => c.id === `breaking-change:${name}`)

describe('gate: a consumer manifest carrying a copy of the changed model (the demo mesh)', () => {
  it('the finance and marketing baselines carry dbt-loom copies of sales.orders', async () => {
    const finance = await readTarget(goodDir('finance'))
    const copy = finance.datasets.find((d) => d.externalId === 'model.sales.orders')
    expect(copy?.access).toBe('public')
    expect(copy?.columns?.length).toBeGreaterThan(5)
    expect(copy && isForeignCopy(finance, copy)).toBe(true)
    const sales = await readTarget(goodDir('sales'))
    const own = sales.datasets.find((d) => d.externalId === 'model.sales.orders')
    expect(own && isForeignCopy(sales, own)).toBe(false)
  })

  it('fails a pull request that deletes the public model orders, naming its consumers', async () => {
    const report = gate(await readTarget(variantDir('removed')), await goodMesh())
    const check = breakingOf(report, 'mesh.sales.orders')
    expect(check?.status).toBe('fail')
    expect(check?.message).toContain('the model was removed')
    // what the copies say (no contract on a foreign node) must not stand in for the model
    expect(check?.message).not.toContain('contract dropped')
    expect(new Set(check?.consumers?.map((c) => c.domain))).toEqual(
      new Set(['finance', 'marketing', 'sales']),
    )
    expect(check?.location?.file).toBe('models/marts/orders.sql')
  })

  it('fails the deletion whatever order the baseline and mesh dirs come in', async () => {
    const mesh = await goodMesh()
    const current = await readTarget(variantDir('removed'))
    for (const baseline of [mesh, [...mesh].reverse()]) {
      const check = breakingOf(gate(current, baseline), 'mesh.sales.orders')
      expect(check?.message).toContain('the model was removed')
    }
  })

  it('fails a pull request that narrows the access of orders from public to protected', async () => {
    const report = gate(await readTarget(variantDir('narrowed')), await goodMesh())
    const check = breakingOf(report, 'mesh.sales.orders')
    expect(check?.status).toBe('fail')
    expect(check?.message).toContain('access narrowed from public to protected')
    expect(regressionsOf(report).filter((c) => c.category === 'breaking-change')).toHaveLength(1)
  })

  it('a model that only copies describe belongs to no project', async () => {
    const mesh = buildMesh([
      await readTarget(goodDir('finance')),
      await readTarget(variantDir('removed')),
    ])
    const orders = mesh.datasets.get('duckdb://mesh.duckdb\u0000mesh.sales.orders')
    expect(orders?.project).toBeUndefined()
    // and the owner's own view is never mixed with a copy's fields
    const own = buildMesh([
      await readTarget(goodDir('finance')),
      await readTarget(goodDir('sales')),
    ])
    const ordersOwn = own.datasets.get('duckdb://mesh.duckdb\u0000mesh.sales.orders')
    expect(ordersOwn?.project).toBe('dbt:sales')
    expect(ordersOwn?.sourceFile).toBe('models/marts/orders.sql')
    expect(ordersOwn?.contractEnforced).toBe(true)
  })

  it("never takes a consumer copy's columns for the owner's, when the owner's build has none", async () => {
    // a build of sales that says nothing of orders' columns (no catalog, no yml columns): the
    // consumer's copy (columns from finance's catalog) must not stand in for them
    const bare = clone(await readTarget(goodDir('sales')))
    for (const d of bare.datasets) if (d.name === 'mesh.sales.orders') delete d.columns
    const finance = await readTarget(goodDir('finance'))
    expect(finance.datasets.find((d) => d.name === 'mesh.sales.orders')?.columns?.length).toBe(10)
    const mixed = buildMesh([finance, bare]).datasets.get(
      'duckdb://mesh.duckdb\u0000mesh.sales.orders',
    )
    expect(mixed?.project).toBe('dbt:sales')
    expect(mixed?.columns).toBeUndefined()
  })
})

describe('gate: model versions with a dbt-loom consumer (fixtures/gate/versions)', () => {
  const dir = (side: string, p: string) => `${ROOT}fixtures/gate/versions/${side}/${p}/target`

  it('the consumer pins orders v1 and carries copies of both versions', async () => {
    const finance = await readTarget(dir('baseline', 'finance'))
    const copies = finance.datasets.filter((d) => isForeignCopy(finance, d))
    expect(copies.map((d) => d.externalId)).toEqual(
      expect.arrayContaining(['model.sales.orders.v1', 'model.sales.orders.v2']),
    )
  })

  it('fails a pull request that removes version 1, naming the consumer that pins it', async () => {
    const report = gate(await readTarget(dir('current', 'sales')), [
      await readTarget(dir('baseline', 'sales')),
      await readTarget(dir('baseline', 'finance')),
    ])
    const v1 = report.checks.find(
      (c) => c.category === 'breaking-change' && c.targets.includes('model.sales.orders.v1'),
    )
    expect(v1?.status).toBe('fail')
    expect(v1?.message).toContain('version 1 of the model was removed')
    expect(v1?.consumers?.map((c) => c.externalId)).toContain('model.finance.open_receivables')
    const v2 = report.checks.find(
      (c) => c.category === 'breaking-change' && c.targets.includes('model.sales.orders.v2'),
    )
    expect(v2?.status).toBe('pass')
  })
})

// Real dbt-loom manifests of astronomer-cosmos (see ../shared/real/dbt/mesh/SOURCE.txt):
// downstream carries the six public models of upstream. Read only when ../shared exists.
const COSMOS = `${ROOT}../shared/real/dbt/mesh/cosmos_cross_project`
const NS = 'postgres://localhost:5432'
const cosmos = (p: string) => readDbtTarget(`${COSMOS}/${p}/target`, { namespace: NS })

describe.skipIf(!existsSync(COSMOS))('gate on real dbt-loom manifests (astronomer-cosmos)', () => {
  it('fails the deletion of a public model of upstream that downstream carries a copy of', async () => {
    const upstream = await cosmos('upstream')
    const downstream = await cosmos('downstream')
    const current = clone(upstream)
    const name = 'postgres.platform.int_orders_enriched'
    current.datasets = current.datasets.filter((d) => d.name !== name)
    current.edges = current.edges.filter((e) => e.dataset.name !== name)
    expect(downstream.datasets.some((d) => d.name === name)).toBe(true)
    // without the consumer, and with it given as --mesh: the same verdict
    for (const baseline of [[upstream], [upstream, downstream]]) {
      const report = gate(current, baseline)
      const check = breakingOf(report, name)
      expect(check?.status).toBe('fail')
      expect(check?.message).toContain('the model was removed')
      expect(regressionsOf(report).map((c) => c.id)).toEqual([`breaking-change:${name}`])
    }
  })

  it("does not take the consumer's copies for the consumer's own public models", async () => {
    const downstream = await cosmos('downstream')
    for (const baseline of [[downstream], [await cosmos('upstream'), downstream]]) {
      const report = gate(downstream, baseline)
      expect(report.checks.filter((c) => c.category === 'breaking-change')).toEqual([])
    }
  })

  it('each side of a bidirectional pair judges only its own public model', async () => {
    const a = await cosmos('project_a_bidirectional')
    const b = await cosmos('project_b_bidirectional')
    const report = gate(a, [b, a])
    expect(report.checks.filter((c) => c.category === 'breaking-change').map((c) => c.id)).toEqual([
      'breaking-change:postgres.project_a.stg_a_customers',
    ])
    expect(regressionsOf(report)).toEqual([])
  })
})
