import type { OutputFacts, ProductFacts, UpstreamFacts } from '../../../server/quality/facts.ts'
import { resolveSla, type Sla } from '../../../server/quality/sla.ts'

export const NOW = new Date('2026-11-25T12:00:00Z')
export const hoursAgo = (h: number): string => new Date(NOW.getTime() - h * 3_600_000).toISOString()

export function output(over: Partial<OutputFacts> = {}): OutputFacts {
  return {
    id: 1,
    namespace: 'duckdb://mesh.duckdb',
    name: 'mesh.sales.orders',
    domain: 'sales',
    kind: 'model',
    access: 'public',
    contractEnforced: true,
    producers: [],
    dags: [],
    runs: [],
    assertions: [],
    volume: [],
    freshness: null,
    writeSignals: [],
    versions: [],
    ...over,
  }
}

export function upstream(over: Partial<UpstreamFacts> = {}): UpstreamFacts {
  return {
    ...output({ id: 2, name: 'mesh.sales_raw.raw_orders', kind: 'source' }),
    depth: 1,
    assertions: [],
    freshness: null,
    ...over,
  }
}

export function product(outputs: OutputFacts[], up: UpstreamFacts[] = []): ProductFacts {
  return {
    id: 'sales.orders',
    name: 'orders',
    domain: 'sales',
    owner: 'x',
    description: 'y',
    outputs,
    upstream: up,
  }
}

/** An effective SLA as if declared in dbt meta. */
export const sla = (declared: Sla = {}) => resolveSla({ dbtMeta: declared })

export const run = (state: string, endedH: number, jobId = 10) => ({
  jobId,
  state,
  startedAt: hoursAgo(endedH + 0.1),
  endedAt: hoursAgo(endedH),
})

export const dag = (
  schedule: { cron?: string; paused?: boolean },
  lastSuccessH: number | null,
) => ({
  id: 99,
  namespace: 'airflow',
  name: 'sales_daily',
  type: 'airflow_dag',
  domain: 'sales',
  owner: 'sales-data',
  parentId: null,
  schedule,
  lastSuccessAt: lastSuccessH === null ? null : hoursAgo(lastSuccessH),
})
