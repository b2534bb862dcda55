import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SALES_DBT_MODELS as DBT_MODELS } from '../../../fixtures/airflow/replay.ts'
import { dagRunOlId } from '../../../collectors/airflow/ol-ids.ts'
import { BatchSchema } from '../../../collectors/batch.ts'
import { collectAirflow } from '../../../collectors/airflow/index.ts'
import { startStub, type Stub } from './stub.ts'

const FIXTURES = join(import.meta.dirname, '../../../fixtures/airflow')
const VERSIONS = (['v2', 'v1'] as const).filter((v) => existsSync(join(FIXTURES, v, '_polls.json')))
const AUTH = { username: 'admin', password: 'admin' }

const polls = (v: string): { pageSize: number; cursors: string[] } =>
  JSON.parse(readFileSync(join(FIXTURES, v, '_polls.json'), 'utf8'))

let stub: Stub | undefined
afterEach(async () => {
  await stub?.close()
  stub = undefined
})

describe.each(VERSIONS)('collectAirflow replaying a recorded Airflow (%s)', (version) => {
  const { pageSize, cursors } = polls(version)
  const collect = async (extra: Record<string, unknown> = {}) => {
    stub = await startStub({ dir: join(FIXTURES, version), version })
    return collectAirflow({ url: stub.url, auth: AUTH, pageSize, dbtModels: DBT_MODELS, ...extra })
  }

  it('detects the API version from /version', async () => {
    await collect()
    const probes = stub?.requests.filter((r) => r.path.endsWith('/version')).map((r) => r.path)
    expect(probes).toEqual(
      version === 'v2' ? ['/api/v2/version'] : ['/api/v2/version', '/api/v1/version'],
    )
  })

  it('returns a batch that ingest accepts', async () => {
    const { batch } = await collect()
    expect(() => BatchSchema.parse(batch)).not.toThrow()
    expect(batch.scope).toBe(`airflow:${stub?.url}`)
  })

  it('reads every page of DAGs, runs and task instances to the end', async () => {
    const { batch } = await collect()
    const dagPages = stub?.requests
      .filter((r) => r.path.endsWith('/dags'))
      .map((r) => r.query.get('offset'))
    expect(dagPages).toEqual(['0', '3'])
    const tiPages = stub?.requests.filter((r) => r.path.endsWith('/taskInstances/list')) ?? []
    expect(tiPages.length).toBeGreaterThan(1)
    const dags = batch.jobs.filter((j) => j.type === 'airflow_dag').map((j) => j.name)
    expect(dags.sort()).toEqual([
      'finance_ledger',
      'marketing_campaigns',
      'product_events',
      'sales_daily',
    ])
  })

  it('maps DAGs to domain jobs with schedules and tasks to child jobs named like OpenLineage', async () => {
    const { batch } = await collect()
    const job = (name: string) => batch.jobs.find((j) => j.name === name)
    expect(job('sales_daily')).toMatchObject({
      namespace: 'default',
      type: 'airflow_dag',
      domain: 'sales',
      owner: 'sales-data',
      schedule: { cron: '0 6 * * *', paused: false },
    })
    expect(job('product_events')?.domain).toBe('product')
    expect(job('finance_ledger.load_ledger')).toMatchObject({
      type: 'airflow_task',
      parent: { namespace: 'default', name: 'finance_ledger' },
      domain: 'finance',
      meta: { operator: 'BashOperator', downstreamTaskIds: ['reconcile'] },
    })
    expect(batch.domains.map((d) => d.name)).toEqual(['finance', 'marketing', 'product', 'sales'])
  })

  it('links Cosmos-named tasks to dbt models, with an output edge where an asset names the table', async () => {
    const { batch } = await collect()
    const meta = (name: string) =>
      batch.jobs.find((j) => j.name === `sales_daily.dbt_sales.${name}`)?.meta
    expect(meta('orders.run')?.dbtModels).toEqual(['orders'])
    expect(meta('orders.run')?.outlets).toEqual(['duckdb://mesh.duckdb/mesh/sales/orders'])
    expect(meta('stg_sales__orders_run')?.dbtModels).toEqual(['stg_sales__orders'])
    expect(meta('sales_daily_model_build')).toMatchObject({
      dbtModels: ['sales_daily'],
      dbtCommands: ['build'],
    })
    expect(meta('raw_orders_seed')?.dbtModels).toEqual(['raw_orders'])
    const orders = { namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' }
    expect(batch.edges).toContainEqual({
      job: { namespace: 'default', name: 'sales_daily.dbt_sales.orders.run' },
      dataset: orders,
      direction: 'output',
    })
    expect(batch.edges).not.toContainEqual(
      expect.objectContaining({
        job: { namespace: 'default', name: 'sales_daily.dbt_sales.orders.test' },
      }),
    )
  })

  it('turns assets into cross-DAG lineage: producing task output, consuming DAG input', async () => {
    const { batch } = await collect()
    const orders = { namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' }
    const perf = { namespace: 's3://meshwatch-marketing', name: 'campaign_performance.parquet' }
    expect(batch.datasets).toContainEqual(
      expect.objectContaining({
        ...orders,
        kind: 'asset',
        externalId: 'duckdb://mesh.duckdb/mesh/sales/orders',
        domain: 'sales',
      }),
    )
    expect(batch.edges).toContainEqual({
      job: { namespace: 'default', name: 'finance_ledger' },
      dataset: orders,
      direction: 'input',
    })
    expect(batch.edges).toContainEqual({
      job: { namespace: 'default', name: 'marketing_campaigns.publish_performance' },
      dataset: perf,
      direction: 'output',
    })
    expect(batch.edges).toContainEqual({
      job: { namespace: 'default', name: 'product_events' },
      dataset: perf,
      direction: 'input',
    })
  })

  it('maps DAG runs and task instances, the failing bad-day ledger load included', async () => {
    const { batch } = await collect()
    type Af = { dagRunId?: string; taskId?: string }
    const af = (r: (typeof batch.runs)[number]) => (r.facets?.airflow ?? {}) as Af
    const dagRun = (dag: string, id: string) =>
      batch.runs.find((r) => r.job.name === dag && af(r).dagRunId === id)
    const taskRun = (dag: string, id: string, task: string) =>
      batch.runs.find((r) => r.job.name === `${dag}.${task}` && af(r).dagRunId === id)
    const badDay = dagRun('finance_ledger', 'manual_bad_day')
    expect(badDay).toMatchObject({ state: 'FAIL', job: { name: 'finance_ledger' } })
    expect(taskRun('finance_ledger', 'manual_bad_day', 'load_ledger')).toMatchObject({
      state: 'FAIL',
      parentRunId: badDay?.runId,
      job: { name: 'finance_ledger.load_ledger' },
    })
    expect(taskRun('finance_ledger', 'manual_bad_day', 'reconcile')?.state).toBe('ABORT')
    const sales = dagRun('sales_daily', 'manual_sales')
    expect(sales?.state).toBe('COMPLETE')
    expect(sales?.nominalTime).toBeDefined()
    const scheduled = batch.runs.find(
      (r) =>
        af(r).dagRunId?.startsWith('scheduled__') && r.job.name === 'sales_daily' && !r.parentRunId,
    )
    expect(scheduled?.nominalTime).toMatch(/T06:00:00\.000Z$/)
    // Runs carry the ids the OpenLineage provider gives them (UUIDv7 from the run's date), so the
    // provider's events for them land on the same rows.
    for (const r of [
      badDay,
      sales,
      scheduled,
      taskRun('finance_ledger', 'manual_bad_day', 'load_ledger'),
    ]) {
      expect(r?.runId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      )
    }
    // A scheduled run's id names its logical date: scheduled__<date>.
    const date = af(scheduled ?? batch.runs[0]!).dagRunId?.slice('scheduled__'.length) ?? ''
    expect(scheduled?.runId).toBe(
      dagRunOlId({ namespace: 'default', dagId: 'sales_daily', date, clearNumber: 0 }),
    )
  })

  it('reports import errors as warnings, not failures', async () => {
    const { warnings } = await collect()
    expect(warnings).toContainEqual(
      expect.stringMatching(
        /import error in .*broken_on_purpose\.py: RuntimeError: broken on purpose/,
      ),
    )
  })

  it('returns a cursor and reads only runs changed since it on the next poll', async () => {
    const first = await collect()
    expect(first.cursor).toBe(cursors[0])
    await stub?.close()
    const second = await collect({ cursor: first.cursor })
    const runsQuery = stub?.requests.find((r) => r.path.endsWith('/dags/~/dagRuns'))?.query
    expect(runsQuery?.get('updated_at_gte')).toBe(first.cursor)
    expect(second.cursor).toBe(cursors[1])
    expect(second.cursor >= first.cursor).toBe(true)
  })
})

describe.skipIf(!VERSIONS.includes('v2'))('collectAirflow options', () => {
  it('lets since override the cursor', async () => {
    // nothing changed since then: the runs and events lists come back empty
    const empty = (path: string) =>
      path.endsWith('/dagRuns')
        ? { dag_runs: [], total_entries: 0 }
        : path.endsWith('/taskInstances/list')
          ? { task_instances: [], total_entries: 0 }
          : path.endsWith('/assets/events')
            ? { asset_events: [], total_entries: 0 }
            : undefined
    stub = await startStub({
      dir: join(FIXTURES, 'v2'),
      version: 'v2',
      override: (req, rec) => {
        const body = rec ? undefined : empty(req.path)
        return body ? { status: 200, body } : undefined
      },
    })
    const { cursor } = await collectAirflow({
      url: stub.url,
      auth: AUTH,
      pageSize: 3,
      cursor: '2026-01-01T00:00:00Z',
      since: '2026-02-01T00:00:00Z',
    })
    const q = stub.requests.find((r) => r.path === '/api/v2/dags/~/dagRuns')?.query
    expect(q?.get('updated_at_gte')).toBe('2026-02-01T00:00:00.000Z')
    expect(cursor).toBe('2026-02-01T00:00:00.000Z')
  })

  it('refuses a cursor that is not a time', async () => {
    await expect(
      collectAirflow({ url: 'http://127.0.0.1:9', auth: AUTH, cursor: 'yesterday' }),
    ).rejects.toThrow(/not a date-time: yesterday/)
  })
})
