import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Db } from '../../db/client.ts'
import { parseConfig } from '../../server/config-file.ts'
import type { ProductRuns } from '../../web/api.ts'
import { recentRunRows } from '../../web/model-runs.ts'
import { PUBLIC_OL, runEvent } from '../collectors/openlineage/helpers.ts'
import { startTestServer } from './test-server.ts'

// The run's Tags facet (TagsRunFacet) used, over HTTP on 127.0.0.1: the spec's own example
// (fixtures/openlineage/public: spec/tests/TagsRunFacet/1.json) and dbt-ol's recorded events
// (fixtures/openlineage/dbt-ol/sales.ndjson: every run tagged with openlineage_client_version, a
// model's run with its meta as DBT_META tags, e.g. domain:sales).
const SPEC_EXAMPLE = JSON.parse(
  readFileSync(join(PUBLIC_OL, 'openlineage/spec/tests/TagsRunFacet/1.json'), 'utf8'),
) as Record<string, unknown>
const SALES = fileURLToPath(
  new URL('../../fixtures/openlineage/dbt-ol/sales.ndjson', import.meta.url),
)

let url = ''
let db: Db
let close = () => Promise.resolve()
beforeAll(async () => {
  const s = await startTestServer('ol-run-tags-')
  url = s.url
  db = s.db
  close = s.close
})
afterAll(() => close())

