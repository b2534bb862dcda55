import { readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { readEventFile, type EventRecord } from '../../collectors/openlineage/read.ts'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { importEvents } from '../../server/openlineage.ts'
import { sqliteStore } from '../../db/store.ts'

// Bulk import (collect openlineage) folds a chunk of events into one write; the store must end up
// exactly as if each event had been POSTed on its own.
const FIXTURES = fileURLToPath(new URL('../../fixtures/openlineage', import.meta.url))
const NOW = new Date('2026-01-10T00:00:00Z')
const FILES = [
  ...readdirSync(`${FIXTURES}/dbt-ol`)
    .filter((f) => f.endsWith('.ndjson'))
    .map((f) => `${FIXTURES}/dbt-ol/${f}`),
  `${FIXTURES}/python-client/events.ndjson`,
]

async function readAll(files: string[]): Promise<EventRecord[]> {
  const out: EventRecord[] = []
  for (const f of files) out.push(...(await readEventFile(f)).records)
  return out
}

const DS = (alias: string, col: string) =>
  `(select namespace || ' ' || name from datasets where id = ${alias}.${col})`
const JOB = (alias: string, col: string) =>
  `(select namespace || ' ' || name from jobs where id = ${alias}.${col})`
const TABLES: Record<string, string> = {
  datasets: `select namespace, name, domain, owner, kind, description, access, contract_enforced, columns, tags, meta, source_file, external_id, first_seen_at, updated_at from datasets`,
  aliases: `select a.namespace, a.name, ${DS('a', 'dataset_id')} from dataset_aliases a`,
  versions: `select ${DS('v', 'dataset_id')}, columns_hash, columns, observed_at from dataset_versions v`,
  jobs: `select j.namespace, j.name, domain, owner, type, ${JOB('j', 'parent_id')}, description, schedule, meta, external_id, updated_at from jobs j`,
  runs: `select run_id, ${JOB('r', 'job_id')}, state, started_at, ended_at, nominal_time, error, rows_affected, parent_run_id, facets, updated_at from runs r`,
  edges: `select ${JOB('e', 'job_id')}, ${DS('e', 'dataset_id')}, direction, updated_at from lineage_edges e`,
  columnEdges: `select ${DS('c', 'dataset_id')}, "column", ${DS('c', 'from_dataset_id')}, from_column, transformation from column_edges c`,
  assertions: `select key, ${DS('a', 'dataset_id')}, "column", name, status, severity, failures, message, observed_at, origin, run_id from assertions a`,
  metrics: `select ${DS('m', 'dataset_id')}, name, value, status, detail, observed_at, run_id from metrics m`,
  rawEvents: `select event_hash, kind, run_id, job_namespace, job_name, event_type, event_time, received_at, payload from raw_events`,
}

function dump(db: Db): Record<string, string[]> {
  const out: Record<string, string[]> = {}
  for (const [name, q] of Object.entries(TABLES)) {
    out[name] = db.$client
      .prepare(q)
      .raw()
      .all()
      .map((r) => JSON.stringify(r))
      .sort()
  }
  return out
}

async function postOneByOne(records: EventRecord[]): Promise<Db> {
  const db = openDb(':memory:')
  const app = createApp({ store: sqliteStore(db), now: () => NOW })
  for (const r of records) {
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(r.event),
    })
    expect(res.status, await res.clone().text()).toBeLessThan(300)
  }
  return db
}

describe('importEvents', () => {
  it.each([{ chunk: 5000 }, { chunk: 7 }, { chunk: 1 }])(
    'stores the fixtures in chunks of $chunk exactly as one POST per event does',
    async ({ chunk }) => {
      const records = await readAll(FILES)
      const expected = dump(await postOneByOne(records))
      const db = openDb(':memory:')
      const r = await importEvents({ store: sqliteStore(db), now: () => NOW }, records, { chunk })
      expect(r).toMatchObject({
        read: records.length,
        stored: records.length,
        duplicates: 0,
        invalid: 0,
      })
      const got = dump(db)
      for (const table of Object.keys(TABLES)) expect(got[table], table).toEqual(expected[table])
      expect(got.datasets?.length).toBeGreaterThan(0)
    },
  )

  it('counts events it already has as duplicates and stores nothing new', async () => {
    const records = await readAll(FILES)
    const db = openDb(':memory:')
    await importEvents({ store: sqliteStore(db), now: () => NOW }, records)
    const before = dump(db)
    const again = await importEvents(
      { store: sqliteStore(db), now: () => NOW },
      [...records, ...records],
      { chunk: 9 },
    )
    expect(again).toMatchObject({ stored: 0, duplicates: records.length * 2, invalid: 0 })
    expect(dump(db)).toEqual(before)
  })

  it('skips a bad event inside a chunk with a warning naming file:line, and keeps the rest whole', async () => {
    const records = await readAll(FILES)
    const bad: EventRecord = {
      where: 'events.ndjson:3',
      event: { eventTime: 'yesterday', run: { runId: 'x' }, job: { namespace: 'n', name: 'j' } },
    }
    const mixed = [...records.slice(0, 2), bad, ...records.slice(2)]
    const db = openDb(':memory:')
    const r = await importEvents({ store: sqliteStore(db), now: () => NOW }, mixed, { chunk: 5000 })
    expect(r).toMatchObject({ read: records.length + 1, stored: records.length, invalid: 1 })
    // The other warnings are what the kept events could not all be read (dbt-ol's CTE lineage).
    const skipped = r.warnings.filter((w) => w.includes(': skipped: '))
    expect(skipped).toHaveLength(1)
    expect(skipped[0]).toMatch(/^events\.ndjson:3: skipped: invalid RunEvent: \$\.eventTime/)
    expect(dump(db)).toEqual(dump(await postOneByOne(records)))
  })

  it('keeps nothing of a chunk whose write fails', async () => {
    const db = openDb(':memory:')
    db.$client.exec(
      `create trigger no_runs before insert on runs when new.run_id = 'boom' begin select raise(abort, 'refused'); end`,
    )
    const event = (runId: string, i: number) => ({
      eventType: 'START',
      eventTime: `2026-01-01T00:00:0${i}Z`,
      run: { runId },
      job: { namespace: 'n', name: `j${i}` },
      inputs: [{ namespace: 'n', name: `d${i}` }],
      producer: 'p',
      schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    })
    const records = ['a', 'boom', 'c'].map((id, i) => ({
      where: `f:${i + 1}`,
      event: event(id, i),
    }))
    await expect(
      importEvents({ store: sqliteStore(db), now: () => NOW }, records, { chunk: 10 }),
    ).rejects.toThrow(/refused/)
    for (const t of ['raw_events', 'datasets', 'jobs', 'runs', 'lineage_edges']) {
      expect(db.get<{ n: number }>(sql.raw(`select count(*) as n from ${t}`)).n, t).toBe(0)
    }
  })
})
