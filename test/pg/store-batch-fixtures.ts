import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type pg from 'pg'
import type { Batch } from '../../collectors/batch.ts'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { parseJunitXml } from '../../collectors/junit/index.ts'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import type { Db } from '../../db/client.ts'
import { collectRecordedAirflow } from '../../server/demo-airflow.ts'
import { DEMO_JOB_NAMESPACE, demoTargets, FIXTURES } from '../../server/demo.ts'
import { sqliteStore } from '../../db/store.ts'

// The demo mesh as batches, for storing on both engines: its recorded dbt builds (good day, then
// bad day), the recorded Airflow, dbt-ol's recorded OpenLineage events and pytest's JUnit XML;
// and every table storeBatch derives, read by natural keys (ids differ between engines).

/** The recorded dbt builds of the good day, then the bad day (upstream projects first). */
export async function demoDbtBatches(): Promise<Batch[]> {
  const out: Batch[] = []
  for (const day of ['good', 'bad'] as const)
    for (const t of demoTargets(day))
      out.push(
        await readDbtTarget(t.target, {
          projectDir: t.projectDir,
          profilesDir: t.projectDir,
          jobNamespace: DEMO_JOB_NAMESPACE,
          env: {},
        }),
      )
  return out
}

/** The recorded Airflow, collected with the dbt models `db` (SQLite, dbt stored) knows. */
export async function demoAirflowBatch(db: Db): Promise<Batch> {
  const b = await collectRecordedAirflow({ store: sqliteStore(db) }, FIXTURES)
  if (!b) throw new Error('fixtures/airflow/v2 is not recorded')
  return b
}

/** The events of an NDJSON file, one batch each (an event meshwatch refuses is left out). */
function eventBatches(file: string): Batch[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      const r = parseEvent(JSON.parse(line))
      return r.ok ? [r.batch] : []
    })
}

/** dbt-ol's recorded events of each demo project, one batch per event, in file order. */
export function demoOpenLineageBatches(): Batch[][] {
  const dir = join(FIXTURES, 'openlineage', 'dbt-ol')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ndjson'))
    .sort()
    .map((f) => eventBatches(join(dir, f)))
}

/** The openlineage-python client's recorded events and the public producers' shapes (Flink, Spark). */
export function otherOpenLineageBatches(): Batch[] {
  return [
    join(FIXTURES, 'openlineage', 'python-client', 'events.ndjson'),
    ...['flink', 'openmetadata-spark'].map((p) =>
      join(FIXTURES, 'openlineage', 'public-shapes', `${p}.ndjson`),
    ),
  ].flatMap(eventBatches)
}

/** pytest's recorded JUnit XML reports. */
export function demoJunitBatches(): Batch[] {
  const dir = join(FIXTURES, 'junit', 'pytest')
  return readdirSync(dir)
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) =>
      parseJunitXml(readFileSync(join(dir, f), 'utf8'), {
        namespace: 'duckdb://mesh',
        now: new Date('2026-01-02T00:00:00.000Z'),
        file: f,
      }),
    )
}

const ds = (a: string) => `${a}.namespace as ${a}_namespace, ${a}.name as ${a}_name`

