import { describe, expect, it } from 'vitest'
import { parseEvent } from '../../../collectors/openlineage/parse.ts'
import { normalizeOlTime } from '../../../collectors/openlineage/time.ts'
import {
  HAS_SHARED,
  PRODUCER,
  facet,
  runEvent,
  sharedEvents,
  specFacetExamples,
} from './helpers.ts'

// Refused as Marquez refuses them: required fields missing (or not an event at all).
const REJECTED: Record<string, string> = {
  'client_python_tests__nominal_time_without_end.json': '$',
  'proxy_fluentd_events__event_no_run_id.json': '$.run.runId',
}
// Stored as Marquez stores them, without the one facet that does not match its schema.
const DROPPED: Record<string, string> = {
  'proxy_fluentd_events__event_invalid_dataset_facet.json': '$.outputs[0].facets.ownership',
  'proxy_fluentd_events__event_invalid_input_dataset_facet.json':
    '$.inputs[0].inputFacets.dataQualityMetrics',
  'proxy_fluentd_events__event_invalid_job_facet.json': '$.job.facets.ownership',
  'proxy_fluentd_events__event_invalid_output_dataset_facet.json':
    '$.outputs[0].outputFacets.outputStatistics',
  'proxy_fluentd_events__event_invalid_run_facet.json': '$.run.facets.parent',
}

describe('normalizeOlTime', () => {
  it.each([
    {
      name: 'keeps milliseconds in UTC',
      input: '2020-12-28T19:51:01.641Z',
      expected: '2020-12-28T19:51:01.641Z',
    },
    {
      name: 'converts an offset to UTC',
      input: '2020-12-28T19:52:00.001+10:00',
      expected: '2020-12-28T09:52:00.001Z',
    },
    {
      name: 'reads a time without zone as UTC',
      input: '2021-11-03T10:53:52.427343',
      expected: '2021-11-03T10:53:52.427343Z',
    },
    {
      name: 'keeps nanoseconds',
      input: '2024-05-01T00:00:00.123456789Z',
      expected: '2024-05-01T00:00:00.123456789Z',
    },
    {
      name: 'pads whole seconds to milliseconds',
      input: '2024-05-01T00:00:00Z',
      expected: '2024-05-01T00:00:00.000Z',
    },
    {
      name: 'accepts a compact offset',
      input: '2024-05-01T00:30:00-0130',
      expected: '2024-05-01T02:00:00.000Z',
    },
    {
      name: 'converts an offset across midnight',
      input: '2024-03-01T01:30:00.5+02:00',
      expected: '2024-02-29T23:30:00.500Z',
    },
    {
      name: 'accepts a comma fraction and a lowercase z',
      input: '2024-05-01T10:00:00,25z',
      expected: '2024-05-01T10:00:00.250Z',
    },
    {
      name: 'accepts a leap day',
      input: '2024-02-29T12:00:00Z',
      expected: '2024-02-29T12:00:00.000Z',
    },
    { name: 'rejects Feb 29 of a common year', input: '2023-02-29T12:00:00Z', expected: undefined },
    { name: 'rejects hour 24', input: '2024-05-01T24:00:00Z', expected: undefined },
    { name: 'rejects a date alone as an event time', input: '2020-01-01', expected: undefined },
    { name: 'rejects an impossible date', input: '2024-02-30T00:00:00Z', expected: undefined },
    { name: 'rejects words', input: 'yesterday', expected: undefined },
  ])('$name', ({ input, expected }) => {
    expect(normalizeOlTime(input)).toBe(expected)
  })

  it('accepts a date alone where a date is allowed (nominal times)', () => {
    expect(normalizeOlTime('2020-01-01', { dateOnly: true })).toBe('2020-01-01T00:00:00.000Z')
  })
})

/** A schema field with `depth` levels of struct fields above `leaf`. */
const nestedField = (depth: number, leaf: Record<string, unknown>): Record<string, unknown> =>
  depth === 0 ? leaf : { name: `f${depth}`, type: 'struct', fields: [nestedField(depth - 1, leaf)] }
const withFields = (fields: unknown[]) =>
  runEvent({ outputs: [{ namespace: 'n', name: 'd', facets: { schema: facet({ fields }) } }] })

