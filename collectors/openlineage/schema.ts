import { z } from 'zod'
import { normalizeOlTime } from './time.ts'

/*
 * OpenLineage 2-0-x events, modelled on https://openlineage.io/spec/2-0-2/OpenLineage.json and
 * spec/facets/*.json: the fields the spec requires are enforced, and the facets we read are checked
 * against their facet schema. Elsewhere we are as lenient as Marquez (api/.../LineageEvent.java):
 * only eventTime, producer, run.runId and job.namespace/name are required; runId need not be a
 * UUID, eventType may be absent or in any case, a time without a zone is UTC, facets need no
 * _producer/_schemaURL, and unknown facets pass through verbatim. A known facet that does not
 * match its schema is dropped by parseEvent with a warning, not the event.
 */

const Name = z.string().min(1, 'must not be empty').max(4096)
const Text = z.string().max(1_000_000)
const Int = z.number().int('must be an integer')

export const OlTimeSchema = z
  .string()
  .refine((s) => normalizeOlTime(s) !== undefined, 'expected an ISO-8601 date-time')
const OlDateSchema = z
  .string()
  .refine(
    (s) => normalizeOlTime(s, { dateOnly: true }) !== undefined,
    'expected an ISO-8601 date or date-time',
  )

/**
 * Every facet is a BaseFacet. The spec requires `_producer` and `_schemaURL`; Marquez stores
 * facets without them, and so do we.
 */
const FACET_BASE = {
  _producer: z.string().nullish(),
  _schemaURL: z.string().nullish(),
}
export const FacetSchema = z.looseObject(FACET_BASE)
const facet = <T extends z.ZodRawShape>(shape: T) => z.looseObject({ ...FACET_BASE, ...shape })

