import { describe, expect, it } from 'vitest'
import { NOW, rowCounts } from './helpers.ts'
import {
  datasetState,
  DEMO_NS,
  demoApp,
  FINANCE_JOB,
  FINANCE_REVENUE,
  JOB_NS,
  runOf,
  SALES_ORDERS,
  salesRun,
} from './demo-store.ts'

// Issue 14's review: every field of a batch or an OpenLineage event that names an existing row is
// a write to that row's owner. One case per write path: a finance ingest token naming a sales row
// there is refused (403 naming the row, domain sales and the field's path) and writes nothing.

type ErrorJson = { error: { code: string; message: string; path?: string } }
const T = NOW.toISOString()
const FACET = {
  _producer: 'https://github.com/meshwatch/test',
  _schemaURL: 'https://openlineage.io/spec/facets/1-0-0/Facet.json',
}
const SALES_JOB = { namespace: JOB_NS, name: 'mesh.sales.sales.orders' }
const SALES_PROJECT_JOB = { namespace: JOB_NS, name: 'dbt-run-sales' }
const FIN_X = { namespace: DEMO_NS, name: 'mesh.finance.x' }

type Db = Parameters<typeof salesRun>[0]
type Case = {
  name: string
  path: string
  names: string | ((db: Db) => string)
  body: (db: Db) => Record<string, unknown>
}

const batch = (parts: Record<string, unknown>) => ({
  kind: 'dbt',
  scope: 'finance-attack',
  ...parts,
})
const runRef = (db: Db) => salesRun(db).runId

const BATCH_CASES: Case[] = [
  {
    name: 'datasets[]',
    path: '$.datasets[0]',
    names: 'dataset duckdb://mesh.duckdb mesh.sales.orders',
    body: () => batch({ datasets: [{ ...SALES_ORDERS, description: 'x' }] }),
  },
  {
    name: 'datasets[].aliases',
    path: '$.datasets[0].aliases[0]',
    names: 'mesh.sales.orders',
    body: () => batch({ datasets: [{ ...FIN_X, aliases: [SALES_ORDERS] }] }),
  },
  {
    name: 'jobs[]',
    path: '$.jobs[0]',
    names: 'job meshwatch-demo mesh.sales.sales.orders',
    body: () => batch({ jobs: [{ ...SALES_JOB, type: 'dbt_model', description: 'x' }] }),
  },
  {
    name: 'runs[].job',
    path: '$.runs[0].job',
    names: 'job meshwatch-demo mesh.sales.sales.orders',
    body: () => batch({ runs: [{ runId: 'new-run', job: SALES_JOB, state: 'FAIL' }] }),
  },
  {
    name: 'edges[].job',
    path: '$.edges[0].job',
    names: 'job meshwatch-demo mesh.sales.sales.orders',
    body: () => batch({ edges: [{ job: SALES_JOB, dataset: FIN_X, direction: 'output' }] }),
  },
  {
    name: 'edges[].dataset (output)',
    path: '$.edges[0].dataset',
    names: 'mesh.sales.orders',
    body: () =>
      batch({ edges: [{ job: FINANCE_JOB, dataset: SALES_ORDERS, direction: 'output' }] }),
  },
  {
    name: 'columnEdges[].dataset',
    path: '$.columnEdges[0].dataset',
    names: 'mesh.sales.orders',
    body: () =>
      batch({
        columnEdges: [
          {
            dataset: SALES_ORDERS,
            column: 'order_id',
            from: FINANCE_REVENUE,
            fromColumn: 'revenue_date',
          },
        ],
      }),
  },
  {
    // "unchanged": keep the stored column lineage of a dataset: a write to it like its edges
    name: 'columnLineageInputs[].dataset',
    path: '$.columnLineageInputs[0].dataset',
    names: 'mesh.sales.orders',
    body: () =>
      batch({
        columnLineageInputs: [
          { dataset: SALES_ORDERS, hash: 'h', columns: ['order_id'], unchanged: true },
        ],
      }),
  },
  {
    name: 'checks[].dataset',
    path: '$.checks[0].dataset',
    names: 'mesh.sales.orders',
    body: () =>
      batch({
        checks: [
          {
            key: 'finance.new',
            dataset: SALES_ORDERS,
            kind: 'unique',
            name: 'n',
            severity: 'error',
            origin: 'dbt',
          },
        ],
      }),
  },
  {
    name: 'assertions[].dataset',
    path: '$.assertions[0].dataset',
    names: 'mesh.sales.orders',
    body: () =>
      batch({
        assertions: [
          {
            key: 'finance.k',
            dataset: SALES_ORDERS,
            name: 'n',
            status: 'fail',
            severity: 'error',
            observedAt: T,
            origin: 'dbt',
          },
        ],
      }),
  },
  {
    name: 'metrics[].dataset',
    path: '$.metrics[0].dataset',
    names: 'mesh.sales.orders',
    body: () =>
      batch({ metrics: [{ dataset: SALES_ORDERS, name: 'row_count', value: 0, observedAt: T }] }),
  },
  {
    name: 'products[]',
    path: '$.products[0]',
    names: 'product sales.orders',
    body: () =>
      batch({
        products: [
          { id: 'sales.orders', name: 'x', domain: 'finance', origin: 'config', outputs: [] },
        ],
      }),
  },
  {
    name: 'products[].outputs',
    path: '$.products[0].outputs[0]',
    names: 'mesh.sales.orders',
    body: () =>
      batch({
        products: [
          {
            id: 'finance.new',
            name: 'x',
            domain: 'finance',
            origin: 'config',
            outputs: [SALES_ORDERS],
          },
        ],
      }),
  },
  {
    name: 'domains[]',
    path: '$.domains[0]',
    names: 'domain sales',
    body: () => batch({ domains: [{ name: 'sales', owner: 'mallory' }] }),
  },
  {
    name: 'jobs[].parent',
    path: '$.jobs[0].parent',
    names: 'job meshwatch-demo dbt-run-sales',
    body: () =>
      batch({
        jobs: [
          { namespace: JOB_NS, name: 'finance.child', type: 'job', parent: SALES_PROJECT_JOB },
        ],
      }),
  },
]

