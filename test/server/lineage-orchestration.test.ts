import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll, describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../db/client.ts'
import { integrationName } from '../../db/queries/overview.ts'
import { createApp } from '../../server/app.ts'
import { loadDemo } from '../../server/demo.ts'
import { orchestrationOf } from '../../server/lineage-orchestration.ts'
import { sqliteStore } from '../../db/store.ts'

// Orchestration beside data lineage in the lineage API, on the demo mesh (its Airflow DAGs as the
// collector recorded them from a real Airflow, its dbt builds), and job kinds of other producers.

type Node = { id: string; name: string; type: string | null; integration: string | null }
type Answer = {
  nodes: Node[]
  orchestration: {
    nodes: Node[]
    edges: { source: string; target: string; kind: string }[]
    truncated: boolean
  } | null
}
const FIXTURES = fileURLToPath(new URL('../../fixtures/openlineage', import.meta.url))

let db: Db
beforeAll(async () => {
  db = openDb(':memory:')
  await loadDemo({ store: sqliteStore(db) })
}, 120_000)

const get = async (path: string) => {
  const res = await createApp({ store: sqliteStore(db) }).request(path)
  return { status: res.status, body: (await res.json()) as Answer }
}
/** `kind source → target` by job name, for the edges the answer carries. */
const named = (a: Answer) => {
  const names = new Map([...a.nodes, ...(a.orchestration?.nodes ?? [])].map((n) => [n.id, n.name]))
  return (a.orchestration?.edges ?? []).map(
    (e) => `${e.kind} ${names.get(e.source)} → ${names.get(e.target)}`,
  )
}

describe('GET /api/lineage/domains/:domain?orchestration=true', () => {
  it('adds the DAG, its tasks and the DAG → task → dbt model edges of the demo', async () => {
    const { status, body } = await get('/api/lineage/domains/sales?orchestration=true')
    expect(status).toBe(200)
    const o = body.orchestration
    expect(o?.truncated).toBe(false)
    expect(o?.nodes.find((n) => n.name === 'sales_daily')?.type).toBe('airflow_dag')
    const edges = named(body)
    expect(edges).toEqual(
      expect.arrayContaining([
        'contains sales_daily → sales_daily.dbt_sales.orders.run',
        'runs sales_daily.dbt_sales.orders.run → mesh.sales.sales.orders',
        'tests sales_daily.dbt_sales.orders.test → mesh.sales.sales.orders',
        // A seed task linked by its Cosmos name (`<seed>_seed`): its meta names no model.
        'runs sales_daily.dbt_sales.raw_orders_seed → mesh.sales_raw.seed.sales.raw_orders',
        'after sales_daily.extract_orders → sales_daily.dbt_sales.raw_orders_seed',
      ]),
    )
    // Every edge ends on a node of the answer, and none is listed twice.
    const ids = new Set([...body.nodes, ...(o?.nodes ?? [])].map((n) => n.id))
    expect(o?.edges.every((e) => ids.has(e.source) && ids.has(e.target))).toBe(true)
    expect(new Set(edges).size).toBe(edges.length)
  })

  it('leaves orchestration out unless asked', async () => {
    const { body } = await get('/api/lineage/domains/sales')
    expect(body.orchestration).toBeNull()
  })

  it('refuses an orchestration flag that is not true or false, naming the field', async () => {
    const res = await createApp({ store: sqliteStore(db) }).request(
      '/api/lineage/domains/sales?orchestration=yes',
    )
    expect(res.status).toBe(400)
    expect(await res.json()).toMatchObject({ error: { path: '$.orchestration' } })
  })
})

describe('GET /api/lineage/focus?orchestration=true', () => {
  it('finds the DAG and task that run a focused dbt model', async () => {
    const search = (await (
      await createApp({ store: sqliteStore(db) }).request('/api/lineage/search?q=sales_daily')
    ).json()) as { results: { id: string; name: string; kind: string }[] }
    const ds = search.results.find((r) => r.kind === 'dataset' && r.name.endsWith('.sales_daily'))
    expect(ds).toBeDefined()
    const { body } = await get(`/api/lineage/focus?node=${ds?.id}&depth=2&orchestration=true`)
    expect(named(body)).toEqual(
      expect.arrayContaining([
        'contains sales_daily → sales_daily.dbt_sales.sales_daily_model_build',
        'runs sales_daily.dbt_sales.sales_daily_model_build → mesh.sales.sales.sales_daily',
      ]),
    )
  })
})

describe('orchestrationOf', () => {
  it('keeps at most maxEdges edges and says it was truncated', async () => {
    const { body } = await get('/api/lineage/domains/sales')
    const all = await orchestrationOf(sqliteStore(db), body.nodes as { id: `job:${number}` }[])
    const cut = await orchestrationOf(sqliteStore(db), body.nodes as { id: `job:${number}` }[], {
      maxEdges: 3,
    })
    expect(all.edges.length).toBeGreaterThan(3)
    expect(cut.edges).toEqual(all.edges.slice(0, 3))
    expect(cut.truncated).toBe(true)
    // Only the jobs the kept edges reach are added.
    const reached = new Set(cut.edges.flatMap((e) => [e.source, e.target]))
    expect(cut.nodes.every((n) => reached.has(n.id))).toBe(true)
  })
})

describe('job kinds of other producers', () => {
  it.each([
    { input: 'SPARK', expected: 'spark' },
    { input: 'KAFKA_STREAMS', expected: 'kafka_streams' },
    {
      input: 'https://github.com/OpenLineage/OpenLineage/tree/1.9.0/integration/flink',
      expected: 'flink',
    },
    {
      input:
        'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/common/src/openlineage/common/provider/great_expectations',
      expected: 'great_expectations',
    },
    {
      input: 'https://github.com/apache/airflow/tree/providers-openlineage/1.8.0',
      expected: 'airflow',
    },
    {
      input: 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python',
      expected: null,
    },
  ])('names $input as $expected', ({ input, expected }) => {
    expect(integrationName(input)).toBe(expected)
  })

  it("labels a Great Expectations job (recorded events) with its producer's integration", async () => {
    const ge = openDb(':memory:')
    const app = createApp({ store: sqliteStore(ge) })
    const events = readFileSync(`${FIXTURES}/great-expectations/events.ndjson`, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
    for (const body of events) {
      const res = await app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      expect(res.status).toBeLessThan(300)
    }
    const search = (await (await app.request('/api/lineage/search?q=validate_orders')).json()) as {
      results: { id: string }[]
    }
    const id = search.results[0]?.id
    const focus = (await (await app.request(`/api/lineage/focus?node=${id}`)).json()) as Answer
    expect(focus.nodes.find((n) => n.id === id)).toMatchObject({
      type: 'job',
      integration: 'great_expectations',
    })
  })
})
