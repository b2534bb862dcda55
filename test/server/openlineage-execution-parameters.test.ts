import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { facet, runEvent } from '../collectors/openlineage/helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// ExecutionParametersRunFacet as the spec defines it (recorded in fixtures/openlineage/public:
// spec/facets/ExecutionParametersRunFacet.json); the spec has no spec/tests example for it, so the
// parameter is the schema's own `example` values (key task.timeout, value the number 3600).
const SCHEMA = JSON.parse(
  readFileSync(
    fileURLToPath(
      new URL(
        '../../fixtures/openlineage/public/openlineage/spec/facets/ExecutionParametersRunFacet.json',
        import.meta.url,
      ),
    ),
    'utf8',
  ),
) as { $defs: { ExecutionParameter: { properties: Record<string, { example: unknown }> } } }
const EXAMPLE = Object.fromEntries(
  Object.entries(SCHEMA.$defs.ExecutionParameter.properties).map(([k, v]) => [k, v.example]),
) as Record<string, unknown>

const JOB = { namespace: 'spark', name: 'nightly_orders' }
const params = (...parameters: Record<string, unknown>[]) =>
  facet({ parameters }) as Record<string, unknown>

function setup() {
  const db = openDb(':memory:')
  const app = createApp({ store: sqliteStore(db) })
  const post = async (e: Record<string, unknown>) => {
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(e),
    })
    expect(res.status, await res.clone().text()).toBe(201)
  }
  const get = async (path: string) => {
    const res = await app.request(path)
    return { status: res.status, body: (await res.json()) as Record<string, any> }
  }
  return { post, get }
}

describe('GET /api/runs/:runId: the parameters a run ran with (ExecutionParametersRunFacet)', () => {
  it("shows the spec example's parameter on the run, its value as text", async () => {
    expect(EXAMPLE).toMatchObject({ key: 'task.timeout', value: 3600 })
    const { post, get } = setup()
    await post(
      runEvent({
        eventType: 'START',
        eventTime: '2026-03-01T01:00:00Z',
        job: JOB,
        run: { runId: 'run-1', facets: { executionParameters: params(EXAMPLE) } },
      }),
    )
    // the COMPLETE event does not repeat the facet: the run keeps it
    await post(runEvent({ eventTime: '2026-03-01T01:05:00Z', job: JOB, run: { runId: 'run-1' } }))
    const r = await get('/api/runs/run-1')
    expect(r.status).toBe(200)
    expect(r.body).toMatchObject({
      run: {
        runId: 'run-1',
        state: 'COMPLETE',
        job: { namespace: 'spark', name: 'nightly_orders' },
        facetNames: ['executionParameters'],
      },
      parameters: [
        {
          key: 'task.timeout',
          name: 'Task timeout',
          description: 'How long (in seconds) can individual task run without timing out.',
          value: '3600',
        },
      ],
      previousRun: null,
      parameterChanges: null,
    })
  })

  it("says what changed since the job's previous run, withholding secret values", async () => {
    const { post, get } = setup()
    await post(
      runEvent({
        eventTime: '2026-03-01T01:00:00Z',
        job: JOB,
        run: {
          runId: 'run-1',
          facets: { executionParameters: params(EXAMPLE, { key: 'mode', value: 'full' }) },
        },
      }),
    )
    await post(
      runEvent({
        eventType: 'FAIL',
        eventTime: '2026-03-02T01:00:00Z',
        job: JOB,
        run: {
          runId: 'run-2',
          facets: {
            executionParameters: params(
              { ...EXAMPLE, value: 60 },
              { key: 'db.password', value: 'hunter2' },
              { key: 'source', value: 'postgres://etl:s3cret@db:5432/shop' },
            ),
          },
        },
      }),
    )
    const r = await get('/api/runs/run-2')
    expect(r.body.previousRun).toEqual({
      runId: 'run-1',
      state: 'COMPLETE',
      startedAt: null,
    })
    expect(
      r.body.parameters.map((p: Record<string, unknown>) => [p.key, p.value, p.redacted]),
    ).toEqual([
      ['task.timeout', '60', undefined],
      ['db.password', '***', true],
      ['source', '***', true],
    ])
    expect(r.body.parameterChanges).toEqual([
      { key: 'task.timeout', change: 'changed', before: '3600', after: '60' },
      { key: 'db.password', change: 'added', after: '***' },
      { key: 'source', change: 'added', after: '***' },
      { key: 'mode', change: 'removed', before: 'full' },
    ])
    expect(JSON.stringify(r.body)).not.toMatch(/hunter2|s3cret/)
  })

  it('answers 404 with an error body for an unknown run', async () => {
    const { get } = setup()
    const r = await get('/api/runs/nope')
    expect(r.status).toBe(404)
    expect(r.body).toEqual({ error: { code: 'not_found', message: 'unknown run nope' } })
  })
})
