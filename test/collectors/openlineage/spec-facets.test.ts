import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { UNPLACED_TEST } from '../../../collectors/batch.ts'
import { runTagsOf } from '../../../common/tags.ts'
import { PUBLIC_OL, runEvent } from './helpers.ts'

// The facets added to the spec since 2025, read from the spec's own files (recorded in
// fixtures/openlineage/public/openlineage/spec): spec/tests examples where the spec has them,
// else an instance built from the `example` values of the facet's JSON schema.
const SPEC = join(PUBLIC_OL, 'openlineage/spec')
const json = (path: string) =>
  JSON.parse(readFileSync(join(SPEC, path), 'utf8')) as Record<string, any>
const specTest = (path: string) => json(`tests/${path}.json`)

type Schema = Record<string, any>
/** An instance of a facet schema from its `example` values (every property, $refs followed). */
function fromExamples(file: string): Record<string, unknown> {
  const doc = json(`facets/${file}.json`)
  const build = (s: Schema): unknown => {
    if (s.$ref?.startsWith('#/$defs/')) return build(doc.$defs[s.$ref.slice(8)])
    if (s.$ref) return { _producer: 'https://openlineage.io/spec', _schemaURL: s.$ref }
    if (s.allOf) return Object.assign({}, ...s.allOf.map(build))
    if (s.example !== undefined)
      return s.type === 'string' && typeof s.example === 'string'
        ? s.example.split('|')[0]
        : s.example
    if (s.type === 'object' || s.properties) {
      const out: Record<string, unknown> = {}
      for (const [k, v] of Object.entries<Schema>(s.properties ?? {})) out[k] = build(v)
      return out
    }
    if (s.type === 'array') return [build(s.items)]
    if (s.format === 'uuid') return '0190a0a0-0000-7000-8000-0000000000aa'
    if (s.type === 'string') return `${file}-text`
    if (s.type === 'boolean') return true
    return 1
  }
  return build(doc.properties[Object.keys(doc.properties)[0] as string]) as Record<string, unknown>
}

const ok = (event: unknown) => {
  const r = parseEvent(JSON.parse(JSON.stringify(event)))
  if (!r.ok) throw new Error(r.reason)
  expect(r.warnings.filter((w) => w.message.startsWith('dropped '))).toEqual([])
  return r
}

describe('TestRunFacet', () => {
  const example = fromExamples('TestRunFacet')
  it('is built from the spec examples as expected', () => {
    expect(example).toMatchObject({
      tests: [
        {
          name: 'assert_no_orphans',
          status: 'pass',
          severity: 'error',
          expected: '1000',
          actual: '999',
        },
      ],
    })
  })

  it('puts each test result on the datasets the test run read, status apart from severity', () => {
    const fail = {
      ...example,
      tests: [
        {
          ...(example.tests as object[])[0],
          status: 'fail',
          severity: 'warn',
          name: 'test.sales.assert_paid.0123456789',
        },
      ],
    }
    const r = ok(
      runEvent({
        eventType: 'FAIL',
        run: { runId: 'r', facets: { test: fail } },
        inputs: [{ namespace: 'pg', name: 'db.s.orders' }],
        outputs: [],
      }),
    )
    expect(r.batch.assertions).toEqual([
      expect.objectContaining({
        dataset: { namespace: 'pg', name: 'db.s.orders' },
        name: 'assert_paid',
        status: 'warn',
        severity: 'warn',
        failures: 999,
        origin: 'openlineage',
      }),
    ])
    const pass = ok(
      runEvent({
        run: { runId: 'r', facets: { test: example } },
        inputs: [{ namespace: 'pg', name: 'db.s.orders' }],
      }),
    )
    expect(pass.batch.assertions.map((a) => [a.name, a.status, a.severity])).toEqual([
      ['assert_no_orphans', 'pass', 'error'],
    ])
  })

  it('waits for the run to end: a START carries no result', () => {
    const r = ok(
      runEvent({
        eventType: 'START',
        run: { runId: 'r', facets: { test: example } },
        inputs: [{ namespace: 'pg', name: 'd' }],
      }),
    )
    expect(r.batch.assertions).toEqual([])
  })

  // dbt-ol's own expected events (integration/common/tests/dbt/singular_test): no inputs.
  it('keeps the results of dbt-ol singular test events for the dbt test of that id, with a warning', () => {
    const events = JSON.parse(
      readFileSync(join(PUBLIC_OL, 'openlineage/dbt/singular_test.json'), 'utf8'),
    ) as unknown[]
    const results = events.flatMap((e) => {
      const r = ok(e)
      return r.batch.assertions.map((a) => [
        a.dataset.namespace,
        a.dataset.name,
        a.status,
        a.severity,
        r.warnings[0]?.path,
      ])
    })
    expect(results).toEqual([
      [
        UNPLACED_TEST,
        'test.my_project.assert_positive_amounts',
        'pass',
        'error',
        '$.run.facets.test',
      ],
      [
        UNPLACED_TEST,
        'test.my_project.assert_row_count_within_range',
        'warn',
        'warn',
        '$.run.facets.test',
      ],
    ])
  })
})

