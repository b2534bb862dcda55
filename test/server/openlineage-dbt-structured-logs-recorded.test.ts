import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import { readEventFile } from '../../collectors/openlineage/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { importEvents } from '../../server/openlineage.ts'
import { sqliteStore } from '../../db/store.ts'

// A real `dbt-ol --consume-structured-logs build` of the compat project (ephemeral models with
// tests, a failing test whose downstream is skipped, a dbt 1.11 function), recorded by
// fixtures/record/build-dbt-ol-structured-logs.sh with the peers' dbt-core 1.12.6 and
// openlineage-dbt 1.54.0, with the manifest and run results of that same build.
const DIR = fileURLToPath(
  new URL('../../fixtures/openlineage/dbt-ol-structured-logs', import.meta.url),
)
const FILE = `${DIR}/compat.ndjson`
const LINES = readFileSync(FILE, 'utf8').split('\n').filter(Boolean)
type Event = Record<string, any>
const EVENTS = LINES.map((l) => JSON.parse(l) as Event)
const NS = 'duckdb://compat.duckdb'

const q = (db: Db, s: string) => (db.$client.prepare(s).pluck().all() as string[]).slice().sort()
const datasets = (db: Db) => q(db, `select name || ' ' || coalesce(kind, '-') from datasets`)
const modelJobs = (db: Db) =>
  q(db, `select name || ' ' || type from jobs where name not like '%.sql.%' and type <> 'dbt_test'`)
const results = (db: Db) =>
  q(
    db,
    `select d.name || ' ' || a.key || ' ' || a.status || ' ' || a.origin from assertions a join datasets d on d.id = a.dataset_id`,
  )

async function postAll(db: Db) {
  const app = createApp({ store: sqliteStore(db) })
  const warnings: string[] = []
  for (const line of LINES) {
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: line,
    })
    expect(res.status).toBe(201)
    const body = (await res.json()) as { warnings: { path: string; message: string }[] }
    warnings.push(...body.warnings.map((w) => w.message))
  }
  return warnings
}

async function collectDbt(db: Db) {
  const batch = await readDbtTarget(`${DIR}/target`, {
    profilesDir: fileURLToPath(new URL('../../fixtures/dbt/projects/compat', import.meta.url)),
    jobNamespace: 'meshwatch-compat',
  })
  await ingestBatch({ store: sqliteStore(db) }, batch)
}

describe('dbt-ol --consume-structured-logs, recorded (compat project)', () => {
  it('is every event accepted, by POST and by collect openlineage', async () => {
    expect(EVENTS.length).toBe(102)
    const posted = openDb(':memory:')
    await postAll(posted)
    const { records } = await readEventFile(FILE)
    const imported = openDb(':memory:')
    expect(await importEvents({ store: sqliteStore(imported) }, records)).toMatchObject({
      stored: 102,
      invalid: 0,
    })
    expect(datasets(imported)).toEqual(datasets(posted))
    expect(results(imported)).toEqual(results(posted))
  })

  it('records no audit table of a test and no relation for an ephemeral model, saying so', async () => {
    const db = openDb(':memory:')
    const warnings = await postAll(db)
    expect(datasets(db)).toEqual([
      'compat.shop.customers model',
      'compat.shop.orders model',
      'compat.shop.stg_customers ephemeral',
      'compat.shop.stg_orders ephemeral',
      'compat.shop.stg_unused ephemeral',
      'compat.shop_raw.raw_customers seed',
      'compat.shop_raw.raw_orders seed',
    ])
    expect(
      warnings.filter((w) => w.includes('_dbt_test__audit.') && w.includes('--store-failures')),
    ).toHaveLength(16)
    expect(warnings).toContain(
      `${NS} compat.shop.stg_orders is an ephemeral dbt model (a CTE inlined where it is selected; no relation is built): recorded with kind ephemeral`,
    )
  })

  it('reads a test dbt skipped (an ABORT event) as skipped, not failed', () => {
    const abort = EVENTS.find(
      (e) => e.eventType === 'ABORT' && e.job.name.startsWith('test.compat_shop.not_null_orders'),
    )
    // dbt-ol marks the assertion unsuccessful though the test never ran
    expect(abort?.inputs[0].facets.dataQualityAssertions.assertions[0].success).toBe(false)
    const r = parseEvent(abort)
    if (!r.ok) throw new Error(r.reason)
    expect(r.batch.assertions.map((a) => `${a.dataset.name} ${a.status}`)).toEqual([
      'compat.shop.orders skipped',
    ])
  })

  it('meets collect dbt of the same build: one job per node, the function too, results alike', async () => {
    const db = openDb(':memory:')
    await collectDbt(db)
    const dbtOnly = { jobs: modelJobs(db), results: results(db) }
    await postAll(db)
    // the dbt 1.11 function's job is collect dbt's (by its unique id), not a second one
    expect(modelJobs(db)).toContain('compat.shop.function.compat_shop.cents_to_eur dbt_function')
    expect(modelJobs(db).filter((j) => j.includes('cents_to_eur'))).toEqual([
      'compat.shop.function.compat_shop.cents_to_eur dbt_function',
    ])
    expect(modelJobs(db)).toEqual(
      [
        ...dbtOnly.jobs,
        // dbt-ol's events of the ephemeral models, which collect dbt makes no job for
        'compat.shop.compat_shop.stg_customers dbt_model',
        'compat.shop.compat_shop.stg_orders dbt_model',
        'compat.shop.compat_shop.stg_unused dbt_model',
      ].sort(),
    )
    // every dbt result has its dbt-ol twin with the same status, on the same dataset
    const mine = results(db)
    for (const r of dbtOnly.results) {
      expect(mine).toContain(r)
      expect(mine).toContain(r.replace(/ dbt$/, ' openlineage'))
    }
    expect(mine.filter((r) => r.includes('not_null_orders_order_id'))).toEqual([
      'compat.shop.orders test.compat_shop.not_null_orders_order_id.cf6c17daed skipped dbt',
      'compat.shop.orders test.compat_shop.not_null_orders_order_id.cf6c17daed skipped openlineage',
    ])
  })
})
