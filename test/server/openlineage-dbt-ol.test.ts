import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { ingestBatch } from '../../server/ingest.ts'

// dbt-ol's events of the demo mesh vs `collect dbt` of the same dbt build (fixtures/dbt/README.md).
const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url))
const PROJECTS = ['sales', 'finance', 'marketing', 'product'].filter(
  (p) => existsSync(`${FIXTURES}/openlineage/dbt-ol/${p}.ndjson`) && existsSync(`${FIXTURES}/dbt/good/${p}/target/manifest.json`),
)
const NAMESPACE = 'duckdb://mesh.duckdb'
const JOB_NAMESPACE = 'meshwatch-demo'

const rows = (db: Db, q: ReturnType<typeof sql>) => db.all<{ k: string }>(q).map((r) => r.k).sort()
const datasetsOf = (db: Db) => rows(db, sql`select namespace || ' ' || name as k from datasets`)
const modelEdgesOf = (db: Db) =>
  rows(db, sql`select j.namespace || ' ' || j.name || ' ' || e.direction || ' ' || d.namespace || ' ' || d.name as k
    from lineage_edges e join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id where j.type = 'dbt_model'`)
const assertionsOf = (db: Db) =>
  rows(db, sql`select d.name || ' ' || a.key || ' ' || a.status || ' ' || a.origin as k from assertions a join datasets d on d.id = a.dataset_id`)

async function collectDbt(db: Db, project: string) {
  const batch = await readDbtTarget(`${FIXTURES}/dbt/good/${project}/target`, {
    profilesDir: `${FIXTURES}/dbt/projects/${project}`,
    namespace: NAMESPACE,
    jobNamespace: JOB_NAMESPACE,
  })
  ingestBatch({ db }, batch)
}

async function postDbtOl(db: Db, project: string) {
  const app = createApp({ db })
  const lines = readFileSync(`${FIXTURES}/openlineage/dbt-ol/${project}.ndjson`, 'utf8').split('\n').filter((l) => l.trim())
  for (const line of lines) {
    const res = await app.request('/api/v1/lineage', { method: 'POST', headers: { 'content-type': 'application/json' }, body: line })
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

  it.each(PROJECTS)('%s: together they make one graph, and dbt-ol test results land on the dbt tests', async (project) => {
    const db = openDb(':memory:')
    await collectDbt(db, project)
    const nodes = datasetsOf(db)
    const edges = modelEdgesOf(db)
    const dbtResults = assertionsOf(db).filter((a) => a.endsWith(' dbt'))
    await postDbtOl(db, project)
    expect(datasetsOf(db)).toEqual(nodes)
    expect(modelEdgesOf(db)).toEqual(edges)
    const olResults = assertionsOf(db).filter((a) => a.endsWith(' openlineage'))
    expect(olResults.map((a) => a.replace(/ openlineage$/, ''))).toEqual(dbtResults.map((a) => a.replace(/ dbt$/, '')))
  })
})
