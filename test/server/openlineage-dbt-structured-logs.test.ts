import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { sqliteStore } from '../../db/store.ts'

// dbt-ol --consume-structured-logs names a node's job by its unique id (model.pkg.name) and each
// SQL statement a sub-job (model.pkg.name.sql.N); its artifact mode and collect dbt name it
// db.schema.pkg.name. dbt-ol's own expected events of a `dbt run` of jaffle_shop on postgres and
// that run's manifest (fixtures/openlineage/public/README.md). The expected events are the
// test harness's templates without producer/schemaURL: a producer is added before posting.
const DIR = fileURLToPath(
  new URL('../../fixtures/openlineage/public/openlineage/dbt-structured-logs', import.meta.url),
)
const PRODUCER = 'https://github.com/OpenLineage/OpenLineage/tree/1.54.0/integration/dbt'
const events = (
  JSON.parse(readFileSync(`${DIR}/postgres-run.json`, 'utf8')) as Record<string, unknown>[]
).map((e) => ({ producer: PRODUCER, ...e }))

async function post(db: Db, list: unknown[], batch = false) {
  const app = createApp({ store: sqliteStore(db) })
  const send = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  if (batch) {
    const res = await send('/api/v1/lineage/batch', list)
    expect(((await res.json()) as { summary: { failed: number } }).summary.failed).toBe(0)
    return
  }
  for (const e of list) expect((await send('/api/v1/lineage', e)).status).toBe(201)
}
const collectDbt = async (db: Db) =>
  await ingestBatch(
    { store: sqliteStore(db) },
    await readDbtTarget(`${DIR}/postgres-run/target`, {
      namespace: 'postgres://postgres:5432',
      jobNamespace: 'dbt-test-namespace',
      env: {},
    }),
  )
const jobs = (db: Db) =>
  db.all<{ name: string; type: string; parent: string | null }>(
    sql`select j.name, j.type, p.name as parent from jobs j left join jobs p on p.id = j.parent_id order by j.name`,
  )

describe('dbt-ol structured-log job names', () => {
  it.each([
    ['one by one', false],
    ['in one batch', true],
  ] as const)('name one dbt model one job, as collect dbt does (%s)', async (_, batch) => {
    const viaDbt = openDb(':memory:')
    await collectDbt(viaDbt)
    const dbtModels = jobs(viaDbt)
      .filter((j) => j.type === 'dbt_model')
      .map((j) => j.name)
    expect(dbtModels).toContain('postgres.public.jaffle_shop.stg_customers')

    const db = openDb(':memory:')
    await post(db, events, batch)
    const all = jobs(db)
    expect(all.filter((j) => j.type === 'dbt_model').map((j) => j.name)).toEqual(dbtModels)
    // Each statement is a sub-job of its model's job; nothing keeps the unique-id name.
    const statements = all.filter((j) => j.type === 'dbt_sql')
    expect(statements.length).toBeGreaterThan(0)
    for (const s of statements) expect(s.name).toBe(`${s.parent}${/\.sql\.\d+$/.exec(s.name)?.[0]}`)
    expect(all.filter((j) => j.name.startsWith('model.'))).toEqual([])
  })

  // (The harness's events share one runId placeholder, so runs are not compared here.)
  it('land on the jobs collect dbt made, with the same output edges', async () => {
    const db = openDb(':memory:')
    await collectDbt(db)
    const before = jobs(db).filter((j) => j.type === 'dbt_model')
    const outputs = (d: Db) =>
      d.all(sql`select j.name as job, ds.name as dataset from lineage_edges e join jobs j on j.id = e.job_id join datasets ds on ds.id = e.dataset_id
        where e.direction = 'output' and j.type = 'dbt_model' order by j.name`)
    const dbtOutputs = outputs(db)
    await post(db, events)
    expect(jobs(db).filter((j) => j.type === 'dbt_model')).toEqual(before)
    expect(outputs(db)).toEqual(dbtOutputs)
    const viaOl = openDb(':memory:')
    await post(viaOl, events)
    expect(outputs(viaOl)).toEqual(dbtOutputs)
  })
})
