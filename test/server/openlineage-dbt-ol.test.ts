import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { sqliteStore } from '../../db/store.ts'

// dbt-ol's events of the demo mesh vs `collect dbt` of the same dbt build (fixtures/dbt/README.md).
const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url))
const PROJECTS = ['sales', 'finance', 'marketing', 'product'].filter(
  (p) =>
    existsSync(`${FIXTURES}/openlineage/dbt-ol/${p}.ndjson`) &&
    existsSync(`${FIXTURES}/dbt/good/${p}/target/manifest.json`),
)
const NAMESPACE = 'duckdb://mesh.duckdb'
const JOB_NAMESPACE = 'meshwatch-demo'

const rows = (db: Db, q: ReturnType<typeof sql>) =>
  db
    .all<{ k: string }>(q)
    .map((r) => r.k)
    .sort()
const datasetsOf = (db: Db) => rows(db, sql`select namespace || ' ' || name as k from datasets`)
const modelEdgesOf = (db: Db) =>
  rows(
    db,
    sql`select j.namespace || ' ' || j.name || ' ' || e.direction || ' ' || d.namespace || ' ' || d.name as k
    from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id where j.type = 'dbt_model'`,
  )
const assertionsOf = (db: Db) =>
  rows(
    db,
    sql`select d.name || ' ' || a.key || ' ' || a.status || ' ' || a.origin as k from assertions a join datasets d on d.id = a.dataset_id`,
  )

async function collectDbt(db: Db, project: string) {
  const batch = await readDbtTarget(`${FIXTURES}/dbt/good/${project}/target`, {
    profilesDir: `${FIXTURES}/dbt/projects/${project}`,
    namespace: NAMESPACE,
    jobNamespace: JOB_NAMESPACE,
  })
  await ingestBatch({ store: sqliteStore(db) }, batch)
}

async function postDbtOl(db: Db, project: string) {
  const app = createApp({ store: sqliteStore(db) })
  const lines = readFileSync(`${FIXTURES}/openlineage/dbt-ol/${project}.ndjson`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
  for (const line of lines) {
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: line,
    })
    expect(res.status, await res.clone().text()).toBe(201)
  }
}