describe('every /api/batches field naming a row is a write to its owner', () => {
  it.each(BATCH_CASES)(
    '$name naming a sales row is refused, writing nothing',
    async ({ body, path, names }) => {
      const { db, post, finance } = await demoApp()
      const before = rowCounts(db)
      const res = await post('/api/batches', body(db), finance)
      const json = (await res.json()) as ErrorJson
      expect(res.status, JSON.stringify(json)).toBe(403)
      expect(json.error).toMatchObject({ code: 'forbidden', path })
      expect(json.error.message).toContain(names)
      expect(json.error.message).toContain('domain sales')
      expect(rowCounts(db)).toEqual(before)
    },
  )

  it('runs[].parentRunId naming a sales run is refused', async () => {
    const { db, post, finance } = await demoApp()
    const parent = runRef(db)
    const before = rowCounts(db)
    const res = await post(
      '/api/batches',
      batch({
        runs: [{ runId: 'finance-run', job: FINANCE_JOB, state: 'COMPLETE', parentRunId: parent }],
      }),
      finance,
    )
    const json = (await res.json()) as ErrorJson
    expect(res.status, JSON.stringify(json)).toBe(403)
    expect(json.error).toMatchObject({
      path: '$.runs[0].parentRunId',
      message: expect.stringContaining(`run ${parent} belongs to domain sales`),
    })
    expect(rowCounts(db)).toEqual(before)
  })

  it.each([
    {
      field: 'assertions[].runId',
      path: '$.assertions[0].runId',
      parts: (run: string) => ({
        assertions: [
          {
            dataset: FINANCE_REVENUE,
            key: 'finance.x',
            name: 'x',
            status: 'pass',
            severity: 'error',
            origin: 'dbt',
            observedAt: T,
            runId: run,
          },
        ],
      }),
    },
    {
      field: 'metrics[].runId',
      path: '$.metrics[0].runId',
      parts: (run: string) => ({
        metrics: [
          { dataset: FINANCE_REVENUE, name: 'row_count', value: 3, observedAt: T, runId: run },
        ],
      }),
    },
  ])('$field naming a sales run is refused', async ({ path, parts }) => {
    const { db, post, finance } = await demoApp()
    const run = runRef(db)
    const before = rowCounts(db)
    const res = await post('/api/batches', batch(parts(run)), finance)
    const json = (await res.json()) as ErrorJson
    expect(res.status, JSON.stringify(json)).toBe(403)
    expect(json.error).toMatchObject({
      path,
      message: expect.stringContaining(`run ${run} belongs to domain sales`),
    })
    expect(rowCounts(db)).toEqual(before)
  })

  it('the same fields naming the token’s own or unowned rows, and reading sales’ rows, are accepted', async () => {
    const { db, post, finance } = await demoApp()
    const own = batch({
      datasets: [{ ...FINANCE_REVENUE, aliases: [{ namespace: 's3://fin', name: 'revenue' }] }],
      jobs: [{ namespace: JOB_NS, name: 'finance.child', type: 'job', parent: FINANCE_JOB }],
      runs: [{ runId: 'finance-own-run', job: FINANCE_JOB, state: 'COMPLETE' }],
      edges: [
        { job: FINANCE_JOB, dataset: SALES_ORDERS, direction: 'input' },
        {
          job: FINANCE_JOB,
          dataset: { namespace: DEMO_NS, name: 'mesh.scratch.unowned' },
          direction: 'output',
        },
      ],
      columnEdges: [
        {
          dataset: FINANCE_REVENUE,
          column: 'revenue_date',
          from: SALES_ORDERS,
          fromColumn: 'order_date',
        },
      ],
      metrics: [{ dataset: FINANCE_REVENUE, name: 'row_count', value: 3, observedAt: T }],
    })
    const res = await post('/api/batches', own, finance)
    expect(res.status, await res.clone().text()).toBe(201)
    expect(runOf(db, 'finance-own-run')).toMatchObject({ domain: 'finance' })
  })
})

