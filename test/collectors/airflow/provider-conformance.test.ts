import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collectAirflow } from '../../../collectors/airflow/index.ts'
import type { Batch } from '../../../collectors/batch.ts'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { startStub, type Stub } from './stub.ts'

// The provider sends a DAG's tags as Tags entries whose value is the tag itself (apache/airflow @
// 7e52b411e638fa0cfcca8b73f4ad5a53b5aff619, providers/openlineage/tests/system/openlineage/
// expected_events/openlineage_trigger_dag__af3_3_plus.json: {"key": "first", "value": "first",
// "source": "AIRFLOW"}), as our own recording of Airflow 3.3.2 + provider 2.20.3 shows
// (fixtures/airflow/3.3/openlineage.jsonl). They were read as `key:value`: the DAG tagged
// domain:sales was tagged domain:sales:domain:sales by its events and domain:sales by REST.
const DIR = join(import.meta.dirname, '../../../fixtures/airflow/3.3')

let stub: Stub
let rest: Batch
beforeAll(async () => {
  stub = await startStub({ dir: join(DIR, 'rest'), version: 'v2' })
  ;({ batch: rest } = await collectAirflow({
    url: stub.url,
    auth: { username: 'admin', password: 'admin' },
  }))
})
afterAll(async () => {
  await stub.close()
})

describe("the provider's DAG tags", () => {
  it('are the tags REST gives the same DAG', () => {
    const fromEvents = new Map<string, unknown>()
    for (const line of readFileSync(join(DIR, 'openlineage.jsonl'), 'utf8').split('\n')) {
      if (!line) continue
      const r = parseEvent(JSON.parse(line))
      if (!r.ok) throw new Error(r.reason)
      for (const j of r.batch.jobs) if (j.meta?.tags) fromEvents.set(j.name, j.meta.tags)
    }
    const dags = rest.jobs.filter((j) => j.type === 'airflow_dag' && fromEvents.has(j.name))
    expect(dags.length).toBeGreaterThan(2)
    for (const dag of dags) expect(fromEvents.get(dag.name), dag.name).toEqual(dag.meta?.tags)
    expect(fromEvents.get('orders_hourly')).toEqual(['domain:sales'])
  })
})
