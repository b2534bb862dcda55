import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { streamEventFile } from '../../collectors/openlineage/read.ts'
import type { Db } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { startTestServer } from './test-server.ts'

// Events of producers meshwatch had not met, as their projects' tests hold them, POSTed to a real
// server on 127.0.0.1 (fixtures/openlineage/public/README.md "Public events collected" names each
// source). The files are not copied: each event below is the cited file cut to the fields that
// showed the behaviour; harness templates get the runId, eventTime and producer the harness fills.
const OL = 'OpenLineage/OpenLineage @ 8f02abfb7a252783b95df79f443edb13959bf52c'
const HIVE = `https://github.com/OpenLineage/OpenLineage/tree/1.40.0/integration/hive`
const SPARK = 'https://github.com/OpenLineage/OpenLineage/tree/1.16.0/integration/spark'
const SCHEMA_URL = 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent'
const HMS = 'hive://localhost:9083'

let url = ''
let db: Db
let close = () => Promise.resolve()
beforeAll(async () => {
  const s = await startTestServer('ol-conformance-')
  url = s.url
  db = s.db
  close = s.close
})
afterAll(() => close())

type Warning = { path: string; message: string }
async function post(event: unknown): Promise<{ status: number; warnings: Warning[] }> {
  const res = await fetch(`${url}/api/v1/lineage`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(event),
  })
  const body = (await res.json()) as { warnings?: Warning[] }
  return { status: res.status, warnings: body.warnings ?? [] }
}
type Hop = { dataset: { name: string }; column: string; direct: boolean; transformation?: string }
type Column = { name: string; upstream: Hop[]; downstream: Hop[] }
async function columns(namespace: string, name: string): Promise<Map<string, Column>> {
  const id = findDataset(db, { namespace, name })
  expect(id, `${namespace} ${name}`).toBeDefined()
  const res = await fetch(`${url}/api/datasets/${id}/column-lineage`)
  expect(res.status).toBe(200)
  const body = (await res.json()) as { columns: Column[] }
  return new Map(body.columns.map((c) => [c.name, c]))
}
const hops = (list: Hop[] | undefined) =>
  (list ?? []).map((h) => `${h.dataset.name}.${h.column}${h.direct ? '' : ' (indirect)'}`).sort()

let runs = 0
const runId = () => `0190aaaa-0000-7000-8000-${String(++runs).padStart(12, '0')}`
const t = (type: string, subtype: string) => ({ type, subtype, description: '', masking: false })
const field = (name: string, f: string, ...transformations: object[]) => ({
  namespace: HMS,
  name,
  field: f,
  transformations,
})
// A Hive hook COMPLETE event (integration/hive/hive-openlineage-hook/integrations/container/*.json).
function hiveCtas(sql: string, output: string, columnLineage: object) {
  return {
    eventType: 'COMPLETE',
    eventTime: '2026-01-01T00:00:00Z',
    producer: HIVE,
    schemaURL: SCHEMA_URL,
    run: { runId: runId() },
    job: {
      namespace: 'default',
      name: `createtable_as_select.${output}`,
      facets: { sql: { query: sql, dialect: 'hive' } },
    },
    inputs: [
      {
        namespace: HMS,
        name: 'test.t1',
        facets: {
          schema: {
            fields: [
              { name: 'a', type: 'int' },
              { name: 'b', type: 'int' },
            ],
          },
        },
      },
    ],
    outputs: [{ namespace: HMS, name: output, facets: { columnLineage } }],
  }
}

