import { describe, expect, it } from 'vitest'
import { NOW, rowCounts } from './helpers.ts'
import {
  datasetRow,
  datasetState,
  DEMO_NS,
  demoApp,
  FINANCE_JOB,
  FINANCE_REVENUE,
  JOB_NS,
  runOf,
  SALES_DAILY,
  SALES_ORDERS,
  salesRun,
} from './demo-store.ts'

// Issue 14, items 1-3: what a finance ingest token could write of sales' on a demo store.
// Each attack goes through the real HTTP API and must be refused whole: 403 naming the resource,
// its owner and the JSON path of the field that named it, and not one row written.

type ErrorJson = { error: { code: string; message: string; path?: string } }

const T = NOW.toISOString()
/** A facet as the spec wants it: every facet names its producer and schema. */
const facet = (body: Record<string, unknown>) => ({
  _producer: 'https://github.com/meshwatch/test',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/Facet.json',
  ...body,
})

const olEvent = (extra: Record<string, unknown> = {}) => ({
  eventType: 'COMPLETE',
  eventTime: T,
  producer: 'https://github.com/meshwatch/test',
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  run: { runId: '01900000-0000-7000-8000-000000000001' },
  job: { namespace: JOB_NS, name: 'finance.attack' },
  inputs: [],
  outputs: [],
  ...extra,
})

async function refused(res: Response, path: string, resource: string, owner: string) {
  const body = (await res.json()) as ErrorJson
  expect(res.status, JSON.stringify(body)).toBe(403)
  expect(body.error.code).toBe('forbidden')
  expect(body.error.path).toBe(path)
  expect(body.error.message).toContain(resource)
  expect(body.error.message).toContain(`domain ${owner}`)
}

