import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import type { Deps } from '../../server/deps.ts'
import { FIXTURES, loadDemo } from '../../server/demo.ts'
import { evaluateProducts } from '../../server/evaluate.ts'
import { sqliteStore } from '../../db/store.ts'
import { dbOf } from '../store-deps.ts'

// The web pages' API (#20) on the recorded demo mesh: mesh home, domain page, runs, timeline, clock.
const CONFIG = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))
const NOW = new Date('2026-11-25T20:45:00Z')
let app: ReturnType<typeof createApp>
let deps: Deps
const get = async <T>(path: string): Promise<{ status: number; body: T }> => {
  const res = await app.request(path)
  return { status: res.status, body: (await res.json()) as T }
}

beforeAll(async () => {
  deps = { store: sqliteStore(openDb(':memory:')), meshwatch: CONFIG, now: () => NOW }
  await loadDemo(deps)
  await evaluateProducts(deps, {})
  app = createApp(deps)
}, 60_000)

describe('the web pages API on the demo mesh', () => {
  it('tells the page the scoring clock, so relative times agree with the evaluations', async () => {
    const { body } = await get<{ now: string; demo: boolean }>('/api/clock')
    expect(body).toEqual({ now: NOW.toISOString(), demo: true })
  })

  it('gives a tile per domain with product statuses, a trend and the domains it reads from and feeds', async () => {
    type Tile = {
      name: string
      productCounts: Record<string, number>
      trend: { day: string; score: number }[]
      providers: string[]
      consumers: string[]
    }
    const { body } = await get<{ domains: Tile[] }>('/api/domains/overview')
    const sales = body.domains.find((d) => d.name === 'sales')
    expect(body.domains.map((d) => d.name).sort()).toEqual([
      'finance',
      'marketing',
      'product',
      'sales',
    ])
    expect(sales?.consumers).toEqual(expect.arrayContaining(['finance', 'marketing']))
    expect(body.domains.find((d) => d.name === 'finance')?.providers).toContain('sales')
    expect(sales?.trend[0]?.day).toBe('2026-11-25')
    expect(Object.values(sales?.productCounts ?? {}).reduce((a, b) => a + b, 0)).toBeGreaterThan(0)
  })

  it("shows a domain's contacts, products, who consumes what it publishes, and 404 for an unknown one", async () => {
    type Page = {
      contacts: { channel: string | null }
      products: { id: string }[]
      published: { name: string; consumers: { domain: string }[] }[]
      consumes: { provider: string }[]
    }
    const { body } = await get<Page>('/api/domains/sales')
    expect(body.contacts.channel).toMatch(/^#/)
    expect(body.products.length).toBeGreaterThan(0)
    const orders = body.published.find((d) => d.name.endsWith('.orders'))
    expect(orders?.consumers.map((c) => c.domain)).toEqual(expect.arrayContaining(['finance']))
    const finance = await get<Page>('/api/domains/finance')
    expect(finance.body.consumes.map((c) => c.provider)).toContain('sales')
    const unknown = await get<{ error: { code: string } }>('/api/domains/nope')
    expect(unknown.status).toBe(404)
    expect(unknown.body.error.code).toBe('not_found')
  })

  it("lists a product's runs with job, parent (DAG or dbt invocation) and duration", async () => {
    type Runs = {
      runs: { job: { type: string }; parent: { type: string } | null; durationMs: number | null }[]
    }
    const { body } = await get<Runs>('/api/runs?product=sales.orders&limit=50')
    expect(body.runs.some((r) => r.parent?.type === 'airflow_dag')).toBe(true)
    expect(body.runs.some((r) => r.parent?.type === 'dbt_project')).toBe(true)
    expect(body.runs.every((r) => r.durationMs === null || r.durationMs >= 0)).toBe(true)
    expect((await app.request('/api/runs?product=nope')).status).toBe(404)
    expect((await app.request('/api/runs')).status).toBe(400)
  })

  it("lays a task's DAG run out with tries, expected times and the dbt models its Cosmos tasks ran", async () => {
    const { body: runs } = await get<{ runs: { runId: string; job: { type: string } }[] }>(
      '/api/runs?product=sales.orders&limit=50',
    )
    const task = runs.runs.find((r) => r.job.type === 'airflow_task')
    expect(task).toBeDefined()
    type Timeline = {
      run: { job: { type: string } }
      steps: { job: { name: string }; tries: number | null; models: { name: string }[] }[]
      history: unknown[]
    }
    const { body } = await get<Timeline>(`/api/runs/${task?.runId}/timeline`)
    expect(body.run.job.type).toBe('airflow_dag')
    const ordersRun = body.steps.find((s) => s.job.name.endsWith('orders.run'))
    expect(ordersRun?.models.map((m) => m.name)).toEqual(['orders'])
    expect(ordersRun?.tries).toBe(1)
    expect(body.history.length).toBeGreaterThanOrEqual(1)
    expect((await app.request('/api/runs/nope/timeline')).status).toBe(404)
  })

  it('shows the failed task and the skipped one of the bad day in its DAG run', async () => {
    const row = dbOf(deps)
      .$client.prepare(
        "select r.run_id as id from runs r join jobs j on j.id = r.job_id where j.name = 'finance_ledger' and r.state = 'FAIL'",
      )
      .get() as { id: string }
    type Timeline = { steps: { job: { name: string }; state: string; error: string | null }[] }
    const { body } = await get<Timeline>(`/api/runs/${row.id}/timeline`)
    expect(body.steps.map((s) => [s.job.name, s.state])).toEqual([
      ['finance_ledger.load_ledger', 'FAIL'],
      ['finance_ledger.reconcile', 'ABORT'],
    ])
  })
})
