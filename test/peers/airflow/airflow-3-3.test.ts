import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectAirflow } from '../../../collectors/airflow/index.ts'
import { providerRunInfo } from '../../../collectors/airflow/provider-facets.ts'
import { emptyBatch, type Batch } from '../../../collectors/batch.ts'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { openDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import type { Deps } from '../../../server/deps.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { ingestBatch } from '../../../server/ingest.ts'
import { ROOT, USER, type AirflowInstance } from './harness.ts'
import { PARTITION, runScenario, startScenarioAirflow } from './scenario-3-3.ts'
import { sqliteStore } from '../../../db/store.ts'

const VENV = join(ROOT, '.venv-airflow')
const HAVE_AIRFLOW = existsSync(join(VENV, 'bin/airflow'))
const PORT = Number(process.env.MESHWATCH_AIRFLOW_3_3_PORT ?? 28796)

type Event = {
  eventType: string
  eventTime: string
  run: { runId: string; facets?: unknown }
  job: { name: string }
}

describe.skipIf(!HAVE_AIRFLOW)(
  'real Airflow 3.3: partitions, Deadline Alerts, SQL hook lineage',
  () => {
    let af: AirflowInstance
    let batch: Batch
    let lines: string[]
    let events: Event[]

    beforeAll(async () => {
      af = await startScenarioAirflow(VENV, PORT)
      await runScenario(af)
      ;({ batch } = await collectAirflow({ url: af.url, auth: USER }))
      lines = readFileSync(join(af.home, 'openlineage.jsonl'), 'utf8').split('\n').filter(Boolean)
      events = lines.map((l) => JSON.parse(l) as Event)
    })
    afterAll(async () => {
      await af?.stop()
    })

    const facet = (r: Batch['runs'][number]) =>
      (r.facets?.airflow ?? {}) as { dagRunId?: string; partitionKey?: string }

    it('reads the partition of each run over REST, as the provider reports it', () => {
      const run = batch.runs.find(
        (r) => r.job.name === 'orders_hourly' && facet(r).dagRunId === 'manual_partition',
      )
      expect(facet(run!).partitionKey).toBe(PARTITION)
      const fromEvents = events.filter((e) => e.run.runId === run?.runId)
      expect(fromEvents.length).toBeGreaterThan(1)
      for (const e of fromEvents)
        expect(providerRunInfo(e.run.facets)?.partitionKey).toBe(PARTITION)
      const downstream = batch.runs.filter((r) => r.job.name === 'ledger_by_partition')
      expect(downstream.map((r) => facet(r).partitionKey)).toContain(PARTITION)
    })

    it("gives every run the provider's run id", () => {
      const ours = new Set(batch.runs.map((r) => r.runId))
      const providers = new Set(
        events.filter((e) => !e.job.name.includes('.query.')).map((e) => e.run.runId),
      )
      expect([...providers].filter((id) => !ours.has(id))).toEqual([])
    })

    it('names the SQL hook-lineage queries as query jobs under their task', () => {
      const query = events.find((e) => /\.(hll_)?query\.1$/.test(e.job.name))
      const parsed = parseEvent(query)
      expect(parsed.ok && parsed.batch.jobs[0]).toMatchObject({
        name: 'warehouse_sql.refresh_ledger_summary.query.1',
        type: 'airflow_query',
        parent: { name: 'warehouse_sql.refresh_ledger_summary' },
      })
    })

    it('breaches the freshness of what the DAG that missed its deadline writes', async () => {
      const now = new Date(Math.max(...events.map((e) => Date.parse(e.eventTime))) + 60_000)
      const deps: Deps = { store: sqliteStore(openDb(':memory:')), now: () => now }
      await ingestBatch(deps, batch)
      const app = createApp(deps)
      for (const body of lines) {
        const res = await app.request('/api/v1/lineage', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        })
        expect(res.status, await res.clone().text()).toBeLessThan(300)
      }
      const ns = 'postgres://warehouse.internal:5432'
      const products = emptyBatch('airflow', 'test:products')
      products.products = [
        {
          id: 'late',
          name: 'late',
          domain: 'finance',
          origin: 'config',
          outputs: [{ namespace: ns, name: 'finance.ledger.daily' }],
        },
        {
          id: 'on-time',
          name: 'on time',
          domain: 'finance',
          origin: 'config',
          outputs: [{ namespace: ns, name: 'finance.ledger.on_time' }],
        },
      ]
      await ingestBatch(deps, products)
      const evals = new Map(
        (await evaluateProducts(deps, { now, store: false })).evaluations.map((e) => [
          e.productId,
          e,
        ]),
      )
      const freshness = (id: string) =>
        evals.get(id)?.dimensions.find((d) => d.dimension === 'freshness')
      expect(freshness('late')).toMatchObject({ status: 'breach' })
      expect(freshness('late')?.reason).toContain(
        'DAG ledger_deadline missed its deadline "ledger posted within 10 s"',
      )
      // the DAG that met its deadline is not flagged (with no write of its output seen, its freshness
      // is unknown or ok, never a deadline breach)
      expect(['ok', 'unknown']).toContain(freshness('on-time')?.status)
      expect(freshness('on-time')?.reason).not.toMatch(/deadline/)
    })
  },
)