describe('parseEvent', () => {
  it.each([
    { name: 'a run event by its run', input: runEvent(), kind: 'RunEvent' },
    {
      name: 'a job event: job and no run',
      input: {
        ...runEvent(),
        run: undefined,
        eventType: undefined,
        schemaURL: 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent',
      },
      kind: 'JobEvent',
    },
    {
      name: 'a dataset event: dataset and no job',
      input: {
        eventTime: '2026-01-01T00:00:00Z',
        producer: PRODUCER,
        schemaURL: 'x#/$defs/DatasetEvent',
        dataset: { namespace: 'n', name: 'd' },
      },
      kind: 'DatasetEvent',
    },
  ])('tells $name', ({ input, kind }) => {
    const r = parseEvent(JSON.parse(JSON.stringify(input)))
    expect(r.ok && r.kind).toBe(kind)
  })

  it.each([
    {
      name: 'a job without run whose schemaURL says RunEvent',
      input: { ...runEvent(), run: undefined },
      path: '$.run',
    },
    { name: 'an array', input: [runEvent()], path: '$' },
    {
      name: 'a missing eventTime',
      input: { ...runEvent(), eventTime: undefined },
      path: '$.eventTime',
    },
    {
      name: 'a missing producer',
      input: { ...runEvent(), producer: undefined },
      path: '$.producer',
    },
    {
      name: 'a job without namespace',
      input: runEvent({ job: { name: 'x' } }),
      path: '$.job.namespace',
    },
    {
      name: 'a dataset without a name',
      input: runEvent({ inputs: [{ namespace: 'n' }] }),
      path: '$.inputs[0].name',
    },
    {
      name: 'a job name that is not a string',
      input: runEvent({ job: { namespace: 'n', name: 7 } }),
      path: '$.job.name',
    },
  ])('rejects $name, naming the path', ({ input, path }) => {
    const r = parseEvent(JSON.parse(JSON.stringify(input)))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.path).toBe(path)
  })

  it('flattens schema fields nested 10 deep', () => {
    const r = parseEvent(withFields([nestedField(10, { name: 'leaf', type: 'int' })]))
    if (!r.ok) throw new Error(r.reason)
    const columns = r.batch.datasets.find((d) => d.name === 'd')?.columns ?? []
    expect(columns).toHaveLength(11)
    expect(columns.at(-1)).toEqual({ name: 'f10.f9.f8.f7.f6.f5.f4.f3.f2.f1.leaf', type: 'int' })
  })

  it('accepts a runId that is not a UUID and a missing eventType', () => {
    const r = parseEvent(runEvent({ run: { runId: 'manual__2026-01-01' }, eventType: undefined }))
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.batch.runs[0]).toMatchObject({ runId: 'manual__2026-01-01', state: 'OTHER' })
  })

  it('keeps unknown facets verbatim in the run', () => {
    const custom = facet({ anything: { nested: [1, 2] } })
    const r = parseEvent(runEvent({ run: { runId: 'r1', facets: { airflow_custom: custom } } }))
    expect(r.ok && r.batch.runs[0]?.facets).toEqual({ airflow_custom: custom })
  })

  it('maps facets to columns, docs, owner, aliases, column lineage, assertions and metrics', () => {
    const r = parseEvent(
      runEvent({
        inputs: [
          {
            namespace: 'pg',
            name: 'db.s.src',
            inputFacets: {
              dataQualityAssertions: facet({
                assertions: [
                  { assertion: 'not_null', success: true, column: 'id' },
                  { assertion: 'unique', success: false, column: 'id', severity: 'warn' },
                  { assertion: 'row_count', success: false, actual: '3' },
                ],
              }),
              dataQualityMetrics: facet({ rowCount: 10, bytes: 200, columnMetrics: {} }),
            },
          },
        ],
        outputs: [
          {
            namespace: 'pg',
            name: 'db.s.out',
            facets: {
              schema: facet({
                fields: [
                  { name: 'id', type: 'int' },
                  { name: 'addr', type: 'struct', fields: [{ name: 'zip' }] },
                ],
              }),
              documentation: facet({ description: 'the output' }),
              ownership: facet({ owners: [{ name: 'team:sales' }] }),
              symlinks: facet({
                identifiers: [{ namespace: 'hive', name: 'warehouse.out', type: 'TABLE' }],
              }),
              columnLineage: facet({
                fields: {
                  id: {
                    inputFields: [
                      {
                        namespace: 'pg',
                        name: 'db.s.src',
                        field: 'id',
                        transformations: [{ type: 'DIRECT', subtype: 'IDENTITY' }],
                      },
                    ],
                  },
                },
              }),
            },
            outputFacets: { outputStatistics: facet({ rowCount: 7, size: 1024 }) },
          },
        ],
      }),
    )
    if (!r.ok) throw new Error(r.reason)
    const b = r.batch
    expect(b.datasets.find((d) => d.name === 'db.s.out')).toMatchObject({
      columns: [
        { name: 'id', type: 'int' },
        { name: 'addr', type: 'struct' },
        { name: 'addr.zip' },
      ],
      description: 'the output',
      owner: 'team:sales',
      aliases: [{ namespace: 'hive', name: 'warehouse.out' }],
    })
    expect(b.columnEdges).toEqual([
      {
        dataset: { namespace: 'pg', name: 'db.s.out' },
        column: 'id',
        from: { namespace: 'pg', name: 'db.s.src' },
        fromColumn: 'id',
        transformation: 'DIRECT/IDENTITY',
      },
    ])
    expect(b.assertions.map((a) => [a.name, a.status, a.severity, a.failures])).toEqual([
      ['not_null', 'pass', 'error', undefined],
      ['unique', 'warn', 'warn', undefined],
      ['row_count', 'fail', 'error', 3],
    ])
    expect(b.metrics.map((m) => [m.dataset.name, m.name, m.value]).sort()).toEqual([
      ['db.s.out', 'bytes', 1024],
      ['db.s.out', 'row_count', 7],
      ['db.s.src', 'bytes', 200],
      ['db.s.src', 'row_count', 10],
    ])
    expect(b.runs[0]?.rowsAffected).toBe(7)
  })

  it("records each column's null count and minimum from dataQualityMetrics columnMetrics", () => {
    const metrics = facet({
      rowCount: 3,
      columnMetrics: {
        ordered_at: { nullCount: 0, min: 1_700_000_000, max: 1_760_000_000 },
        status: { nullCount: 0, distinctCount: 4 },
      },
    })
    const r = parseEvent(
      runEvent({
        outputs: [
          {
            namespace: 'duckdb://mesh.duckdb',
            name: 'mesh.sales.orders',
            facets: { dataQualityMetrics: metrics },
          },
        ],
      }),
    )
    if (!r.ok) throw new Error(r.reason)
    expect(r.batch.metrics.map((m) => [m.name, m.value])).toEqual([
      ['row_count', 3],
      ['column_nulls:ordered_at', 0],
      ['column_min:ordered_at', 1_700_000_000],
      ['column_nulls:status', 0],
    ])
  })

  it.each([
    {
      name: 'an Airflow task under its DAG',
      integration: 'AIRFLOW',
      jobType: 'TASK',
      job: 'dag.task',
      type: 'airflow_task',
      parentType: 'airflow_dag',
    },
    {
      name: 'a dbt-ol model under its dbt invocation',
      integration: 'DBT',
      jobType: 'MODEL',
      job: 'db.main.sales.orders.build.run',
      type: 'dbt_model',
      parentType: 'dbt_project',
    },
  ])(
    'types $name from the jobType and parent facets',
    ({ integration, jobType, job, type, parentType }) => {
      const r = parseEvent(
        runEvent({
          job: {
            namespace: 'ns',
            name: job,
            facets: { jobType: facet({ integration, jobType, processingType: 'BATCH' }) },
          },
          run: {
            runId: 'r',
            facets: {
              parent: facet({
                run: { runId: 'p' },
                job: { namespace: 'ns', name: 'parent' },
                root: { run: { runId: 'root' }, job: { namespace: 'ns', name: 'root' } },
              }),
            },
          },
        }),
      )
      if (!r.ok) throw new Error(r.reason)
      expect(r.batch.jobs.map((j) => [j.name, j.type, j.parent?.name])).toEqual([
        [job.replace(/\.build\.run$/, ''), type, 'parent'],
        ['parent', parentType, undefined],
        ['root', 'job', undefined],
      ])
      expect(r.batch.runs[0]?.parentRunId).toBe('p')
    },
  )

  it('records no lineage edges for a test job, only its assertions', () => {
    const r = parseEvent(
      runEvent({
        job: {
          namespace: 'dbt',
          name: 'db.main.sales.orders.build.test',
          facets: {
            jobType: facet({ integration: 'DBT', jobType: 'TEST', processingType: 'BATCH' }),
          },
        },
        inputs: [
          {
            namespace: 'n',
            name: 'd',
            inputFacets: {
              dataQualityAssertions: facet({
                assertions: [{ assertion: 'unique', success: true }],
              }),
            },
          },
        ],
        outputs: [],
      }),
    )
    if (!r.ok) throw new Error(r.reason)
    expect(r.batch.edges).toEqual([])
    expect(r.batch.assertions).toHaveLength(1)
    expect(r.batch.jobs[0]?.name).toBe('db.main.sales.orders.test')
  })
})