describe('aliases are writes to the dataset they resolve to', () => {
  it('refuses an OpenLineage output whose symlinks facet names another domain’s dataset', async () => {
    const { db, post, finance } = await demoApp()
    const before = rowCounts(db)
    const orders = datasetState(db, SALES_ORDERS)
    const event = olEvent({
      outputs: [
        {
          namespace: DEMO_NS,
          name: 'mesh.finance.x',
          facets: {
            schema: facet({ fields: [{ name: 'pwned', type: 'int' }] }),
            symlinks: facet({
              identifiers: [{ namespace: DEMO_NS, name: 'mesh.sales.orders', type: 'TABLE' }],
            }),
          },
          outputFacets: { outputStatistics: facet({ rowCount: 0 }) },
        },
      ],
    })
    await refused(
      await post('/api/v1/lineage', event, finance),
      '$.outputs[0].facets.symlinks.identifiers[0]',
      'dataset duckdb://mesh.duckdb mesh.sales.orders',
      'sales',
    )
    await refused(
      await post(
        '/api/v1/lineage/batch',
        [olEvent({ run: { runId: '01900000-0000-7000-8000-000000000002' } }), event],
        finance,
      ),
      '$[1].outputs[0].facets.symlinks.identifiers[0]',
      'dataset duckdb://mesh.duckdb mesh.sales.orders',
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
    expect(datasetState(db, SALES_ORDERS)).toEqual(orders)
  })

  it('refuses /api/batches datasets[].aliases naming another domain’s dataset', async () => {
    const { db, post, finance } = await demoApp()
    const before = rowCounts(db)
    const daily = datasetState(db, SALES_DAILY)
    const x = { namespace: DEMO_NS, name: 'mesh.finance.x' }
    const batch = {
      kind: 'dbt',
      scope: 'attack',
      datasets: [{ ...x, domain: 'finance', aliases: [SALES_DAILY] }],
      assertions: [
        {
          key: 'k',
          dataset: x,
          name: 'n',
          status: 'fail',
          severity: 'error',
          observedAt: T,
          origin: 'dbt',
        },
      ],
    }
    await refused(
      await post('/api/batches', batch, finance),
      '$.datasets[0].aliases[0]',
      'dataset duckdb://mesh.duckdb mesh.sales.sales_daily',
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
    expect(datasetState(db, SALES_DAILY)).toEqual(daily)
  })

  it('refuses an alias that names another domain’s dataset through one of its aliases', async () => {
    const { db, post, finance, sales } = await demoApp()
    const wh = { namespace: 'postgres://wh', name: 'sales.orders' }
    const own = {
      kind: 'dbt',
      scope: 'sales-alias',
      datasets: [{ ...SALES_ORDERS, aliases: [wh] }],
    }
    expect((await post('/api/batches', own, sales)).status).toBe(201)
    const before = rowCounts(db)
    const batch = {
      kind: 'dbt',
      scope: 'attack',
      datasets: [{ namespace: DEMO_NS, name: 'mesh.finance.y', aliases: [wh] }],
    }
    await refused(
      await post('/api/batches', batch, finance),
      '$.datasets[0].aliases[0]',
      'postgres://wh sales.orders',
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
  })

  it('lets a domain alias its own and unowned datasets', async () => {
    const { db, post, finance } = await demoApp()
    const wh = { namespace: 'postgres://wh', name: 'finance.revenue_daily' }
    const batch = {
      kind: 'dbt',
      scope: 'finance-alias',
      datasets: [
        { ...FINANCE_REVENUE, aliases: [wh, { namespace: 's3://scratch', name: 'unowned.csv' }] },
      ],
    }
    expect((await post('/api/batches', batch, finance)).status).toBe(201)
    expect(datasetState(db, FINANCE_REVENUE).aliases).toHaveLength(2)
  })
})

describe('a stored run belongs to its job’s domain', () => {
  it.each([
    { name: 'a finance job', job: FINANCE_JOB },
    { name: 'an unowned job', job: { namespace: JOB_NS, name: 'finance.new_job' } },
  ])('refuses an OpenLineage event reusing a sales run id under $name', async ({ job }) => {
    const { db, post, finance } = await demoApp()
    const run = salesRun(db)
    const before = rowCounts(db)
    const event = olEvent({ eventType: 'FAIL', run: { runId: run.runId }, job })
    await refused(
      await post('/api/v1/lineage', event, finance),
      '$.run.runId',
      `run ${run.runId}`,
      'sales',
    )
    await refused(
      await post('/api/v1/lineage/batch', [event], finance),
      '$[0].run.runId',
      `run ${run.runId}`,
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
    expect(runOf(db, run.runId)).toEqual({ state: run.state, job: run.job, domain: 'sales' })
  })

  it('refuses a batch run reusing a sales run id under a finance job', async () => {
    const { db, post, finance } = await demoApp()
    const run = salesRun(db)
    const before = rowCounts(db)
    const batch = {
      kind: 'dbt',
      scope: 'attack',
      runs: [{ runId: run.runId, job: FINANCE_JOB, state: 'FAIL' }],
    }
    await refused(
      await post('/api/batches', batch, finance),
      '$.runs[0].runId',
      `run ${run.runId}`,
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
    expect(runOf(db, run.runId)).toEqual({ state: run.state, job: run.job, domain: 'sales' })
  })

  it('still lets a domain report on its own runs', async () => {
    const { db, post, sales } = await demoApp()
    const run = salesRun(db)
    const event = olEvent({
      eventType: 'FAIL',
      run: { runId: run.runId },
      job: { namespace: JOB_NS, name: run.job },
    })
    expect((await post('/api/v1/lineage', event, sales)).status).toBe(201)
    expect(runOf(db, run.runId)).toEqual({ state: 'FAIL', job: run.job, domain: 'sales' })
  })
})

describe('check keys belong to the owner of the stored check’s dataset', () => {
  const SALES_KEY = 'test.sales.unique_orders_order_id.fed79b3a6e'

  it('refuses a batch check reusing a sales dbt test key on a finance dataset', async () => {
    const { db, post, finance } = await demoApp()
    const before = rowCounts(db)
    const orders = datasetState(db, SALES_ORDERS)
    const batch = {
      kind: 'dbt',
      scope: 'attack',
      checks: [
        {
          key: SALES_KEY,
          dataset: FINANCE_REVENUE,
          kind: 'unique',
          name: 'x',
          severity: 'error',
          origin: 'dbt',
        },
      ],
    }
    await refused(
      await post('/api/batches', batch, finance),
      '$.checks[0].key',
      `check ${SALES_KEY}`,
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
    expect(datasetState(db, SALES_ORDERS)).toEqual(orders)
  })

  it('refuses a test result filed under a sales check’s key', async () => {
    const { db, post, finance } = await demoApp()
    const before = rowCounts(db)
    const batch = {
      kind: 'dbt',
      scope: 'attack',
      assertions: [
        {
          key: SALES_KEY,
          dataset: FINANCE_REVENUE,
          name: 'x',
          status: 'fail',
          severity: 'error',
          observedAt: T,
          origin: 'dbt',
        },
      ],
    }
    await refused(
      await post('/api/batches', batch, finance),
      '$.assertions[0].key',
      `check ${SALES_KEY}`,
      'sales',
    )
    expect(rowCounts(db)).toEqual(before)
  })

  it('does not re-key sales’ earlier OpenLineage results onto a finance check of the same name', async () => {
    const { db, post, finance, admin } = await demoApp()
    // A test only sales' dbt-ol run reported so far, on sales' orders.
    const event = olEvent({
      job: {
        namespace: JOB_NS,
        name: 'mesh.sales.sales.orders.test',
        facets: {
          jobType: facet({ integration: 'DBT', jobType: 'TEST', processingType: 'BATCH' }),
        },
      },
      inputs: [
        {
          ...SALES_ORDERS,
          inputFacets: {
            dataQualityAssertions: facet({
              assertions: [{ assertion: 'custom', name: 'only_sales_has_this', success: false }],
            }),
          },
        },
      ],
    })
    expect((await post('/api/v1/lineage', event, admin)).status).toBe(201)
    const orders = datasetState(db, SALES_ORDERS)
    const olResults = (orders.assertions as { key: string }[]).filter((a) =>
      a.key.includes('only_sales_has_this'),
    )
    expect(olResults).toHaveLength(1)
    const batch = {
      kind: 'dbt',
      scope: 'finance-check',
      checks: [
        {
          key: 'test.finance.only',
          dataset: FINANCE_REVENUE,
          kind: 'singular',
          name: 'only_sales_has_this',
          severity: 'error',
          origin: 'dbt',
        },
      ],
    }
    expect((await post('/api/batches', batch, finance)).status).toBe(201)
    expect(datasetState(db, SALES_ORDERS).assertions).toEqual(orders.assertions)
    const moved = (datasetState(db, FINANCE_REVENUE).assertions as { key: string }[]).filter(
      (a) => a.key === 'test.finance.only',
    )
    expect(moved).toEqual([])
  })

  it('does not file a finance OpenLineage result under a sales check that shares its name', async () => {
    const { db, post, finance } = await demoApp()
    const orders = datasetState(db, SALES_ORDERS)
    // assert_paid_orders_have_positive_amount is a singular sales test: its name is unique.
    const event = olEvent({
      job: {
        namespace: JOB_NS,
        name: 'mesh.finance.finance.revenue_daily.test',
        facets: {
          jobType: facet({ integration: 'DBT', jobType: 'TEST', processingType: 'BATCH' }),
        },
      },
      inputs: [
        {
          ...FINANCE_REVENUE,
          inputFacets: {
            dataQualityAssertions: facet({
              assertions: [
                {
                  assertion: 'singular',
                  name: 'assert_paid_orders_have_positive_amount',
                  success: false,
                },
              ],
            }),
          },
        },
      ],
    })
    expect((await post('/api/v1/lineage', event, finance)).status).toBe(201)
    expect(datasetState(db, SALES_ORDERS).assertions).toEqual(orders.assertions)
    const mine = datasetState(db, FINANCE_REVENUE).assertions as { key: string; status: string }[]
    expect(mine.map((a) => a.status)).toContain('fail')
    expect(mine.every((a) => !a.key.startsWith('test.sales.'))).toBe(true)
    expect(datasetRow(db, SALES_ORDERS)?.domain).toBe('sales')
  })
})