describe('JobDependenciesRunFacet', () => {
  it('records upstream and downstream jobs on the job, and the jobs themselves', () => {
    const example = fromExamples('JobDependenciesRunFacet')
    expect(example).toMatchObject({
      upstream: [
        {
          job: { namespace: expect.any(String), name: expect.any(String) },
          dependency_type: 'DIRECT_INVOCATION',
        },
      ],
    })
    const f = {
      ...example,
      upstream: [
        { ...(example.upstream as object[])[0], job: { namespace: 'airflow', name: 'ingest_dag' } },
      ],
      downstream: [
        {
          ...(example.downstream as object[])[0],
          job: { namespace: 'airflow', name: 'report_dag' },
        },
      ],
    }
    const r = ok(runEvent({ run: { runId: 'r', facets: { jobDependencies: f } } }))
    const self = r.batch.jobs[0]
    expect(self?.meta).toMatchObject({
      upstreamJobs: [{ namespace: 'airflow', name: 'ingest_dag' }],
      downstreamJobs: [{ namespace: 'airflow', name: 'report_dag' }],
    })
    expect(r.batch.jobs.map((j) => j.name)).toEqual(
      expect.arrayContaining(['ingest_dag', 'report_dag']),
    )
  })
})

describe('dataset and job facets from the spec examples', () => {
  it('Tags: dataset tags (not a column tag), job tags', () => {
    const r = ok(
      runEvent({
        job: { namespace: 'n', name: 'j', facets: specTest('TagsJobFacet/1') },
        outputs: [{ namespace: 'n', name: 'd', facets: specTest('TagsDatasetFacet/1') }],
        run: { runId: 'r', facets: specTest('TagsRunFacet/1') },
      }),
    )
    expect(r.batch.jobs[0]?.meta?.tags).toEqual(['test_tag:test_value', 'test_tag2:test_value2'])
    expect(r.batch.datasets.find((d) => d.name === 'd')?.tags).toEqual(['test_tag2:test_value2'])
    expect(runTagsOf(r.batch.runs[0]?.facets)).toEqual([
      'test_tag:test_value',
      'test_tag2:test_value2',
    ])
  })

  it('DatasetType, Catalog and Hierarchy: the kind and the meta of the dataset', () => {
    const catalog = fromExamples('CatalogDatasetFacet')
    const r = ok(
      runEvent({
        outputs: [
          {
            namespace: 'n',
            name: 'd',
            facets: {
              ...specTest('DatasetTypeDatasetFacet/1'),
              ...specTest('HierarchyDatasetFacet/1'),
              catalog,
            },
          },
        ],
      }),
    )
    const d = r.batch.datasets.find((x) => x.name === 'd')
    expect(d?.kind).toBe('view')
    expect(d?.meta).toMatchObject({
      datasetType: { datasetType: 'VIEW', subType: 'MATERIALIZED' },
      hierarchy: [
        { type: 'DATABASE', name: 'my_db' },
        { type: 'SCHEMA', name: 'my_schema' },
        { type: 'TABLE', name: 'my_table' },
      ],
      catalog: {
        framework: (catalog as { framework: string }).framework,
        type: (catalog as { type: string }).type,
        name: (catalog as { name: string }).name,
      },
    })
  })

  it('ExecutionParameters: read and kept with the run', () => {
    const f = fromExamples('ExecutionParametersRunFacet')
    const r = ok(runEvent({ run: { runId: 'r', facets: { executionParameters: f } } }))
    expect(r.batch.runs[0]?.facets?.executionParameters).toEqual(f)
  })
})