describe('the OpenLineage spec examples (fixtures/openlineage/public)', () => {
  it.each(specFacetExamples())('accepts the spec example facet $name', ({ name, facets }) => {
    const kind = name.split('/')[0] ?? ''
    const where = kind.endsWith('RunFacet')
      ? { run: { runId: 'r', facets } }
      : kind.endsWith('JobFacet') ||
          (kind === 'LineageFacet' && JSON.stringify(facets).includes('LineageJobFacet'))
        ? { job: { namespace: 'n', name: 'j', facets } }
        : kind.endsWith('InputDatasetFacet')
          ? { inputs: [{ namespace: 'n', name: 'd', inputFacets: facets }] }
          : kind.endsWith('OutputDatasetFacet')
            ? { outputs: [{ namespace: 'n', name: 'd', outputFacets: facets }] }
            : { outputs: [{ namespace: 'n', name: 'd', facets }] }
    const r = parseEvent(runEvent(where))
    expect(r.ok ? 'ok' : r.reason).toBe('ok')
    // Every facet of the spec's examples is read, none dropped.
    expect(r.ok && r.warnings.filter((w) => w.message.startsWith('dropped '))).toEqual([])
  })
})

describe.skipIf(!HAS_SHARED)('the OpenLineage example events (../shared)', () => {
  it.each(sharedEvents())('$file is handled as Marquez handles it', ({ file, event }) => {
    const r = parseEvent(event)
    const rejectedAt = REJECTED[file]
    if (rejectedAt === undefined) {
      expect(r.ok ? 'ok' : r.reason).toBe('ok')
      if (r.ok) expect(r.warnings.map((w) => w.path)).toEqual(DROPPED[file] ? [DROPPED[file]] : [])
    } else {
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.path).toBe(rejectedAt)
    }
  })
})