/** A facets map: known facets checked by their schema, any other name kept as a BaseFacet. */
const facetMap = <T extends Record<string, z.ZodType>>(known: T) => {
  const shape: Record<string, z.ZodType> = {}
  for (const [k, s] of Object.entries(known)) shape[k] = s.nullish()
  return z
    .object(shape as { [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>> })
    .catchall(FacetSchema.nullable())
}

const JobRefSchema = z.looseObject({ namespace: Name, name: Name })
const RunRefSchema = z.looseObject({ runId: Name })

export const ParentRunFacetSchema = facet({
  run: RunRefSchema,
  job: JobRefSchema,
  root: z.looseObject({ run: RunRefSchema, job: JobRefSchema }).optional(),
})
export const NominalTimeRunFacetSchema = facet({
  nominalStartTime: OlDateSchema,
  nominalEndTime: OlDateSchema.nullish(),
})
// The spec requires programmingLanguage; the Java client builds the facet without it, and Trino's
// OpenLineage listener sends a failed query's message so: the message is what we read.
export const ErrorMessageRunFacetSchema = facet({
  message: Text,
  programmingLanguage: z.string().nullish(),
  stackTrace: Text.nullish(),
})

const OwnersSchema = z.array(z.looseObject({ name: Name, type: z.string().nullish() }))
export const JobTypeJobFacetSchema = facet({
  processingType: z.string(),
  integration: z.string(),
  jobType: z.string().nullish(),
})
const DocumentationFacetSchema = facet({ description: Text })
const OwnershipFacetSchema = facet({ owners: OwnersSchema.nullish() })

export type SchemaField = {
  name: string
  type?: string | null | undefined
  description?: string | null | undefined
  fields?: SchemaField[] | null | undefined
}
const schemaField = (fields: z.ZodType<SchemaField[]>) =>
  z.looseObject({
    name: Name,
    type: z.string().nullish(),
    description: Text.nullish(),
    fields: fields.nullish(),
  })
const SchemaFieldSchema: z.ZodType<SchemaField> = z.lazy(() =>
  schemaField(z.array(SchemaFieldSchema)),
)
export const SchemaDatasetFacetSchema = facet({ fields: z.array(SchemaFieldSchema).nullish() })
export const SymlinksDatasetFacetSchema = facet({
  identifiers: z.array(z.looseObject({ namespace: Name, name: Name, type: z.string() })).nullish(),
})
export const LifecycleStateChangeSchema = facet({
  lifecycleStateChange: z.enum(['ALTER', 'CREATE', 'DROP', 'OVERWRITE', 'RENAME', 'TRUNCATE']),
  previousIdentifier: z.looseObject({ namespace: Name, name: Name }).nullish(),
})
const InputFieldSchema = z.looseObject({
  namespace: Name,
  name: Name,
  field: Name,
  transformations: z
    .array(
      z.looseObject({
        type: z.string(),
        subtype: z.string().nullish(),
        description: Text.nullish(),
      }),
    )
    .nullish(),
})
export const ColumnLineageFacetSchema = facet({
  fields: z.record(
    z.string(),
    z.looseObject({
      inputFields: z.array(InputFieldSchema),
      transformationDescription: Text.nullish(),
      transformationType: z.string().nullish(),
    }),
  ),
  dataset: z.array(InputFieldSchema).nullish(),
})
export const AssertionsFacetSchema = facet({
  assertions: z.array(
    z.looseObject({
      assertion: z.string(),
      success: z.boolean(),
      column: z.string().nullish(),
      severity: z.string().nullish(),
      name: z.string().nullish(),
      description: Text.nullish(),
      expected: z.string().nullish(),
      actual: z.string().nullish(),
    }),
  ),
})
/**
 * Great Expectations' own assertions facet (OpenLineage's GE validation action, in
 * openlineage-integration-common: `openlineage/common/provider/ge-assertions-dataset-facet.json`),
 * the only place that action puts each expectation's outcome.
 */
export const GreatExpectationsAssertionsFacetSchema = facet({
  assertions: z.array(
    z.looseObject({
      expectationType: z.string(),
      success: z.boolean(),
      column: z.string().nullish(),
    }),
  ),
})
const ColumnMetricsSchema = z.record(
  z.string(),
  z.looseObject({
    nullCount: Int.nullish(),
    distinctCount: Int.nullish(),
    min: z.number().nullish(),
  }),
)
/**
 * The spec requires columnMetrics; OpenLineage 1.0 producers (the fluentd proxy's event_full.json)
 * sent only rowCount/bytes, so a facet with a rowCount is accepted without it.
 */
export const DataQualityMetricsFacetSchema = facet({
  rowCount: Int.nullish(),
  bytes: Int.nullish(),
  fileCount: Int.nullish(),
  columnMetrics: ColumnMetricsSchema.optional(),
}).superRefine((f, ctx) => {
  if (f.columnMetrics === undefined && (f.rowCount === undefined || f.rowCount === null)) {
    ctx.addIssue({
      code: 'custom',
      path: ['columnMetrics'],
      message: 'required: DataQualityMetrics needs columnMetrics (or at least a rowCount)',
    })
  }
})
export const OutputStatisticsFacetSchema = facet({
  rowCount: Int.nullish(),
  size: Int.nullish(),
  fileCount: Int.nullish(),
})
const InputStatisticsFacetSchema = facet({
  rowCount: Int.nullish(),
  size: Int.nullish(),
  fileCount: Int.nullish(),
})

/** spec/facets/TestRunFacet.json: test executions of the run, status separate from severity. */
export const TestRunFacetSchema = facet({
  tests: z.array(
    z.looseObject({
      name: Name,
      status: z.string(),
      severity: z.string().nullish(),
      type: z.string().nullish(),
      description: Text.nullish(),
      expected: z.string().nullish(),
      actual: z.string().nullish(),
      content: Text.nullish(),
      contentType: z.string().nullish(),
      params: z.record(z.string(), z.unknown()).nullish(),
    }),
  ),
})
const JobDependencySchema = z.looseObject({
  job: JobRefSchema,
  run: z.looseObject({ runId: Name }).nullish(),
  dependency_type: z.string().nullish(),
  sequence_trigger_rule: z.string().nullish(),
  status_trigger_rule: z.string().nullish(),
})
/** spec/facets/JobDependenciesRunFacet.json: the jobs this run waited for and triggers. */
export const JobDependenciesRunFacetSchema = facet({
  upstream: z.array(JobDependencySchema).nullish(),
  downstream: z.array(JobDependencySchema).nullish(),
  trigger_rule: z.string().nullish(),
})
const TagSchema = z.looseObject({
  key: z.string(),
  value: z.string(),
  source: z.string().nullish(),
  field: z.string().nullish(),
})
/** spec/facets/Tags{Job,Run,Dataset}Facet.json */
export const TagsFacetSchema = facet({ tags: z.array(TagSchema).nullish() })
/**
 * spec/facets/ExecutionParametersRunFacet.json. `value` is a string by the schema, yet the
 * schema's own example is the number 3600: a number or boolean is read too.
 */
export const ExecutionParametersRunFacetSchema = facet({
  parameters: z
    .array(
      z.looseObject({
        key: z.string(),
        name: z.string().nullish(),
        description: Text.nullish(),
        value: z.union([z.string(), z.number(), z.boolean()]).nullish(),
      }),
    )
    .nullish(),
})
/** spec/facets/DatasetTypeDatasetFacet.json */
export const DatasetTypeDatasetFacetSchema = facet({
  datasetType: z.string(),
  subType: z.string().nullish(),
})
/** spec/facets/CatalogDatasetFacet.json */
export const CatalogDatasetFacetSchema = facet({
  framework: z.string(),
  type: z.string(),
  name: z.string(),
  metadataUri: z.string().nullish(),
  warehouseUri: z.string().nullish(),
  source: z.string().nullish(),
  catalogProperties: z.record(z.string(), z.string()).nullish(),
})
/** spec/facets/HierarchyDatasetFacet.json: database → schema → table, or the like. */
export const HierarchyDatasetFacetSchema = facet({
  hierarchy: z.array(z.looseObject({ type: z.string(), name: z.string() })),
})
/** The dbt integration's dbt_model dataset facet: the model's resolved config. */
export const DbtModelDatasetFacetSchema = facet({
  config: z
    .looseObject({
      materialized: z.string().nullish(),
      access: z.string().nullish(),
      owner: z.string().nullish(),
      group: z.string().nullish(),
    })
    .nullish(),
})
const LineageTransformationSchema = z.looseObject({
  type: z.string(),
  subtype: z.string().nullish(),
  masking: z.boolean().nullish(),
})
/** A LineageFacet input: a dataset (namespace and name required) or a job (namespace with name). */
const LineageInputSchema = z.looseObject({
  namespace: Name.nullish(),
  name: Name.nullish(),
  type: z.enum(['DATASET', 'JOB']),
  field: z.string().nullish(),
  runId: z.string().nullish(),
  transformations: z.array(LineageTransformationSchema).nullish(),
})
const LineageFieldsSchema = z.record(
  z.string(),
  z.looseObject({ inputs: z.array(LineageInputSchema) }),
)
/** spec/facets/LineageFacet.json (experimental), on a dataset: what it is made from. */
export const LineageDatasetFacetSchema = facet({
  inputs: z.array(LineageInputSchema).nullish(),
  fields: LineageFieldsSchema.nullish(),
})
/** spec/facets/LineageFacet.json (experimental), on a job: explicit dataset and job edges. */
export const LineageJobFacetSchema = facet({
  entries: z.array(
    z.looseObject({
      namespace: Name.nullish(),
      name: Name.nullish(),
      type: z.enum(['DATASET', 'JOB']),
      runId: z.string().nullish(),
      inputs: z.array(LineageInputSchema).nullish(),
      fields: LineageFieldsSchema.nullish(),
    }),
  ),
})
export type LineageInput = z.infer<typeof LineageInputSchema>

export const RunFacetsSchema = facetMap({
  parent: ParentRunFacetSchema,
  /** What the Airflow integration once sent instead of parent (Marquez reads it too). */
  parentRun: ParentRunFacetSchema,
  nominalTime: NominalTimeRunFacetSchema,
  errorMessage: ErrorMessageRunFacetSchema,
  /** The Spark integration's failure before it sent errorMessage (1.2.x: message + stackTrace). */
  'spark.exception': facet({ message: Text, stackTrace: Text.nullish() }),
  test: TestRunFacetSchema,
  jobDependencies: JobDependenciesRunFacetSchema,
  tags: TagsFacetSchema,
  executionParameters: ExecutionParametersRunFacetSchema,
})
export const JobFacetsSchema = facetMap({
  jobType: JobTypeJobFacetSchema,
  documentation: DocumentationFacetSchema,
  ownership: OwnershipFacetSchema,
  sql: facet({ query: Text }),
  sourceCodeLocation: facet({ type: z.string(), url: z.string() }),
  tags: TagsFacetSchema,
  lineage: LineageJobFacetSchema,
})
export const DatasetFacetsSchema = facetMap({
  schema: SchemaDatasetFacetSchema,
  documentation: DocumentationFacetSchema,
  ownership: OwnershipFacetSchema,
  symlinks: SymlinksDatasetFacetSchema,
  lifecycleStateChange: LifecycleStateChangeSchema,
  columnLineage: ColumnLineageFacetSchema,
  dataSource: facet({ name: z.string().nullish(), uri: z.string().nullish() }),
  version: facet({ datasetVersion: z.string() }),
  dataQualityAssertions: AssertionsFacetSchema,
  dataQualityMetrics: DataQualityMetricsFacetSchema,
  tags: TagsFacetSchema,
  datasetType: DatasetTypeDatasetFacetSchema,
  catalog: CatalogDatasetFacetSchema,
  hierarchy: HierarchyDatasetFacetSchema,
  lineage: LineageDatasetFacetSchema,
  dbt_model: DbtModelDatasetFacetSchema,
})
export const InputFacetsSchema = facetMap({
  dataQualityAssertions: AssertionsFacetSchema,
  greatExpectations_assertions: GreatExpectationsAssertionsFacetSchema,
  dataQualityMetrics: DataQualityMetricsFacetSchema,
  inputStatistics: InputStatisticsFacetSchema,
})
export const OutputFacetsSchema = facetMap({ outputStatistics: OutputStatisticsFacetSchema })

const DatasetShape = { namespace: Name, name: Name, facets: DatasetFacetsSchema.nullish() }
export const StaticDatasetSchema = z.object(DatasetShape)
export const InputDatasetSchema = z.object({
  ...DatasetShape,
  inputFacets: InputFacetsSchema.nullish(),
})
export const OutputDatasetSchema = z.object({
  ...DatasetShape,
  outputFacets: OutputFacetsSchema.nullish(),
})
export const JobSchema = z.object({
  namespace: Name,
  name: Name,
  facets: JobFacetsSchema.nullish(),
})
export const RunSchema = z.object({ runId: Name, facets: RunFacetsSchema.nullish() })

export const EVENT_TYPES = ['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER'] as const

const BaseEventShape = {
  eventTime: OlTimeSchema,
  producer: z.string().min(1),
  schemaURL: z.string().nullish(),
}
const LineageShape = {
  inputs: z.array(InputDatasetSchema).nullish(),
  outputs: z.array(OutputDatasetSchema).nullish(),
}
export const RunEventSchema = z.object({
  ...BaseEventShape,
  /** Any case (Marquez reads it case-insensitively); parseEvent maps it onto EVENT_TYPES. */
  eventType: z.string().nullish(),
  run: RunSchema,
  job: JobSchema,
  ...LineageShape,
})
export const JobEventSchema = z.object({ ...BaseEventShape, job: JobSchema, ...LineageShape })
export const DatasetEventSchema = z.object({ ...BaseEventShape, dataset: StaticDatasetSchema })

export type RunEvent = z.infer<typeof RunEventSchema>
export type JobEvent = z.infer<typeof JobEventSchema>
export type DatasetEvent = z.infer<typeof DatasetEventSchema>
export type OlJob = z.infer<typeof JobSchema>
export type OlInputDataset = z.infer<typeof InputDatasetSchema>
export type OlOutputDataset = z.infer<typeof OutputDatasetSchema>
export type OlDatasetFacets = z.infer<typeof DatasetFacetsSchema>

export const EVENT_KINDS = ['RunEvent', 'JobEvent', 'DatasetEvent'] as const
export type EventKind = (typeof EVENT_KINDS)[number]
export type OlEvent =
  | { kind: 'RunEvent'; event: RunEvent }
  | { kind: 'JobEvent'; event: JobEvent }
  | { kind: 'DatasetEvent'; event: DatasetEvent }

/** Schema fields nested at most `depth` deep: SchemaFieldSchema unrolled, without a z.lazy cycle. */
const nestedFields = (depth: number): z.ZodType<SchemaField[]> =>
  z.array(depth === 0 ? z.never() : schemaField(nestedFields(depth - 1)))

const FAST_FIELD_DEPTH = 6
const FastSchemaFacetSchema = SchemaDatasetFacetSchema.extend({
  fields: nestedFields(FAST_FIELD_DEPTH).nullish(),
})
const FastDataset = {
  facets: DatasetFacetsSchema.extend({ schema: FastSchemaFacetSchema.nullish() }).nullish(),
}
const FastLineage = {
  inputs: z.array(InputDatasetSchema.extend(FastDataset)).nullish(),
  outputs: z.array(OutputDatasetSchema.extend(FastDataset)).nullish(),
}
const FAST_SOURCES = {
  RunEvent: RunEventSchema.extend(FastLineage),
  JobEvent: JobEventSchema.extend(FastLineage),
  DatasetEvent: DatasetEventSchema.extend({ dataset: StaticDatasetSchema.extend(FastDataset) }),
}
type FastEventSchemas = typeof FAST_SOURCES
const compiled: Partial<FastEventSchemas> = {}

/**
 * The event schema compiled by z.compile on first use (~3× faster than zod's runtime parse).
 * z.compile refuses a cycle, and a cycle costs every schema above it zod's per-parse cycle
 * tracking, so schema fields are followed FAST_FIELD_DEPTH deep here instead of through z.lazy.
 * What it accepts the event schema accepts, with the same output; it rejects with the event
 * schema's issues unless `stopsAtFastDepth`.
 */
export function fastEventSchema<K extends EventKind>(kind: K): FastEventSchemas[K] {
  return (compiled[kind] ??= z.compile(FAST_SOURCES[kind], { strict: true }))
}

/** Whether a fast schema rejected fields nested past its depth: the event schema may accept them. */
export const stopsAtFastDepth = (error: z.ZodError): boolean =>
  error.issues.some((i) => i.code === 'invalid_type' && i.expected === 'never')