describe(`Hive's OpenLineage hook (${OL}, integration/hive/hive-openlineage-hook)`, () => {
  // cllSimpleQueryIndirectComplete.json: b is read only by the WHERE, which the facet gives in its
  // dataset-wide list (ColumnLineageDatasetFacet 1-2-0 `dataset`). It was dropped: no downstream use
  // of t1.b, so the gate would call removing it harmless.
  it('records a column the whole output depends on (the `dataset` list) as an indirect use', async () => {
    const r = await post(
      hiveCtas('CREATE TABLE xxx AS SELECT a FROM t1 WHERE b > 1', 'test.xxx', {
        fields: { a: { inputFields: [field('test.t1', 'a', t('DIRECT', 'IDENTITY'))] } },
        dataset: [field('test.t1', 'b', t('INDIRECT', 'FILTER'))],
      }),
    )
    expect(r).toEqual({ status: 201, warnings: [] })
    const t1 = await columns(HMS, 'test.t1')
    expect(hops(t1.get('b')?.downstream)).toEqual(['test.xxx.a (indirect)'])
    expect(hops(t1.get('a')?.downstream)).toEqual(['test.xxx.a'])
  })

  // cllSimpleQueryWithCaseWhenConditionalComplete.json: b is both the condition (INDIRECT) and an
  // operand (DIRECT) of the one output column; the first transformation (INDIRECT) was kept.
  it('keeps the strongest of an input field’s transformations', async () => {
    await post(
      hiveCtas(
        'CREATE TABLE yyy AS SELECT CASE WHEN b > 1 THEN a ELSE a + b END AS cond FROM t1',
        'test.yyy',
        {
          fields: {
            cond: {
              inputFields: [
                field('test.t1', 'b', t('INDIRECT', 'CONDITIONAL'), t('DIRECT', 'TRANSFORMATION')),
                field('test.t1', 'a', t('DIRECT', 'IDENTITY'), t('DIRECT', 'TRANSFORMATION')),
              ],
            },
          },
          dataset: [],
        },
      ),
    )
    const yyy = await columns(HMS, 'test.yyy')
    expect(hops(yyy.get('cond')?.upstream)).toEqual(['test.t1.a', 'test.t1.b'])
  })
})

describe('the spec’s own column-lineage example with a `dataset` list', () => {
  // fixtures/openlineage/public/openlineage/spec/tests/ColumnLineageDatasetFacet/2.json (recorded
  // from the OpenLineage spec, record.sh): Spark sorting by last_name, first_name, filtering on age.
  it('adds the sort and filter columns to every output column, a direct use staying direct', async () => {
    const file = fileURLToPath(
      new URL(
        '../../fixtures/openlineage/public/openlineage/spec/tests/ColumnLineageDatasetFacet/2.json',
        import.meta.url,
      ),
    )
    const facet = (JSON.parse(readFileSync(file, 'utf8')) as { columnLineage: object })
      .columnLineage
    const people = {
      namespace: 's3://test-bucket',
      name: '/iceberg_warehouse/some-database/people',
    }
    const r = await post({
      eventType: 'COMPLETE',
      eventTime: '2026-01-01T00:00:00Z',
      producer: SPARK,
      schemaURL: SCHEMA_URL,
      run: { runId: runId() },
      job: { namespace: 'default', name: 'spec_example' },
      inputs: [people],
      outputs: [
        {
          namespace: 's3://test-bucket',
          name: '/out/people_next_year',
          facets: { columnLineage: facet },
        },
      ],
    })
    expect(r.status).toBe(201)
    const out = await columns('s3://test-bucket', '/out/people_next_year')
    expect(hops(out.get('lastName')?.upstream)).toEqual([
      `${people.name}.age (indirect)`,
      `${people.name}.first_name (indirect)`,
      `${people.name}.last_name`,
    ])
    expect(hops(out.get('ageNextYear')?.upstream)).toEqual([
      `${people.name}.age`,
      `${people.name}.first_name (indirect)`,
      `${people.name}.last_name (indirect)`,
    ])
  })
})

