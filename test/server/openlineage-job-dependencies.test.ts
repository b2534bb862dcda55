import { describe, expect, it } from 'vitest'
import { openDb } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { parseConfig } from '../../server/config-file.ts'
import type { Deps } from '../../server/deps.ts'
import { applyConfigProducts, evaluateProducts } from '../../server/evaluate.ts'
import { facet, runEvent } from '../collectors/openlineage/helpers.ts'
import { sqliteStore } from '../../db/store.ts'

// An asset-triggered Airflow DAG (report) waits for another DAG (ingest): the provider says so
// in the JobDependenciesRunFacet. When ingest fails, the report's stale output is blamed on it.
const NOW = new Date('2026-03-10T12:00:00Z')
const CONFIG = parseConfig(
  `version: 1
products:
  reporting.daily_report:
    domain: reporting
    outputs: [mart.daily_report]
    sla:
      freshness: { max_age_hours: 24 }
`,
  'meshwatch.yml',
)
const jobType = (jobType: string) => ({
  jobType: facet({ integration: 'AIRFLOW', jobType, processingType: 'BATCH' }),
})
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString()

async function setup(dependencies: Record<string, unknown> | undefined) {
  const deps: Deps = { store: sqliteStore(openDb(':memory:')), meshwatch: CONFIG, now: () => NOW }
  const app = createApp(deps)
  const post = async (e: Record<string, unknown>) => {
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(e),
    })
    expect(res.status, await res.clone().text()).toBe(201)
  }
  // The report DAG's task wrote the product's output two days ago.
  await post(
    runEvent({
      eventType: 'COMPLETE',
      eventTime: at(48),
      run: {
        runId: 'report-task-1',
        facets: {
          parent: facet({
            run: { runId: 'report-dag-1' },
            job: { namespace: 'airflow', name: 'report' },
          }),
        },
      },
      job: { namespace: 'airflow', name: 'report.build', facets: jobType('TASK') },
      inputs: [{ namespace: 'pg', name: 'raw.events' }],
      outputs: [{ namespace: 'pg', name: 'mart.daily_report' }],
    }),
  )
  await post(
    runEvent({
      eventType: 'COMPLETE',
      eventTime: at(48),
      run: { runId: 'report-dag-1', facets: dependencies ? { jobDependencies: dependencies } : {} },
      job: { namespace: 'airflow', name: 'report', facets: jobType('DAG') },
      inputs: [],
      outputs: [],
    }),
  )
  // The ingest DAG failed since.
  await post(
    runEvent({
      eventType: 'FAIL',
      eventTime: at(20),
      run: {
        runId: 'ingest-dag-9',
        facets: {
          errorMessage: facet({
            message: 'source API answered 503',
            programmingLanguage: 'python',
          }),
        },
      },
      job: { namespace: 'airflow', name: 'ingest', facets: jobType('DAG') },
      inputs: [],
      outputs: [],
    }),
  )
  expect(await applyConfigProducts(deps)).toEqual([])
  return deps
}

describe('JobDependenciesRunFacet in root cause', () => {
  const upstreamIngest = facet({
    upstream: [
      { job: { namespace: 'airflow', name: 'ingest' }, dependency_type: 'IMPLICIT_DEPENDENCY' },
    ],
  })

  it('blames the stale output on the upstream job that failed', async () => {
    const deps = await setup(upstreamIngest)
    const e = (await evaluateProducts(deps)).evaluations.find(
      (x) => x.productId === 'reporting.daily_report',
    )
    expect(e?.dimensions.find((d) => d.dimension === 'freshness')?.status).not.toBe('ok')
    expect(e?.rootCause?.culprit).toMatchObject({ name: 'ingest', kind: 'job' })
    expect(e?.rootCause?.chain.map((c) => [c.name, c.via ?? null])).toEqual([
      ['mart.daily_report', null],
      ['report.build', 'lineage'],
      ['report', 'parent'],
      ['ingest', 'orchestration'],
    ])
  })

  it("the same link declared the other way, as the upstream job's downstream", async () => {
    const deps = await setup(undefined)
    const app = createApp(deps)
    const res = await app.request('/api/v1/lineage', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        runEvent({
          eventType: 'START',
          eventTime: at(21),
          run: {
            runId: 'ingest-dag-9',
            facets: {
              jobDependencies: facet({
                downstream: [{ job: { namespace: 'airflow', name: 'report' } }],
              }),
            },
          },
          job: { namespace: 'airflow', name: 'ingest', facets: jobType('DAG') },
          inputs: [],
          outputs: [],
        }),
      ),
    })
    expect(res.status).toBe(201)
    const e = (await evaluateProducts(deps)).evaluations.find(
      (x) => x.productId === 'reporting.daily_report',
    )
    expect(e?.rootCause?.culprit).toMatchObject({ name: 'ingest' })
  })

  it('without the facet, the failed ingest is not linked', async () => {
    const deps = await setup(undefined)
    const e = (await evaluateProducts(deps)).evaluations.find(
      (x) => x.productId === 'reporting.daily_report',
    )
    expect(e?.rootCause?.culprit.name).not.toBe('ingest')
  })
})
