import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../../db/client.ts'
import { findDataset } from '../../../db/queries/catalog.ts'
import { createApp } from '../../../server/app.ts'
import { sqliteStore } from '../../../db/store.ts'

// Events shaped as public producers send them, recorded with openlineage-python
// (fixtures/openlineage/public-shapes/README.md names each source), posted as a client posts them.
const DIR = fileURLToPath(new URL('../../../fixtures/openlineage/public-shapes', import.meta.url))
type Event = { run: { runId: string } }
const load = (file: string): Event[] =>
  readFileSync(join(DIR, file), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Event)

async function postAll(file: string) {
  const db = openDb(':memory:')
  const app = createApp({ store: sqliteStore(db), now: () => new Date('2026-01-10T00:00:00Z') })
  const events = load(file)
  const answers = []
  for (const event of events) {
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event),
    })
    const body = (await res.json()) as { warnings: { path: string; message: string }[] }
    answers.push({ status: res.status, warnings: body.warnings.map((w) => w.path) })
  }
  const run = async (i: number) =>
    (await (await app.request(`/api/runs/${events[i]?.run.runId}`)).json()) as {
      run: { state: string; error: string | null; job: { name: string } }
    }
  return { db, answers, run }
}

describe('public event shapes', () => {
  it('Flink: a streaming job between Kafka topics, and a failed job with only an error', async () => {
    const { db, answers, run } = await postAll('flink.ndjson')
    expect(answers).toEqual([
      { status: 201, warnings: [] },
      { status: 201, warnings: [] },
    ])
    const topic = { namespace: 'kafka://kafka-cluster-prod:9092' }
    expect(findDataset(db, { ...topic, name: 'io.openlineage.flink.kafka.output' })).toBeDefined()
    // The Flink table name is a symlink of the topic: both name the same dataset.
    expect(
      findDataset(db, { ...topic, name: 'default_catalog.default_database.kafka_output' }),
    ).toBe(findDataset(db, { ...topic, name: 'io.openlineage.flink.kafka.output' }))
    expect((await run(1)).run).toMatchObject({
      state: 'FAIL',
      error: 'Application Status: FAILED',
      job: { name: 'flink_failed_job' },
    })
  })

  it('Spark serde: a parent facet without run is dropped with a warning, the rest is read', async () => {
    const { db, answers, run } = await postAll('spark-serde.ndjson')
    expect(answers).toEqual([{ status: 201, warnings: ['$.run.facets.parent'] }])
    expect((await run(0)).run).toMatchObject({ state: 'START', error: 'failed' })
    expect(findDataset(db, { namespace: 'ons', name: 'output' })).toBeDefined()
  })

  it('OpenMetadata Spark: column lineage naming an input not among the inputs is kept, warned', async () => {
    const { db, answers } = await postAll('openmetadata-spark.ndjson')
    expect(answers).toEqual([{ status: 201, warnings: ['$.outputs[0].facets.columnLineage'] }])
    const s3 = 's3a://test_db-db'
    expect(findDataset(db, { namespace: s3, name: 'src_table_test' })).toBeDefined()
    expect(findDataset(db, { namespace: s3, name: 'src_table_test' })).toBe(
      findDataset(db, {
        namespace: 'hive://hive-metastore.hive.svc.cluster.local:9083',
        name: 'shopify.raw_product_catalog',
      }),
    )
  })

  it('Marquez seed: a START with facets and a bare COMPLETE make one run', async () => {
    const { answers, run } = await postAll('marquez-seed.ndjson')
    expect(answers.map((a) => a.status)).toEqual([201, 201])
    expect((await run(1)).run).toMatchObject({ state: 'COMPLETE', job: { name: 'etl_menus' } })
  })
})

describe('public event shapes: Trino', () => {
  it("reads a failed query's errorMessage that has no programmingLanguage", async () => {
    const { answers, run } = await postAll('trino.ndjson')
    expect(answers).toEqual([
      { status: 201, warnings: [] },
      { status: 201, warnings: [] },
    ])
    expect((await run(1)).run).toMatchObject({
      state: 'FAIL',
      error: "line 1:52: Table 'memory.default.nope' does not exist",
      job: { name: '20260105_060000_00001_abcde' },
    })
  })
})