// datahub-project/datahub, metadata-integration/java/acryl-spark-lineage/src/test/resources/ol_events/
describe('Spark events of DataHub’s tests', () => {
  // redshift_mixed_case_lineage_spark.json @ 71b026918ac3b03177ba184eb299b5f787f92f9c: a JDBC input
  // DataHub.Metadata_Aspect_V2 whose column lineage names datahub.metadata_aspect_v2. That made a
  // second, phantom dataset holding the column edge.
  it('takes a column-lineage input spelled differently only in case as the event’s input', async () => {
    const mysql = 'mysql://localhost:3306'
    const redshift = 'redshift://my-redshift-cluster.us-west-2.redshift.amazonaws.com:5439'
    const r = await post({
      eventType: 'COMPLETE',
      eventTime: '2024-06-18T06:52:21.64Z',
      producer: SPARK,
      schemaURL: SCHEMA_URL,
      run: { runId: '01902a1e-371a-7dbf-8098-2337d441e8dc' },
      job: {
        namespace: 'default',
        name: 'jdbc_test_demo.execute_save_into_data_source_command.spark_redshift_load_test',
      },
      inputs: [{ namespace: mysql, name: 'DataHub.Metadata_Aspect_V2' }],
      outputs: [
        {
          namespace: redshift,
          name: 'DEV.PuBliC.SparK_RedshifT_Load_Test',
          facets: {
            columnLineage: {
              fields: {
                urn: {
                  inputFields: [
                    { namespace: mysql, name: 'datahub.metadata_aspect_v2', field: 'urn' },
                  ],
                },
              },
            },
          },
        },
      ],
    })
    expect(r).toEqual({
      status: 201,
      warnings: [
        {
          path: '$.outputs[0].facets.columnLineage',
          message:
            "column lineage reads datahub.metadata_aspect_v2, which differs from the event's dataset DataHub.Metadata_Aspect_V2 only in case: taken as DataHub.Metadata_Aspect_V2",
        },
      ],
    })
    expect(
      findDataset(db, { namespace: mysql, name: 'datahub.metadata_aspect_v2' }),
    ).toBeUndefined()
    const out = await columns(redshift, 'DEV.PuBliC.SparK_RedshifT_Load_Test')
    expect(hops(out.get('urn')?.upstream)).toEqual(['DataHub.Metadata_Aspect_V2.urn'])
  })

  // sample_failed_spark.json @ b550e3b7ede519d953209cb04f7a7dd7546fa760: Spark integration 1.2.2
  // reports a failure in its `spark.exception` run facet (message, stackTrace), not errorMessage.
  it('reads a failed Spark run’s reason from its spark.exception facet', async () => {
    const id = '9f06a36e-97c5-4d4a-9e92-0aef9ed2be4c'
    const producer = 'https://github.com/OpenLineage/OpenLineage/tree/1.2.2/integration/spark'
    const r = await post({
      eventType: 'FAIL',
      eventTime: '2023-09-27T13:38:39.278Z',
      producer,
      schemaURL: SCHEMA_URL,
      run: {
        runId: id,
        facets: {
          'spark.exception': {
            _producer: producer,
            _schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunFacet',
            message: 'Job aborted due to stage failure: Task 0 in stage 2.0 failed 1 times',
            stackTrace: 'org.apache.spark.SparkException: Job aborted due to stage failure\n\tat …',
          },
        },
      },
      job: {
        namespace: 'default',
        name: 'daily_stats.execute_insert_into_hadoop_fs_relation_command',
      },
    })
    expect(r).toEqual({ status: 201, warnings: [] })
    const run = (await (await fetch(`${url}/api/runs/${id}`)).json()) as {
      run: { state: string; error: string | null }
    }
    expect(run.run).toMatchObject({
      state: 'FAIL',
      error: 'Job aborted due to stage failure: Task 0 in stage 2.0 failed 1 times',
    })
  })

  // databricks_mergeinto_start_event.json @ 6413bb60846a8ddf67ec2342e2ce8d49770b2ba7: MERGE INTO
  // reads and writes one Delta table, whose column lineage also names the staging table.
  it('Databricks MERGE INTO: one dataset read and written, its table name an alias of it', async () => {
    const table = { namespace: 'dbfs', name: '/demo-warehouse/document' }
    const symlinks = {
      identifiers: [
        { namespace: 'dbfs:/demo-warehouse/document', name: 'documentraw.document', type: 'TABLE' },
      ],
    }
    const r = await post({
      eventType: 'START',
      eventTime: '2025-07-10T12:24:34.186Z',
      producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.33.0/integration/spark',
      schemaURL: SCHEMA_URL,
      run: {
        runId: '0197f44b-7231-7dcb-8d0c-349ce8b0f2c2',
        facets: {
          parent: {
            run: { runId: '0197f44a-aaaa-7d9f-a2c1-96ebf920205d' },
            job: { namespace: 'default', name: 'databricks_shell' },
            root: {
              run: { runId: '0197f44a-aaaa-bbbb-a2c1-96ebf920205d' },
              job: { namespace: 'default', name: 'Databricks Shell' },
            },
          },
        },
      },
      job: { namespace: 'default', name: 'my-docuemnt-merge-job' },
      inputs: [{ ...table, facets: { symlinks } }],
      outputs: [
        {
          ...table,
          facets: {
            symlinks,
            columnLineage: {
              fields: {
                DocYear: {
                  inputFields: [
                    { ...table, field: 'DocYear', transformations: [t('DIRECT', 'IDENTITY')] },
                    {
                      namespace: 'dbfs',
                      name: '/demo-warehouse/documentstage',
                      field: 'DocYear',
                      transformations: [t('DIRECT', 'IDENTITY')],
                    },
                  ],
                },
              },
            },
          },
        },
      ],
    })
    expect(r.status).toBe(201)
    expect(r.warnings.map((w) => w.message)).toEqual([
      "column lineage of DocYear reads dbfs /demo-warehouse/documentstage, which is not among the event's inputs: kept, the dataset recorded",
    ])
    const id = findDataset(db, table)
    expect(
      findDataset(db, { namespace: 'dbfs:/demo-warehouse/document', name: 'documentraw.document' }),
    ).toBe(id)
    const doc = await columns(table.namespace, table.name)
    expect(hops(doc.get('DocYear')?.upstream)).toEqual([
      '/demo-warehouse/document.DocYear',
      '/demo-warehouse/documentstage.DocYear',
    ])
  })
})