/** Each derived table as natural-key rows, in SQL both engines run (`order` keeps a sequence). */
const DUMPS: Record<string, { sql: string; json?: string[]; sequence?: boolean }> = {
  domains: { sql: 'select name, owner, description from domains' },
  datasets: {
    sql: `select namespace, name, domain, owner, kind, description, access,
                 case when contract_enforced then 1 when not contract_enforced then 0 end as contract_enforced,
                 cast(columns as text) as columns, cast(tags as text) as tags, cast(meta as text) as meta,
                 source_file, external_id, first_seen_at from datasets`,
    json: ['columns', 'tags', 'meta'],
  },
  datasetAliases: {
    sql: `select a.namespace, a.name, ${ds('d')} from dataset_aliases a join datasets d on d.id = a.dataset_id`,
  },
  datasetVersions: {
    sql: `select ${ds('d')}, v.columns_hash, cast(v.columns as text) as columns, v.observed_at
            from dataset_versions v join datasets d on d.id = v.dataset_id order by v.id`,
    json: ['columns'],
    sequence: true,
  },
  jobs: {
    sql: `select j.namespace, j.name, j.domain, j.owner, j.type, ${ds('p')}, j.description,
                 cast(j.schedule as text) as schedule, cast(j.meta as text) as meta, j.external_id
            from jobs j left join jobs p on p.id = j.parent_id`,
    json: ['schedule', 'meta'],
  },
  runs: {
    sql: `select r.run_id, ${ds('j')}, r.state, r.started_at, r.ended_at, r.nominal_time, r.error,
                 r.rows_affected, r.parent_run_id, cast(r.facets as text) as facets
            from runs r join jobs j on j.id = r.job_id`,
    json: ['facets'],
  },
  lineageEdges: {
    sql: `select ${ds('j')}, ${ds('d')}, e.direction from lineage_edges e
            join jobs j on j.id = e.job_id join datasets d on d.id = e.dataset_id`,
  },
  columnEdges: {
    sql: `select ${ds('d')}, c."column", ${ds('f')}, c.from_column, c.transformation, c.source
            from column_edges c join datasets d on d.id = c.dataset_id
            join datasets f on f.id = c.from_dataset_id`,
  },
  columnLineageInputs: {
    sql: `select ${ds('d')}, c.hash, cast(c.columns as text) as columns
            from column_lineage_inputs c join datasets d on d.id = c.dataset_id`,
    json: ['columns'],
  },
  checks: {
    sql: `select c.key, ${ds('d')}, c."column", c.kind, c.name, c.severity, c.origin
            from checks c join datasets d on d.id = c.dataset_id`,
  },
  assertions: {
    sql: `select a.key, ${ds('d')}, a."column", a.name, a.status, a.severity, a.failures, a.message,
                 a.observed_at, a.origin, a.run_id
            from assertions a join datasets d on d.id = a.dataset_id`,
  },
  metrics: {
    sql: `select ${ds('d')}, m.name, m.value, m.status, m.detail, m.observed_at, m.run_id
            from metrics m join datasets d on d.id = m.dataset_id`,
  },
  products: {
    sql: `select id, name, domain, owner, description, origin, cast(sla as text) as sla from products`,
    json: ['sla'],
  },
  productOutputs: {
    sql: `select o.product_id, ${ds('d')} from product_outputs o join datasets d on d.id = o.dataset_id`,
  },
  batches: {
    sql: `select kind, scope, content_hash, received_at, cast(summary as text) as summary, payload
            from batches order by id`,
    json: ['summary'],
    sequence: true,
  },
}

type Row = Record<string, unknown>

function normal(rows: Row[], spec: { json?: string[]; sequence?: boolean }): Row[] {
  const out = rows.map((r) => {
    const o: Row = {}
    for (const [k, v] of Object.entries(r))
      o[k] = Buffer.isBuffer(v)
        ? v.toString('base64')
        : spec.json?.includes(k) && typeof v === 'string'
          ? (JSON.parse(v) as unknown)
          : v
    return o
  })
  const key = (r: Row) => JSON.stringify(r)
  return spec.sequence
    ? out
    : out
        .map((r) => [key(r), r] as const)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([, r]) => r)
}

/** Every derived table of a SQLite store, by natural keys. */
export function dumpSqlite(db: Db): Record<string, Row[]> {
  const out: Record<string, Row[]> = {}
  for (const [table, spec] of Object.entries(DUMPS))
    out[table] = normal(db.$client.prepare(spec.sql).all() as Row[], spec)
  return out
}

/** Every derived table of a PostgreSQL store, by natural keys. */
export async function dumpPg(q: pg.Pool | pg.PoolClient): Promise<Record<string, Row[]>> {
  const out: Record<string, Row[]> = {}
  for (const [table, spec] of Object.entries(DUMPS))
    out[table] = normal((await q.query<Row>(spec.sql)).rows, spec)
  return out
}

const TABLES = [
  'domains',
  'datasets',
  'dataset_aliases',
  'dataset_versions',
  'jobs',
  'runs',
  'lineage_edges',
  'column_edges',
  'column_lineage_inputs',
  'checks',
  'assertions',
  'metrics',
  'products',
  'product_outputs',
  'batches',
]

/** Each table's row versions (ctid, xmin): any rewrite of a row changes its entry. */
export async function rowVersions(q: pg.Pool): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {}
  for (const t of TABLES) {
    const r = await q.query<{ v: string }>(`select ctid::text || ':' || xmin::text as v from ${t}`)
    out[t] = r.rows.map((x) => x.v).sort()
  }
  return out
}