const olEvent = (extra: Record<string, unknown>) => ({
  eventType: 'COMPLETE',
  eventTime: T,
  producer: 'https://github.com/meshwatch/test',
  schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
  run: { runId: '01900000-0000-7000-8000-0000000000e1' },
  job: { namespace: JOB_NS, name: 'finance.ol_attack' },
  inputs: [],
  outputs: [],
  ...extra,
})

const OL_CASES: Case[] = [
  {
    name: 'the job',
    path: '$.job',
    names: 'job meshwatch-demo mesh.sales.sales.orders',
    body: () => olEvent({ job: SALES_JOB }),
  },
  {
    name: 'the parent facet’s job',
    path: '$.run.facets.parent.job',
    names: 'job meshwatch-demo dbt-run-sales',
    body: () =>
      olEvent({
        run: {
          runId: '01900000-0000-7000-8000-0000000000e2',
          facets: {
            parent: {
              ...FACET,
              job: SALES_PROJECT_JOB,
              run: { runId: '01900000-0000-7000-8000-0000000000e3' },
            },
          },
        },
      }),
  },
  {
    name: 'the parent facet’s run',
    path: '$.run.facets.parent.run.runId',
    // the recorded run of sales' dbt invocation (its id changes with every recording)
    names: (db) => `run ${salesRun(db, 'dbt-run-sales').runId}`,
    body: (db) =>
      olEvent({
        run: {
          runId: '01900000-0000-7000-8000-0000000000e4',
          // The run of sales' dbt invocation, under finance's own invocation job.
          facets: {
            parent: {
              ...FACET,
              job: { namespace: JOB_NS, name: 'dbt-run-finance' },
              run: { runId: salesRun(db, 'dbt-run-sales').runId },
            },
          },
        },
      }),
  },
  {
    name: 'an output',
    path: '$.outputs[0]',
    names: 'mesh.sales.orders',
    body: () => olEvent({ outputs: [SALES_ORDERS] }),
  },
  {
    name: 'a dataset event’s dataset',
    path: '$.dataset',
    names: 'mesh.sales.orders',
    body: () => ({
      eventTime: T,
      producer: 'https://github.com/meshwatch/test',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/DatasetEvent',
      dataset: { ...SALES_ORDERS, facets: { schema: { ...FACET, fields: [{ name: 'pwned' }] } } },
    }),
  },
  {
    name: 'a job event’s output',
    path: '$.outputs[0]',
    names: 'mesh.sales.orders',
    body: () => ({
      eventTime: T,
      producer: 'https://github.com/meshwatch/test',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent',
      job: { namespace: JOB_NS, name: 'finance.ol_attack' },
      inputs: [],
      outputs: [SALES_ORDERS],
    }),
  },
  {
    name: 'an input that is also an output',
    path: '$.outputs[0]',
    names: 'mesh.sales.orders',
    body: () => olEvent({ inputs: [SALES_ORDERS], outputs: [SALES_ORDERS] }),
  },
]