describe('a file with text after its event (DataHub flink_job_test.json)', () => {
  // flink_job_test.json @ 181d5b0c0267f675d24dc58a7f0723c5fc734f34 ends with one `}` too many
  // (Jackson, which DataHub and Marquez parse with, ignores trailing tokens).
  const EVENT = {
    eventType: 'START',
    eventTime: '2025-06-24T10:40:40.472698302Z',
    producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.35.0-SNAPSHOT/integration/flink',
    schemaURL: SCHEMA_URL,
    run: { runId: '0197a186-8ffc-73ac-b5c7-5b168e062215' },
    job: { namespace: 'flink-jobs', name: 'flink-sql-job-json' },
    inputs: [{ namespace: 'kafka://kafka-prod', name: 'lineage-test-topic-json' }],
    outputs: [{ namespace: 'kafka://kafka-prod', name: 'lineage-test-topic-json-flinkoutput' }],
  }
  const text = `${JSON.stringify(EVENT, null, 2)}\n}\n`

  it('collect openlineage reads the event and warns about the line after it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ol-trailing-')), 'flink_job_test.json')
    writeFileSync(file, text)
    const warnings: string[] = []
    const got = []
    for await (const r of streamEventFile(file, warnings)) got.push(r)
    expect(got).toHaveLength(1)
    expect(warnings).toEqual([
      `${file}:${text.split('\n').length - 1}: skipped: not JSON (text outside an event)`,
    ])
  })

  it('POST refuses the body with 400, naming JSON, and stores nothing', async () => {
    const res = await fetch(`${url}/api/v1/lineage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: text,
    })
    expect(res.status).toBe(400)
    expect(JSON.stringify(await res.json())).toMatch(/JSON/)
    expect(
      findDataset(db, { namespace: 'kafka://kafka-prod', name: 'lineage-test-topic-json' }),
    ).toBeUndefined()
  })
})

describe("the Airflow provider's all-facets system test", () => {
  // apache/airflow @ 7e52b411e638fa0cfcca8b73f4ad5a53b5aff619,
  // providers/openlineage/tests/system/openlineage/expected_events/openlineage_all_facets_dag.json
  // (and the DAG beside it): the client's facet classes attached under keys of the DAG's own — a
  // TestRunFacet as `testRun`, which the client sends with its _schemaURL — and severities
  // `WARNING`. The test result was not read (the spec names the facet `test`), and a failed
  // assertion of severity WARNING counted as an error.
  const PROVIDER = 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3'
  const base = (facet: string) => ({
    _producer: PROVIDER,
    _schemaURL: `https://openlineage.io/spec/facets/1-0-1/${facet}.json#/$defs/${facet}`,
  })
  const input = { namespace: 's3://all-facets-bucket', name: 'input/data.csv' }

  it('reads a facet by its _schemaURL under a key of its own, and WARNING as warn', async () => {
    const runId = '0190aaaa-0000-7000-8000-a11facet0001'
    const r = await post({
      eventType: 'COMPLETE',
      eventTime: '2026-01-01T00:00:00Z',
      producer: PROVIDER,
      schemaURL: SCHEMA_URL,
      run: {
        runId,
        facets: {
          testRun: {
            ...base('TestRunFacet'),
            tests: [
              {
                name: 'all_facets_test',
                status: 'success',
                severity: 'WARNING',
                type: 'integration',
                expected: 'all_facets_present',
                actual: 'all_facets_present',
              },
            ],
          },
        },
      },
      job: { namespace: 'default', name: 'openlineage_all_facets_dag.all_facets_task' },
      inputs: [
        {
          ...input,
          facets: {
            dataQualityAssertions: {
              assertions: [
                {
                  assertion: 'not_null',
                  success: true,
                  column: 'id',
                  severity: 'ERROR',
                  name: 'id_not_null_check',
                },
                {
                  assertion: 'row_count_above_threshold',
                  success: false,
                  severity: 'WARNING',
                  name: 'row_count_check',
                  expected: '>= 100',
                  actual: '10',
                },
              ],
            },
          },
        },
      ],
    })
    expect(r).toEqual({
      status: 201,
      warnings: [
        {
          path: '$.run.facets.testRun',
          message: "read facet testRun as test, the spec's name for the facet its _schemaURL names",
        },
      ],
    })
    const id = findDataset(db, input)
    const rows = db.all<{ name: string; status: string; severity: string }>(
      sql`select name, status, severity from assertions where dataset_id = ${id} order by name`,
    )
    expect(rows).toEqual([
      { name: 'all_facets_test', status: 'pass', severity: 'warn' },
      { name: 'id_not_null_check', status: 'pass', severity: 'error' },
      { name: 'row_count_check', status: 'warn', severity: 'warn' },
    ])
  })
})

