import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { parseEvent } from '../../collectors/openlineage/parse.ts'
import { readEventFile } from '../../collectors/openlineage/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { importEvents } from '../../server/openlineage.ts'
import { sqliteStore } from '../../db/store.ts'

// OpenLineage producers other than dbt-ol and the Airflow provider, recorded from real runs (each
// folder's README names the versions and the recording script).
const FIXTURES = fileURLToPath(new URL('../../fixtures/openlineage', import.meta.url))
const NOW = new Date('2026-12-02T02:00:00Z')
type Event = Record<string, any>
const lines = (file: string): string[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())

const assertionsOf = (db: Db) =>
  db
    .all<{ k: string }>(
      sql`select d.namespace || ' ' || d.name || ' ' || a.name || ' ' || coalesce(a."column", '-') || ' ' || a.status as k
      from assertions a join datasets d on d.id = a.dataset_id order by k`,
    )
    .map((r) => r.k)
const metricsOf = (db: Db) =>
  db
    .all<{ k: string }>(
      sql`select d.name || ' ' || m.name || ' ' || cast(m.value as integer) as k from metrics m join datasets d on d.id = m.dataset_id order by k`,
    )
    .map((r) => r.k)

async function post(db: Db, body: string) {
  const app = createApp({ store: sqliteStore(db), now: () => NOW })
  const res = await app.request('/api/v1/lineage', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  })
  return { status: res.status, body: (await res.json()) as Record<string, any>, app }
}

describe('Great Expectations (OpenLineage validation action, recorded)', () => {
  const file = `${FIXTURES}/great-expectations/events.ndjson`
  const [orders] = lines(file).map((l) => JSON.parse(l) as Event)

  it('reads each expectation as a result on the validated dataset, the failed ones failing', () => {
    const r = parseEvent(orders)
    if (!r.ok) throw new Error(r.reason)
    expect(r.warnings).toEqual([])
    expect(r.batch.jobs.map((j) => `${j.namespace} ${j.name} ${j.description}`)).toEqual([
      'meshwatch-ge validate_orders Great Expectations checkpoint on orders',
    ])
    expect(r.batch.datasets).toEqual([
      expect.objectContaining({
        namespace: 'sqlite',
        name: 'orders',
        columns: [
          expect.objectContaining({ name: 'order_id', type: 'INTEGER' }),
          expect.objectContaining({ name: 'customer_id', type: 'INTEGER' }),
          expect.objectContaining({ name: 'status', type: 'TEXT' }),
          expect.objectContaining({ name: 'amount_cents', type: 'INTEGER' }),
        ],
      }),
    ])
    expect(r.batch.assertions.map((a) => `${a.name} ${a.column ?? '-'} ${a.status}`)).toEqual([
      'expect_column_values_to_not_be_null order_id pass',
      'expect_column_values_to_be_unique order_id pass',
      'expect_column_values_to_be_in_set status fail',
      'expect_column_values_to_not_be_null amount_cents fail',
      'expect_column_values_to_be_between amount_cents pass',
      'expect_table_row_count_to_be_between - pass',
    ])
    expect(new Set(r.batch.assertions.map((a) => a.key)).size).toBe(6)
    expect(r.batch.assertions.every((a) => a.runId === orders?.run.runId)).toBe(true)
    expect(r.batch.metrics.map((m) => `${m.name} ${m.value}`)).toEqual([
      'row_count 5',
      'column_nulls:amount_cents 1',
      'column_nulls:order_id 0',
    ])
  })

  it('is accepted by POST /api/v1/lineage, results and row count landing on the dataset', async () => {
    const db = openDb(':memory:')
    for (const line of lines(file)) {
      const res = await post(db, line)
      expect(res.status).toBe(201)
      expect(res.body.warnings).toEqual([])
    }
    expect(assertionsOf(db)).toEqual([
      'memory://pandas dataframe expect_column_values_to_be_unique customer_id pass',
      'memory://pandas dataframe expect_column_values_to_match_regex country pass',
      'memory://pandas dataframe expect_column_values_to_not_be_null customer_id pass',
      'memory://pandas dataframe expect_table_columns_to_match_ordered_list - pass',
      'sqlite orders expect_column_values_to_be_between amount_cents pass',
      'sqlite orders expect_column_values_to_be_in_set status fail',
      'sqlite orders expect_column_values_to_be_unique order_id pass',
      'sqlite orders expect_column_values_to_not_be_null amount_cents fail',
      'sqlite orders expect_column_values_to_not_be_null order_id pass',
      'sqlite orders expect_table_row_count_to_be_between - pass',
    ])
    expect(metricsOf(db)).toEqual([
      'dataframe column_nulls:customer_id 0',
      'orders column_nulls:amount_cents 1',
      'orders column_nulls:order_id 0',
      'orders row_count 5',
    ])
  })

  it('collect openlineage of the file stores the same', async () => {
    const { records, warnings } = await readEventFile(file)
    expect(warnings).toEqual([])
    const db = openDb(':memory:')
    const r = await importEvents({ store: sqliteStore(db), now: () => NOW }, records)
    expect(r).toMatchObject({ read: 2, stored: 2, invalid: 0 })
    const posted = openDb(':memory:')
    for (const line of lines(file)) await post(posted, line)
    expect(assertionsOf(db)).toEqual(assertionsOf(posted))
  })

  it('drops a malformed assertions facet alone, saying so, and keeps the rest', async () => {
    const broken = structuredClone(orders) as Event
    broken.inputs[0].inputFacets.greatExpectations_assertions.assertions[0].success = 'yes'
    const db = openDb(':memory:')
    const res = await post(db, JSON.stringify(broken))
    expect(res.status).toBe(201)
    expect(res.body.warnings).toEqual([
      {
        path: '$.inputs[0].inputFacets.greatExpectations_assertions',
        message: expect.stringMatching(/^dropped/),
      },
    ])
    expect(assertionsOf(db)).toEqual([])
    expect(metricsOf(db)).toEqual([
      'orders column_nulls:amount_cents 1',
      'orders column_nulls:order_id 0',
      'orders row_count 5',
    ])
  })
})
