import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { describe, expect, it } from 'vitest'
import { openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { importEvents } from '../../server/openlineage.ts'
import { sqliteStore } from '../../db/store.ts'

// Events of public producers and of Marquez's own tests (fixtures/openlineage/public/README.md),
// posted as a client would post them.
const PUBLIC = fileURLToPath(new URL('../../fixtures/openlineage/public', import.meta.url))
const walk = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .flatMap((f) => {
      const p = join(dir, f)
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.json') ? [p] : []
    })
const load = (file: string): unknown[] => {
  const v = JSON.parse(readFileSync(join(PUBLIC, file), 'utf8')) as unknown
  return Array.isArray(v) ? v : [v]
}
// Complete events (not the spec's facet examples, nor the harness templates without producer).
const COMPLETE = walk(PUBLIC)
  .map((f) => relative(PUBLIC, f))
  .filter(
    (f) =>
      !f.startsWith('openlineage/spec/') &&
      !f.startsWith('openlineage/dbt-structured-logs/') &&
      f !== 'openlineage/dbt/duckdb.json',
  )

// Marquez stores these without the facet that does not match its schema.
const DROPPED: Record<string, string> = {
  'openlineage/fluentd/event_invalid_dataset_facet.json': '$.outputs[0].facets.ownership',
  'openlineage/fluentd/event_invalid_input_dataset_facet.json':
    '$.inputs[0].inputFacets.dataQualityMetrics',
  'openlineage/fluentd/event_invalid_job_facet.json': '$.job.facets.ownership',
  'openlineage/fluentd/event_invalid_output_dataset_facet.json':
    '$.outputs[0].outputFacets.outputStatistics',
  'openlineage/fluentd/event_invalid_run_facet.json': '$.run.facets.parent',
}
const REFUSED: Record<string, string> = {
  'openlineage/fluentd/event_no_run_id.json': '$.run.runId',
}

function setup() {
  const db = openDb(':memory:')
  const app = createApp({ store: sqliteStore(db), now: () => new Date('2026-01-10T00:00:00Z') })
  const post = (path: string, body: unknown) =>
    app.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
  return { db, app, post }
}
const count = (db: Db, table: string): number =>
  db.get<{ n: number }>(sql.raw(`select count(*) as n from ${table}`)).n

describe('public events, POSTed one by one', () => {
  it.each(COMPLETE)('%s', async (file) => {
    const { db, app, post } = setup()
    for (const event of load(file)) {
      const res = await post('/api/v1/lineage', event)
      const body = (await res.json()) as {
        warnings?: { path: string; message: string }[]
        error?: { path: string }
      }
      if (REFUSED[file]) {
        expect(res.status).toBe(422)
        expect(body.error?.path).toBe(REFUSED[file])
        expect(count(db, 'raw_events') + count(db, 'datasets') + count(db, 'jobs')).toBe(0)
        continue
      }
      expect(res.status, JSON.stringify(body)).toBe(201)
      const dropped = DROPPED[file]
      expect(
        (body.warnings ?? []).filter((w) => w.message.startsWith('dropped ')).map((w) => w.path),
      ).toEqual(dropped ? [dropped] : [])
      const runId = (event as { run?: { runId?: string } }).run?.runId
      if (runId === undefined) continue
      // The raw text is kept whole, dropped facet included, and the warning is served with it.
      const events = (await (
        await app.request(`/api/runs/${encodeURIComponent(runId)}/events`)
      ).json()) as {
        events: { event: unknown; warnings: { path: string }[] }[]
      }
      const kept = events.events.at(-1)
      expect(kept?.event).toEqual(event)
      if (dropped) expect(kept?.warnings.map((w) => w.path)).toContain(dropped)
    }
  })
})

describe('warnings on the other ways in', () => {
  const invalid = 'openlineage/fluentd/event_invalid_run_facet.json'

  it('/batch names each warning by the event index', async () => {
    const { post } = setup()
    const events = [...load('marquez/event_simple.json'), ...load(invalid)]
    const res = await post('/api/v1/lineage/batch', events)
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      summary: { successful: number }
      warnings: { index: number; path: string }[]
    }
    expect(body.summary.successful).toBe(2)
    expect(body.warnings.map((w) => [w.index, w.path])).toEqual([[1, '$[1].run.facets.parent']])
  })

  it('a bulk import names each warning by where the event was read', async () => {
    const db = openDb(':memory:')
    const r = await importEvents(
      { store: sqliteStore(db) },
      load(invalid).map((event) => ({ where: 'events.ndjson:7', event })),
    )
    expect(r).toMatchObject({ read: 1, stored: 1, invalid: 0 })
    expect(r.warnings).toEqual([
      'events.ndjson:7: $.run.facets.parent: dropped facet parent (ParentRunFacet): $.run.facets.parent.run.runId: required',
    ])
  })

  it('a body that is not JSON stays a 400', async () => {
    const { app } = setup()
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"eventTime":',
    })
    expect(res.status).toBe(400)
  })
})