describe("the Airflow provider's manual-lineage system test", () => {
  // apache/airflow @ ead8e24c9ac4ec1fbeece7dfdf662deea138071a,
  // providers/openlineage/tests/system/openlineage/expected_events/openlineage_manual_lineage_dag.json:
  // a task's inlets and outlets with dataQualityAssertions in their dataset facets, the output's
  // too (the spec makes it an input facet), sent on RUNNING events. Both were dropped without a
  // word: the output's facet was not read, and no result was read before the run ended.
  it('keeps the test results on an output dataset as on an input', async () => {
    const assertions = {
      _producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3',
      _schemaURL:
        'https://openlineage.io/spec/facets/1-0-1/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet',
      assertions: [
        { assertion: 'not_null', success: true, column: 'id' },
        { assertion: 'unique', success: false, column: 'id' },
      ],
    }
    const input = { namespace: 's3://example-bucket', name: 'raw/2024/01/01/orders.csv' }
    const output = {
      namespace: 'snowflake://example-acct',
      name: 'analytics.public.orders_enriched',
    }
    const r = await post({
      eventType: 'RUNNING',
      eventTime: '2026-01-01T00:00:00Z',
      producer: 'https://github.com/apache/airflow/tree/providers-openlineage/2.20.3',
      schemaURL: SCHEMA_URL,
      run: { runId: '0190aaaa-0000-7000-8000-a11f0000ba5e' },
      job: { namespace: 'default', name: 'openlineage_manual_lineage_dag.datasets_maximal' },
      inputs: [{ ...input, facets: { dataQualityAssertions: assertions } }],
      outputs: [{ ...output, facets: { dataQualityAssertions: assertions } }],
    })
    expect(r).toEqual({ status: 201, warnings: [] })
    const results = (ref: { namespace: string; name: string }) =>
      db.all<{ name: string; col: string; status: string }>(
        sql`select name, "column" as col, status from assertions where dataset_id = ${findDataset(db, ref)} order by name`,
      )
    const expected = [
      { name: 'not_null', col: 'id', status: 'pass' },
      { name: 'unique', col: 'id', status: 'fail' },
    ]
    expect(results(input)).toEqual(expected)
    expect(results(output)).toEqual(expected)
  })
})

describe('a Spark run whose parent facet names the run itself', () => {
  // datahub-project/datahub @ 144bccdae718c8628eba92cbdd4c391c8fb2d0fe,
  // metadata-integration/java/acryl-spark-lineage/src/test/resources/ol_events/map_partition_job.json
  // (Spark 1.24.2, an RDD job): parent.run.runId is the event's own runId. The run was stored as
  // its own parent.
  it('keeps the parent job and records no parent run', async () => {
    const runId = '01902a1e-0b05-750e-b38d-439998f7a853'
    const r = await post({
      eventType: 'START',
      eventTime: '2024-11-20T12:59:29.059Z',
      producer: 'https://github.com/OpenLineage/OpenLineage/tree/1.24.2/integration/spark',
      schemaURL: SCHEMA_URL,
      run: {
        runId,
        facets: {
          parent: { run: { runId }, job: { namespace: 'default', name: 'spark_context_session' } },
        },
      },
      job: {
        namespace: 'default',
        name: 'spark_context_session.map_partitions_parallel_collection',
      },
      inputs: [{ namespace: 's3://my-bucket', name: 'my_dir/my_file.csv' }],
      outputs: [{ namespace: 's3://my-bucket', name: 'my_dir/my_file.csv' }],
    })
    expect(r.status).toBe(201)
    expect(r.warnings.map((w) => w.path)).toEqual(['$.run.facets.parent.run.runId'])
    const run = (await (await fetch(`${url}/api/runs/${runId}`)).json()) as {
      run: { parentRunId: string | null }
    }
    expect(run.run.parentRunId).toBeNull()
    const parents = db.all<{ parent: string }>(
      sql`select p.name as parent from jobs j join jobs p on p.id = j.parent_id where j.name = 'spark_context_session.map_partitions_parallel_collection'`,
    )
    expect(parents).toEqual([{ parent: 'spark_context_session' }])
  })
})
