import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { openDb, type Db } from '../../db/client.ts'
import { loadDemo } from '../../server/demo.ts'
import { storeBuiltOnce } from '../store-image.ts'
import { NOW, setupApp } from './helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// A store with the demo mesh loaded (recorded dbt builds of sales, finance, marketing, product),
// for the cross-domain attacks of issue 14: what a finance ingest token can do to sales.

export const FIXTURES = fileURLToPath(new URL('../../fixtures', import.meta.url))
export const DEMO_NS = 'duckdb://mesh.duckdb'
export const JOB_NS = 'meshwatch-demo'

export const SALES_ORDERS = { namespace: DEMO_NS, name: 'mesh.sales.orders' }
export const SALES_DAILY = { namespace: DEMO_NS, name: 'mesh.sales.sales_daily' }
export const FINANCE_REVENUE = { namespace: DEMO_NS, name: 'mesh.finance.revenue_daily' }
/** A finance model's job, as the dbt collector and dbt-ol name it. */
export const FINANCE_JOB = { namespace: JOB_NS, name: 'mesh.finance.finance.revenue_daily' }

// Loaded the day before the app's clock (NOW), so a replay (received order) sees it first too.
const demoStore = storeBuiltOnce(async () => {
  const db = openDb(':memory:')
  await loadDemo(
    { store: sqliteStore(db), now: () => new Date(NOW.getTime() - 86_400_000) },
    { airflow: false },
  )
  return db
})

/** A fresh copy of the demo store (loaded once), an app on it and tokens of three scopes. */
export async function demoApp() {
  const app = setupApp({ db: await demoStore() })
  const finance = { authorization: `Bearer ${app.token('ingest', 'finance').token}` }
  const sales = { authorization: `Bearer ${app.token('ingest', 'sales').token}` }
  const admin = { authorization: `Bearer ${app.token('admin').token}` }
  return { ...app, finance, sales, admin }
}

/** One recorded dbt-ol event per line of fixtures/openlineage/dbt-ol/<file>. */
export function dbtOlEvents(file: string): Record<string, unknown>[] {
  return readFileSync(`${FIXTURES}/openlineage/dbt-ol/${file}`, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** A stored sales run: its id, job and state. */
export function salesRun(db: Db, job = 'mesh.sales.sales.orders') {
  const row = db.$client
    .prepare(
      `select r.run_id as runId, r.state, j.name as job from runs r join jobs j on j.id = r.job_id
       where j.name = ? and j.domain = 'sales' order by r.id limit 1`,
    )
    .get(job) as { runId: string; state: string; job: string } | undefined
  if (!row) throw new Error(`the demo has no run of ${job}`)
  return row
}

export function runOf(db: Db, runId: string) {
  return db.$client
    .prepare(
      `select r.state, j.name as job, j.domain from runs r join jobs j on j.id = r.job_id where r.run_id = ?`,
    )
    .get(runId) as { state: string; job: string; domain: string | null } | undefined
}

export function datasetRow(db: Db, ref: { namespace: string; name: string }) {
  return db.$client
    .prepare(
      `select id, domain, owner, description, columns, meta from datasets where namespace = ? and name = ?`,
    )
    .get(ref.namespace, ref.name) as
    | {
        id: number
        domain: string | null
        owner: string | null
        description: string | null
        columns: string | null
        meta: string | null
      }
    | undefined
}

/** Everything stored on a dataset that a write could change: its row, versions, edges, results. */
export function datasetState(db: Db, ref: { namespace: string; name: string }) {
  const row = datasetRow(db, ref)
  if (!row) throw new Error(`no dataset ${ref.name}`)
  const all = (q: string) => db.$client.prepare(q).all(row.id)
  return {
    row: { ...row },
    versions: all(
      'select columns_hash, columns from dataset_versions where dataset_id = ? order by rowid',
    ),
    edges: all(
      'select job_id, direction from lineage_edges where dataset_id = ? order by job_id, direction',
    ),
    checks: all('select key, name, column, kind from checks where dataset_id = ? order by key'),
    assertions: all(
      'select key, status, observed_at from assertions where dataset_id = ? order by rowid',
    ),
    metrics: all(
      'select name, value, observed_at from metrics where dataset_id = ? order by rowid',
    ),
    columnEdges: all(
      'select "column", from_dataset_id, from_column from column_edges where dataset_id = ? order by rowid',
    ),
    aliases: all('select namespace, name from dataset_aliases where dataset_id = ? order by rowid'),
    products: all(
      'select product_id from product_outputs where dataset_id = ? order by product_id',
    ),
  }
}