describe.skipIf(PROJECTS.length === 0)('dbt-ol events vs collect dbt on the same build', () => {
  it.each(PROJECTS)('%s: the same dataset nodes and model→dataset edges', async (project) => {
    const viaDbt = openDb(':memory:')
    await collectDbt(viaDbt, project)
    const viaOl = openDb(':memory:')
    await postDbtOl(viaOl, project)
    expect(datasetsOf(viaOl)).toEqual(datasetsOf(viaDbt))
    expect(modelEdgesOf(viaOl)).toEqual(modelEdgesOf(viaDbt))
  })

  // dbt-ol's dbt_model facet (access, group, owner) and the model's meta sent as DBT_META tags.
  it.each(PROJECTS)(
    '%s: the same domain, owner and access on every model, and the same data products',
    async (project) => {
      const viaDbt = openDb(':memory:')
      await collectDbt(viaDbt, project)
      const viaOl = openDb(':memory:')
      await postDbtOl(viaOl, project)
      type Model = {
        name: string
        domain: string | null
        owner: string | null
        access: string | null
      }
      const models = (db: Db) =>
        db.all<Model>(
          sql`select name, domain, owner, access from datasets where kind = 'model' and namespace = ${NAMESPACE} order by name`,
        )
      const olModels = models(viaOl)
      expect(olModels.length).toBeGreaterThan(0)
      const dbtModels = new Map(models(viaDbt).map((m) => [m.name, m]))
      // A group's owner is not in these events (dbt-ol 1.54 sends no dbt_model.config.owner): an
      // owner dbt-ol cannot know is left unset, never set otherwise than collect dbt sets it.
      for (const m of olModels) {
        const d = dbtModels.get(m.name)
        expect({ ...m, owner: m.owner ?? d?.owner }).toEqual(d)
      }
      expect(olModels.filter((m) => m.owner !== null).length).toBeGreaterThan(0)
      expect(olModels.every((m) => m.domain !== null && m.access !== null)).toBe(true)
      // Exposures are not in dbt-ol's events; public models and meta.data_product are.
      const products = (db: Db) =>
        rows(
          db,
          sql`select p.id || ' ' || p.origin || ' ' || p.domain || ' ' || coalesce(p.sla, '-') || ' ' || d.name as k
        from products p join product_outputs o on o.product_id = p.id join datasets d on d.id = o.dataset_id
        where p.origin in ('dbt_public', 'dbt_meta')`,
        )
      expect(products(viaOl).length).toBeGreaterThan(0)
      expect(products(viaOl)).toEqual(products(viaDbt))
    },
  )

  it.each(PROJECTS)(
    '%s: a product collect dbt described keeps its SLA and outputs after dbt-ol',
    async (project) => {
      const db = openDb(':memory:')
      await collectDbt(db, project)
      // An SLA and owner declared elsewhere than in the model's meta (as meshwatch.yml can).
      db.run(
        sql`update products set sla = '{"freshness":{"warnAfterHours":6}}', owner = 'declared-owner'`,
      )
      const before = db.all(
        sql`select id, name, domain, owner, description, origin, sla from products order by id`,
      )
      expect(before.length).toBeGreaterThan(0)
      const outputs = db.all(sql`select * from product_outputs order by product_id, dataset_id`)
      await postDbtOl(db, project)
      expect(
        db.all(
          sql`select id, name, domain, owner, description, origin, sla from products order by id`,
        ),
      ).toEqual(before)
      expect(db.all(sql`select * from product_outputs order by product_id, dataset_id`)).toEqual(
        outputs,
      )
    },
  )

  it.each(PROJECTS)(
    '%s: together they make one graph, and dbt-ol test results land on the dbt tests',
    async (project) => {
      const db = openDb(':memory:')
      await collectDbt(db, project)
      const nodes = datasetsOf(db)
      const edges = modelEdgesOf(db)
      const dbtResults = assertionsOf(db).filter((a) => a.endsWith(' dbt'))
      await postDbtOl(db, project)
      expect(datasetsOf(db)).toEqual(nodes)
      expect(modelEdgesOf(db)).toEqual(edges)
      const olResults = assertionsOf(db).filter((a) => a.endsWith(' openlineage'))
      expect(olResults.map((a) => a.replace(/ openlineage$/, ''))).toEqual(
        dbtResults.map((a) => a.replace(/ dbt$/, '')),
      )
    },
  )
})

// dbt-ol's TestRunFacet events for singular tests (integration/common/tests/dbt/singular_test,
// recorded in fixtures/openlineage/public): the result lands on the dbt test of that id.
describe.skipIf(!PROJECTS.includes('sales'))('TestRunFacet results and the dbt tests', () => {
  const events = JSON.parse(
    readFileSync(`${FIXTURES}/openlineage/public/openlineage/dbt/singular_test.json`, 'utf8'),
  ) as Record<string, any>[]
  const failed = events.find((e) => e.eventType === 'FAIL') as Record<string, any>
  const naming = (testId: string, inputs?: unknown[]) => {
    const e = structuredClone(failed)
    e.run.facets.test.tests[0].name = testId
    if (inputs) e.inputs = inputs
    return JSON.stringify(e)
  }
  const results = (db: Db) =>
    db
      .all<{ k: string }>(
        sql`select a.key || ' ' || d.name || ' ' || a.status || ' ' || a.severity || ' ' || a.origin as k from assertions a join datasets d on d.id = a.dataset_id where a.origin = 'openlineage'`,
      )
      .map((r) => r.k)

  it.each([
    ['without inputs', undefined],
    ['with the tested model as input', [{ namespace: NAMESPACE, name: 'mesh.sales.orders' }]],
  ])('%s', async (_, inputs) => {
    const db = openDb(':memory:')
    await collectDbt(db, 'sales')
    const app = createApp({ store: sqliteStore(db) })
    const post = (body: string) =>
      app.request('/api/v1/lineage', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
    expect(
      (await post(naming('test.sales.assert_paid_orders_have_positive_amount', inputs))).status,
    ).toBe(201)
    expect(results(db)).toEqual([
      'test.sales.assert_paid_orders_have_positive_amount mesh.sales.orders warn warn openlineage',
    ])
    // A test collect dbt does not know, with nothing to put it on, is not kept (and breaks nothing).
    expect((await post(naming('test.sales.not_a_test'))).status).toBe(201)
    expect(results(db)).toHaveLength(1)
  })
})
