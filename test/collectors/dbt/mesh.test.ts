import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { refKey, type Batch } from '../../../collectors/batch.ts'
import { parseDbtArtifacts, readDbtTarget } from '../../../collectors/dbt/index.ts'
import { HAS_SHARED, REPO, readShared } from './helpers.ts'

const NS = 'postgres://localhost:5432'
const cosmos = (p: string): Batch =>
  parseDbtArtifacts(
    { manifest: readShared(`mesh/cosmos_cross_project/${p}/target/manifest.json`) },
    { namespace: NS },
  )

describe.skipIf(!HAS_SHARED)('dbt Mesh: several projects give one graph', () => {
  it('gives an upstream public model the same identity and domain from both projects', () => {
    const upstream = cosmos('upstream')
    const downstream = cosmos('downstream')
    const mine = new Map(upstream.datasets.map((d) => [refKey(d), d]))
    const carried = downstream.datasets.filter((d) => d.domain === 'upstream')
    expect(carried.map((d) => d.externalId).sort()).toEqual([
      'model.upstream.int_customer_orders',
      'model.upstream.int_orders_enriched',
      'model.upstream.stg_customers',
      'model.upstream.stg_order_items',
      'model.upstream.stg_products',
    ])
    for (const d of carried) {
      expect(mine.get(refKey(d))).toMatchObject({
        namespace: d.namespace,
        name: d.name,
        domain: 'upstream',
        kind: 'model',
        externalId: d.externalId,
      })
    }
  })

  it('makes a cross-project ref a cross-domain edge and emits no job for the other project', () => {
    const downstream = cosmos('downstream')
    expect(downstream.jobs.every((j) => !j.externalId?.startsWith('model.upstream.'))).toBe(true)
    const domainOf = new Map(downstream.datasets.map((d) => [refKey(d), d.domain]))
    const jobDomain = new Map(downstream.jobs.map((j) => [refKey(j), j.domain]))
    const crossing = downstream.edges.filter(
      (e) =>
        e.direction === 'input' && domainOf.get(refKey(e.dataset)) !== jobDomain.get(refKey(e.job)),
    )
    expect(crossing).toContainEqual({
      job: { namespace: 'default', name: 'postgres.finance.downstream.fct_revenue' },
      dataset: { namespace: NS, name: 'postgres.platform.int_orders_enriched' },
      direction: 'input',
    })
  })

  it('links two projects that depend on each other both ways', () => {
    const a = cosmos('project_a_bidirectional')
    const b = cosmos('project_b_bidirectional')
    const ids = (batch: Batch, domain: string) =>
      batch.datasets.filter((d) => d.domain === domain).map((d) => refKey(d))
    expect(ids(b, 'project_b')).toEqual(expect.arrayContaining(ids(a, 'project_b')))
    expect(ids(a, 'project_a')).toEqual(expect.arrayContaining(ids(b, 'project_a')))
  })
})

// Real dbt-ol 1.54 events recorded for the duckdb demo mesh (fixtures/record/build-demo.sh).
const DBT_OL = join(REPO, 'fixtures/openlineage/dbt-ol')
const recorded = existsSync(DBT_OL)
  ? readdirSync(DBT_OL)
      .filter((f) => f.endsWith('.ndjson'))
      .map((f) => f.replace(/\.ndjson$/, ''))
      .filter((p) => existsSync(join(REPO, 'fixtures/dbt/good', p, 'target/manifest.json')))
  : []

type OlRef = { namespace: string; name: string }
type OlEvent = {
  job: OlRef & { facets?: { jobType?: { jobType?: string } } }
  inputs?: OlRef[]
  outputs?: OlRef[]
}

describe.skipIf(recorded.length === 0)('names equal those of dbt-ol for the same project', () => {
  it.each(recorded)(
    '%s: every dataset and model job dbt-ol emitted is in the batch',
    async (project) => {
      const events: OlEvent[] = readFileSync(join(DBT_OL, `${project}.ndjson`), 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l))
      const dir = join(REPO, 'fixtures/dbt/projects', project)
      const batch = await readDbtTarget(join(REPO, 'fixtures/dbt/good', project, 'target'), {
        profilesDir: dir,
        projectDir: dir,
        jobNamespace: events[0]?.job.namespace ?? 'default',
      })
      const datasets = new Set(batch.datasets.map(refKey))
      const olDatasets = new Set(
        events.flatMap((e) => [...(e.inputs ?? []), ...(e.outputs ?? [])]).map(refKey),
      )
      expect([...olDatasets].filter((k) => !datasets.has(k))).toEqual([])

      const jobs = new Set(batch.jobs.map(refKey))
      const modelJobs = events
        .filter((e) => ['MODEL', 'SNAPSHOT'].includes(e.job.facets?.jobType?.jobType ?? ''))
        // dbt-ol appends the command under `dbt build`; our job is the command-independent name
        .map((e) =>
          refKey({
            namespace: e.job.namespace,
            name: e.job.name
              .replace(/\.build\.run$/, '')
              .replace(/\.build\.snapshot$/, '.snapshot'),
          }),
        )
      expect(modelJobs.length).toBeGreaterThan(0)
      expect(modelJobs.filter((k) => !jobs.has(k))).toEqual([])
    },
  )
})