describe('LineageFacet (experimental)', () => {
  const edges = (r: ReturnType<typeof ok>) =>
    r.batch.edges.map((e) => `${e.job.name} ${e.direction} ${e.dataset.name}`).sort()
  it('job-to-job: the job entry runs after its JOB inputs', () => {
    const r = ok(
      runEvent({
        job: {
          namespace: 'airflow://production',
          name: 'daily.load',
          facets: specTest('LineageFacet/job-to-job'),
        },
        inputs: [],
        outputs: [],
      }),
    )
    expect(
      r.batch.jobs.find((j) => j.name === 'daily.load' && j.meta?.upstreamJobs)?.meta?.upstreamJobs,
    ).toEqual([{ namespace: 'airflow://production', name: 'daily.transform' }])
  })

  it('mixed sources: explicit edges replace every input × every output, with column lineage', () => {
    const r = ok(
      runEvent({
        job: {
          namespace: 'airflow://production',
          name: 'daily.enrich',
          facets: specTest('LineageFacet/mixed-sources'),
        },
        inputs: [
          { namespace: 'postgresql://warehouse:5432', name: 'public.orders' },
          { namespace: 'postgresql://warehouse:5432', name: 'public.unrelated' },
        ],
        outputs: [{ namespace: 'postgresql://warehouse:5432', name: 'public.enriched_orders' }],
      }),
    )
    expect(edges(r)).toEqual([
      'daily.enrich input public.orders',
      'daily.enrich output public.enriched_orders',
      'daily.enrichment output public.enriched_orders',
    ])
    expect(r.batch.columnEdges).toEqual([
      {
        dataset: { namespace: 'postgresql://warehouse:5432', name: 'public.enriched_orders' },
        column: 'customer_segment',
        from: { namespace: 'postgresql://warehouse:5432', name: 'public.orders' },
        fromColumn: 'customer_id',
      },
    ])
  })

  it('implicit job and dataset-to-job: the event job reads the DATASET inputs', () => {
    const r = ok(
      runEvent({
        job: { namespace: 'n', name: 'validate', facets: specTest('LineageFacet/implicit-job') },
        inputs: [],
        outputs: [],
      }),
    )
    expect(edges(r)).toEqual(['validate input public.transactions'])
  })

  it('dataset-to-dataset on a dataset: what it is made from, with column lineage', () => {
    const r = ok(
      runEvent({
        job: { namespace: 'n', name: 'load' },
        inputs: [],
        outputs: [
          {
            namespace: 'postgresql://warehouse:5432',
            name: 'public.customer_dim',
            facets: specTest('LineageFacet/dataset-to-dataset'),
          },
        ],
      }),
    )
    expect(edges(r)).toContain('load input public.customers')
    expect(
      r.batch.columnEdges.map(
        (c) => `${c.from.name}.${c.fromColumn}>${c.column} ${c.transformation}`,
      ),
    ).toEqual(['public.customers.id>customer_id DIRECT/IDENTITY'])
  })
})