// Marquez (api/src/main/java/marquez/service/models/LineageEvent.java) requires only eventTime,
// run.runId, job.namespace, job.name and producer; it stores the rest as it comes.
describe('as lenient as Marquez', () => {
  const ok = (input: unknown) => {
    const r = parseEvent(JSON.parse(JSON.stringify(input)))
    if (!r.ok) throw new Error(r.reason)
    return r
  }

  it('accepts an event without schemaURL and facets without _producer/_schemaURL', () => {
    const r = ok({
      ...runEvent({
        run: {
          runId: 'r',
          facets: { nominalTime: { nominalStartTime: '2026-01-01T00:00:00Z' }, custom: { any: 1 } },
        },
      }),
      schemaURL: undefined,
    })
    expect(r.warnings).toEqual([])
    expect(r.batch.runs[0]?.nominalTime).toBe('2026-01-01T00:00:00.000Z')
    expect(r.batch.runs[0]?.facets).toMatchObject({ custom: { any: 1 } })
  })

  it.each(['complete', 'Complete', 'COMPLETE'])('reads eventType %s as COMPLETE', (eventType) => {
    const r = ok(runEvent({ eventType }))
    expect(r.warnings).toEqual([])
    expect(r.batch.runs[0]?.state).toBe('COMPLETE')
    expect(r.kind === 'RunEvent' && r.event.eventType).toBe('COMPLETE')
  })

  it('reads an unknown eventType as OTHER, with a warning', () => {
    const r = ok(runEvent({ eventType: 'DONE' }))
    expect(r.batch.runs[0]?.state).toBe('OTHER')
    expect(r.warnings).toEqual([
      { path: '$.eventType', message: expect.stringContaining('unknown eventType "DONE"') },
    ])
  })

  it.each([
    {
      name: 'an ownership entry without a name',
      over: {
        job: {
          namespace: 'n',
          name: 'j',
          facets: {
            ownership: facet({ owners: [{ type: 'team' }] }),
            documentation: facet({ description: 'kept' }),
          },
        },
      },
      path: '$.job.facets.ownership',
    },
    {
      name: 'a rowCount given as a string',
      over: {
        outputs: [
          {
            namespace: 'n',
            name: 'o',
            outputFacets: { outputStatistics: facet({ rowCount: '12' }) },
          },
        ],
      },
      path: '$.outputs[0].outputFacets.outputStatistics',
    },
    {
      name: 'a parent facet without run.runId',
      over: {
        run: {
          runId: 'r',
          facets: { parent: facet({ run: {}, job: { namespace: 'n', name: 'p' } }) },
        },
      },
      path: '$.run.facets.parent',
    },
    {
      name: 'a schema field without a name, nested 10 deep',
      over: {
        outputs: [
          {
            namespace: 'n',
            name: 'o',
            facets: { schema: facet({ fields: [nestedField(10, { type: 'int' })] }) },
          },
        ],
      },
      path: '$.outputs[0].facets.schema',
    },
    {
      name: 'a facet that is not an object',
      over: { run: { runId: 'r', facets: { custom: 'text' } } },
      path: '$.run.facets.custom',
    },
    {
      name: 'a facets map that is not an object',
      over: { job: { namespace: 'n', name: 'j', facets: [1] } },
      path: '$.job.facets',
    },
  ])('keeps the event and drops only $name', ({ over, path }) => {
    const raw = runEvent(over)
    const text = JSON.stringify(raw)
    const r = ok(raw)
    expect(r.warnings.map((w) => w.path)).toEqual([path])
    expect(r.warnings[0]?.message).toMatch(/^dropped /)
    // The input is left as it came: the raw text is what gets stored.
    expect(JSON.stringify(raw)).toBe(text)
    expect(r.batch.runs).toHaveLength(1)
  })

  it('keeps the other facets of a dataset whose one facet is dropped', () => {
    const r = ok(
      runEvent({
        outputs: [
          {
            namespace: 'n',
            name: 'o',
            facets: {
              ownership: facet({ owners: [{}] }),
              documentation: facet({ description: 'still here' }),
            },
            outputFacets: { outputStatistics: facet({ rowCount: 'many' }) },
          },
        ],
      }),
    )
    expect(r.warnings.map((w) => w.path).sort()).toEqual([
      '$.outputs[0].facets.ownership',
      '$.outputs[0].outputFacets.outputStatistics',
    ])
    expect(r.batch.datasets.find((d) => d.name === 'o')).toMatchObject({
      description: 'still here',
    })
    expect(r.batch.datasets.find((d) => d.name === 'o')?.owner).toBeUndefined()
  })

  it('reads the parentRun facet the Airflow integration once sent, as Marquez does', () => {
    const r = ok(
      runEvent({
        run: {
          runId: 'r',
          facets: {
            parentRun: facet({ run: { runId: 'p' }, job: { namespace: 'n', name: 'dag' } }),
          },
        },
      }),
    )
    expect(r.batch.runs[0]?.parentRunId).toBe('p')
    expect(r.batch.jobs.map((j) => j.name)).toContain('dag')
  })

  it('still refuses an event missing what Marquez requires, naming the first such field', () => {
    const r = parseEvent(
      runEvent({ run: { facets: { ownership: 1 } }, job: { namespace: 'n', name: 'j' } }),
    )
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.path).toBe('$.run.runId')
  })
})