async function post(event: unknown) {
  const res = await fetch(`${url}/api/v1/lineage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  })
  expect(res.status, await res.clone().text()).toBe(201)
}
async function get(path: string) {
  const res = await fetch(`${url}${path}`)
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}
const SPEC_EXAMPLE_TAGS = ['test_tag:test_value', 'test_tag2:test_value2']
type RunRow = { runId: string; tags: string[]; job: { name: string } }

describe('run tags (TagsRunFacet) on the run, in the runs list and as its filter', () => {
  it("shows the spec example's tags on GET /api/runs/:runId, kept when a later event omits them", async () => {
    const job = { namespace: 'tags-spec', name: 'tagged_job' }
    await post(
      runEvent({
        eventType: 'START',
        eventTime: '2026-03-01T01:00:00Z',
        job,
        run: { runId: 'tagged-run', facets: SPEC_EXAMPLE },
      }),
    )
    await post(runEvent({ eventTime: '2026-03-01T01:05:00Z', job, run: { runId: 'tagged-run' } }))
    const r = await get('/api/runs/tagged-run')
    expect(r.status).toBe(200)
    expect(r.body.run).toMatchObject({
      runId: 'tagged-run',
      state: 'COMPLETE',
      tags: ['test_tag:test_value', 'test_tag2:test_value2'],
    })
  })

  it("lists dbt-ol's recorded run tags on a product's runs and filters the runs by one", async () => {
    for (const line of readFileSync(SALES, 'utf8').split('\n'))
      if (line.trim()) await post(JSON.parse(line))
    const products = db.all<{ id: string }>(sql`select id from products order by id`)
    expect(products.length).toBeGreaterThan(0)
    const [product] = products
    const list = async (tag?: string) => {
      const query = tag === undefined ? '' : `&tag=${encodeURIComponent(tag)}`
      const r = await get(`/api/runs?product=${encodeURIComponent(product!.id)}&limit=200${query}`)
      expect(r.status).toBe(200)
      return r.body.runs as RunRow[]
    }
    const recorded = await list()
    expect(recorded.length).toBeGreaterThan(0)
    for (const run of recorded) {
      expect(run.tags).toContain('openlineage_client_version:1.54.0')
      expect(run.tags).toContain('domain:sales')
    }
    // the product page's Recent runs rows (web/model-runs.ts) carry them
    const answer = (await get(`/api/runs?product=${encodeURIComponent(product!.id)}&limit=200`))
      .body as ProductRuns
    expect(recentRunRows(answer).map((r) => r.tags)).toEqual(recorded.map((r) => r.tags))
    const [first] = recorded
    const detail = await get(`/api/runs/${encodeURIComponent(first!.runId)}`)
    expect(detail.body.run.tags).toEqual(first!.tags)
    // a later run of the same job tagged as the spec example: the filter tells the two apart
    const { namespace, name } = detail.body.run.job as { namespace: string; name: string }
    await post(
      runEvent({
        eventTime: '2026-12-01T00:00:00Z',
        job: { namespace, name },
        run: { runId: 'spec-tagged-model-run', facets: SPEC_EXAMPLE },
      }),
    )
    const ids = (runs: RunRow[]) => runs.map((r) => r.runId)
    // the job's runs too
    const jobRuns = await get(`/api/jobs/${detail.body.run.job.id}/runs`)
    expect(
      (jobRuns.body.runs as RunRow[]).map((r) => [r.runId, r.tags.includes('domain:sales')]),
    ).toEqual([
      ['spec-tagged-model-run', false],
      [first!.runId, true],
    ])
    expect((jobRuns.body.runs as RunRow[])[0]?.tags).toEqual(SPEC_EXAMPLE_TAGS)
    expect(ids(await list())).toEqual(['spec-tagged-model-run', ...ids(recorded)])
    // by key:value, or by key alone for any value
    expect(ids(await list('domain:sales'))).toEqual(ids(recorded))
    expect(ids(await list('domain'))).toEqual(ids(recorded))
    expect(ids(await list('test_tag:test_value'))).toEqual(['spec-tagged-model-run'])
    expect(ids(await list('test_tag2'))).toEqual(['spec-tagged-model-run'])
    expect(await list('domain:finance')).toEqual([])
    expect(await list('domain:sale')).toEqual([])
    const empty = await get(`/api/runs?product=${encodeURIComponent(product!.id)}&tag=`)
    expect(empty.status).toBe(400)
  })
})

describe('run tags in the root cause: the blamed run goes along with its tags', () => {
  const CONFIG = parseConfig(
    `version: 1
products:
  reporting.orders:
    domain: reporting
    outputs: [mart.daily_orders]
    sla:
      freshness: { max_age_hours: 24 }
`,
    'meshwatch.yml',
  )
  let base = ''
  let stop = () => Promise.resolve()
  beforeAll(async () => {
    const s = await startTestServer('ol-run-tags-rc-', { meshwatch: CONFIG })
    base = s.url
    stop = s.close
  })
  afterAll(() => stop())

  it('names the failed run and its tags on the product root cause and on its incident', async () => {
    const job = { namespace: 'airflow', name: 'reporting.build_orders' }
    const outputs = [{ namespace: 'pg', name: 'mart.daily_orders' }]
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()
    const send = async (e: unknown) => {
      const res = await fetch(`${base}/api/v1/lineage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(e),
      })
      expect(res.status, await res.clone().text()).toBe(201)
    }
    await send(runEvent({ eventTime: hoursAgo(48), job, outputs, run: { runId: 'loaded-run' } }))
    await send(
      runEvent({
        eventType: 'FAIL',
        eventTime: hoursAgo(1),
        job,
        outputs,
        run: { runId: 'failed-run', facets: SPEC_EXAMPLE },
      }),
    )
    const blamed = { runId: 'failed-run', tags: ['test_tag:test_value', 'test_tag2:test_value2'] }
    const rc = await fetch(`${base}/api/products/reporting.orders/root-cause`)
    expect(rc.status).toBe(200)
    const body = (await rc.json()) as Record<string, any>
    expect(body.rootCause?.culprit).toMatchObject({ name: job.name, kind: 'job', run: blamed })
    const inc = await fetch(`${base}/api/incidents?product=reporting.orders`)
    expect(inc.status).toBe(200)
    const incidents = ((await inc.json()) as { incidents: Record<string, any>[] }).incidents
    expect(incidents.length).toBeGreaterThan(0)
    expect(incidents[0]?.rootCause?.culprit).toMatchObject({ name: job.name, run: blamed })
  })
})
