import type { Store } from '../db/store.ts'
import { VERSION } from './version.ts'

// Static lineage: https://openlineage.io/docs/spec/object-model#static-lineage (spec 2-0-2)
const SPEC = 'https://openlineage.io/spec/2-0-2/OpenLineage.json'
const PRODUCER = `https://github.com/meshwatch/meshwatch/tree/v${VERSION}`
const SCHEMA_FACET =
  'https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet'
const DOC_FACET =
  'https://openlineage.io/spec/facets/1-0-1/DocumentationDatasetFacet.json#/$defs/DocumentationDatasetFacet'
const JOB_DOC_FACET =
  'https://openlineage.io/spec/facets/1-0-1/DocumentationJobFacet.json#/$defs/DocumentationJobFacet'

/** The stored lineage as OpenLineage static events: a DatasetEvent per dataset, then a JobEvent per job. */
export async function* exportStaticLineage(
  store: Store,
  eventTime: string,
): AsyncGenerator<Record<string, unknown>> {
  for await (const d of store.export.iterateDatasets()) {
    const facets: Record<string, unknown> = {}
    if (d.columns && d.columns.length > 0) {
      facets.schema = {
        _producer: PRODUCER,
        _schemaURL: SCHEMA_FACET,
        fields: d.columns.map((c) => ({
          name: c.name,
          ...(c.type ? { type: c.type } : {}),
          ...(c.description ? { description: c.description } : {}),
        })),
      }
    }
    if (d.description)
      facets.documentation = {
        _producer: PRODUCER,
        _schemaURL: DOC_FACET,
        description: d.description,
      }
    yield {
      eventTime,
      producer: PRODUCER,
      schemaURL: `${SPEC}#/$defs/DatasetEvent`,
      dataset: { namespace: d.namespace, name: d.name, facets },
    }
  }
  for await (const { job, inputs, outputs } of store.export.iterateJobsWithEdges()) {
    const facets: Record<string, unknown> = {}
    if (job.description)
      facets.documentation = {
        _producer: PRODUCER,
        _schemaURL: JOB_DOC_FACET,
        description: job.description,
      }
    yield {
      eventTime,
      producer: PRODUCER,
      schemaURL: `${SPEC}#/$defs/JobEvent`,
      job: { namespace: job.namespace, name: job.name, facets },
      inputs,
      outputs,
    }
  }
}