describe('column lineage naming a dataset that is not among the inputs', () => {
  const lineage = (inputName: string) =>
    runEvent({
      inputs: [{ namespace: 'pg', name: 'db.s.src' }],
      outputs: [
        {
          namespace: 'pg',
          name: 'db.s.out',
          facets: {
            columnLineage: facet({
              fields: {
                id: { inputFields: [{ namespace: 'pg', name: 'db.s.src', field: 'id' }] },
                total: { inputFields: [{ namespace: 'pg', name: inputName, field: 'amount' }] },
              },
            }),
          },
        },
      ],
    })

  it('keeps the edge and records the dataset, with a warning', () => {
    const r = parseEvent(lineage('db.s.other'))
    if (!r.ok) throw new Error(r.reason)
    expect(r.batch.columnEdges.map((c) => `${c.from.name}.${c.fromColumn}>${c.column}`)).toEqual([
      'db.s.src.id>id',
      'db.s.other.amount>total',
    ])
    expect(r.batch.datasets.map((d) => d.name)).toContain('db.s.other')
    expect(r.warnings).toEqual([
      {
        path: '$.outputs[0].facets.columnLineage',
        message: expect.stringContaining('pg db.s.other, which is not among the event'),
      },
    ])
  })

  it('names a CTE (a bare name among qualified ones) in a warning without inventing a node', () => {
    const r = parseEvent(lineage('orders'))
    if (!r.ok) throw new Error(r.reason)
    expect(r.batch.columnEdges.map((c) => c.from.name)).toEqual(['db.s.src'])
    expect(r.batch.datasets.map((d) => d.name)).not.toContain('orders')
    expect(r.warnings[0]?.message).toMatch(/total reads orders, a bare name .* CTE/)
  })
})