describe('a dbt project or Airflow instance (a batch scope) belongs to the domain it describes', () => {
  it('refuses a finance batch under sales’ scope: it would become sales’ gate baseline', async () => {
    const { db, app, post, finance, admin } = await demoApp()
    const baseline = async () =>
      (await app.request('/api/gate/baseline?project=sales', { headers: admin })).json()
    const before = await baseline()
    const counts = rowCounts(db)
    const res = await post(
      '/api/batches',
      batch({ scope: 'dbt:sales', datasets: [{ ...FIN_X, domain: 'finance' }] }),
      finance,
    )
    const json = (await res.json()) as ErrorJson
    expect(res.status, JSON.stringify(json)).toBe(403)
    expect(json.error).toMatchObject({ code: 'forbidden', path: '$.scope' })
    expect(json.error.message).toContain('scope dbt:sales belongs to domain sales')
    expect(rowCounts(db)).toEqual(counts)
    expect(await baseline()).toEqual(before)
  })

  it('lets a domain re-collect its own project and start a new one', async () => {
    const { post, finance } = await demoApp()
    for (const scope of ['dbt:finance', 'dbt:finance_new']) {
      const res = await post(
        '/api/batches',
        batch({ scope, datasets: [{ ...FIN_X, domain: 'finance' }] }),
        finance,
      )
      expect(res.status, await res.clone().text()).toBe(201)
    }
  })
})

describe('every OpenLineage field naming a row is a write to its owner', () => {
  it.each(OL_CASES)(
    '$name naming a sales row is refused, writing nothing',
    async ({ body, path, names }) => {
      const { db, post, finance } = await demoApp()
      const before = rowCounts(db)
      const res = await post('/api/v1/lineage', body(db), finance)
      const json = (await res.json()) as ErrorJson
      expect(res.status, JSON.stringify(json)).toBe(403)
      expect(json.error).toMatchObject({ code: 'forbidden', path })
      expect(json.error.message).toContain(typeof names === 'string' ? names : names(db))
      expect(json.error.message).toContain('domain sales')
      expect(rowCounts(db)).toEqual(before)
    },
  )
})

describe('events grouped into one transaction are checked against each other', () => {
  it('a run one event puts under a sales job cannot be moved by a finance event of the same group', async () => {
    const { db, post, sales, finance } = await demoApp()
    const runId = '01900000-0000-7000-8000-0000000000f1'
    // Posted together: both land in one group commit, the sales event first.
    const [s, f] = await Promise.all([
      post(
        '/api/v1/lineage',
        olEvent({ run: { runId }, job: SALES_JOB, eventType: 'START' }),
        sales,
      ),
      post(
        '/api/v1/lineage',
        olEvent({ run: { runId }, job: FINANCE_JOB, eventType: 'FAIL' }),
        finance,
      ),
    ])
    expect(s.status).toBe(201)
    const json = (await f.json()) as ErrorJson
    expect(f.status, JSON.stringify(json)).toBe(403)
    expect(json.error).toMatchObject({
      path: '$.run.runId',
      message: expect.stringContaining('domain sales'),
    })
    expect(runOf(db, runId)).toEqual({ state: 'START', job: SALES_JOB.name, domain: 'sales' })
  })

  it('an alias one event creates onto a sales dataset binds the next events of the group', async () => {
    const { db, post, sales, finance } = await demoApp()
    const wh = { namespace: 'postgres://wh', name: 'sales.orders' }
    const aliasing = olEvent({
      job: SALES_JOB,
      run: { runId: '01900000-0000-7000-8000-0000000000f2' },
      outputs: [
        {
          ...SALES_ORDERS,
          facets: { symlinks: { ...FACET, identifiers: [{ ...wh, type: 'TABLE' }] } },
        },
      ],
    })
    const [s, f] = await Promise.all([
      post('/api/v1/lineage', aliasing, sales),
      post(
        '/api/v1/lineage',
        olEvent({ run: { runId: '01900000-0000-7000-8000-0000000000f3' }, outputs: [wh] }),
        finance,
      ),
    ])
    expect(s.status).toBe(201)
    expect(f.status, await f.clone().text()).toBe(403)
    expect(datasetState(db, SALES_ORDERS).aliases).toEqual([wh])
  })
})
