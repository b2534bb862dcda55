import { z } from 'zod'

/**
 * zod for the dbt artifacts we read, modelling only the fields we use.
 * Specs: https://schemas.getdbt.com/dbt/manifest/v12.json (v7–v12),
 * https://schemas.getdbt.com/dbt/run-results/v6.json (v4–v6),
 * https://schemas.getdbt.com/dbt/sources/v3.json (v1–v3), https://schemas.getdbt.com/dbt/catalog/v1.json.
 * Envelopes keep their items as `unknown` so that one bad item is skipped, not the whole file.
 */

const Meta = z.record(z.string(), z.unknown())
const Items = z.record(z.string(), z.unknown())
const Text = z.string().nullish()
/**
 * Names that become batch identities (a dataset or job name, a check key) are capped at the
 * batch contract's 4096 characters; the parts of a relation name at 1024 each, so that
 * `database.schema.alias` fits too. A node past them is skipped with a warning, like any bad item.
 */
const Ident = z.string().min(1).max(4096)
const RelationPart = z.string().max(1024).nullish()

export const ArtifactMetadataSchema = z.object({
  dbt_schema_version: z.string(),
  dbt_version: Text,
  generated_at: Text,
  invocation_id: Text,
  invocation_started_at: Text,
  project_name: Text,
  project_id: Text,
  adapter_type: Text,
})
export type ArtifactMetadata = z.infer<typeof ArtifactMetadataSchema>

export const ArtifactHeaderSchema = z.object({ metadata: ArtifactMetadataSchema })

export const ManifestSchema = z.object({
  metadata: ArtifactMetadataSchema,
  nodes: Items,
  sources: Items.nullish(),
  exposures: Items.nullish(),
  groups: Items.nullish(),
  /** dbt 1.11+: user-defined functions */
  functions: Items.nullish(),
})

/** A dbt owner: `name` and/or `email` (a string or, since v12, a list). */
const OwnerSchema = z.object({
  name: Text,
  email: z.union([z.string(), z.array(z.string())]).nullish(),
})
export type DbtOwner = z.infer<typeof OwnerSchema>

const ConstraintSchema = z.object({
  type: z.string(),
  columns: z.array(z.string()).nullish(),
})

const DependsOnSchema = z.object({ nodes: z.array(z.string()).nullish() })

/** A manifest node or source: the fields every resource type shares plus the optional extras. */
export const DbtNodeSchema = z.object({
  unique_id: Ident,
  resource_type: z.string(),
  package_name: z.string().max(1024),
  name: Ident,
  alias: RelationPart,
  identifier: RelationPart,
  database: RelationPart,
  schema: RelationPart,
  description: Text,
  tags: z.array(z.string()).nullish(),
  meta: Meta.nullish(),
  config: z
    .object({
      meta: Meta.nullish(),
      group: Text,
      access: Text,
      materialized: Text,
      severity: Text,
      enabled: z.boolean().nullish(),
      contract: z.object({ enforced: z.boolean().nullish() }).nullish(),
      /** dbt 1.10+: a source's freshness criteria under config (dbt 2: models' too) */
      freshness: z.unknown().optional(),
    })
    .nullish(),
  /** a source's freshness criteria (before dbt 1.10 only here; since, also under config) */
  freshness: z.unknown().optional(),
  original_file_path: Text,
  depends_on: DependsOnSchema.nullish(),
  columns: z.unknown().optional(),
  access: Text,
  group: Text,
  version: z.union([z.string(), z.number()]).nullish(),
  contract: z.object({ enforced: z.boolean().nullish() }).nullish(),
  constraints: z.array(ConstraintSchema).nullish(),
  test_metadata: z
    .object({ name: z.string(), kwargs: z.record(z.string(), z.unknown()).nullish() })
    .nullish(),
  column_name: Text,
  attached_node: Text,
  /** read for column lineage: SQL (compiled_sql/raw_sql before dbt 1.3) and the built relation */
  compiled_code: Text,
  compiled_sql: Text,
  raw_code: Text,
  raw_sql: Text,
  relation_name: Text,
  source_name: Text,
})
export type DbtNode = z.infer<typeof DbtNodeSchema>

/** Tests are most of a manifest's nodes: parse only what a check needs. */
export const DbtTestSchema = DbtNodeSchema.pick({
  unique_id: true,
  resource_type: true,
  package_name: true,
  name: true,
  config: true,
  original_file_path: true,
  depends_on: true,
  test_metadata: true,
  column_name: true,
  attached_node: true,
})

export const DbtExposureSchema = z.object({
  unique_id: Ident,
  name: Ident,
  label: Text,
  package_name: z.string(),
  description: Text,
  owner: OwnerSchema.nullish(),
  meta: Meta.nullish(),
  config: z.object({ meta: Meta.nullish(), enabled: z.boolean().nullish() }).nullish(),
  depends_on: DependsOnSchema.nullish(),
})
export type DbtExposure = z.infer<typeof DbtExposureSchema>

export const DbtGroupSchema = z.object({
  name: Ident,
  owner: OwnerSchema.nullish(),
  description: Text,
  meta: Meta.nullish(),
  config: z.object({ meta: Meta.nullish() }).nullish(),
})
export type DbtGroup = z.infer<typeof DbtGroupSchema>

const TimingSchema = z.object({ name: z.string(), started_at: Text, completed_at: Text })

export const RunResultsSchema = z.object({
  metadata: ArtifactMetadataSchema,
  results: z.array(z.unknown()),
  args: z.object({ which: Text }).nullish(),
})

/** What a result must have to mean anything; the rest is read field by field. */
export const RunResultCoreSchema = z.object({
  unique_id: z.string().min(1),
  status: z.string(),
})

/**
 * The optional fields of a result, each parsed on its own so that one malformed field is
 * dropped with a warning instead of the result (dbt Fusion omits message/compiled, and
 * writes `failures` only on tests).
 */
export const RUN_RESULT_FIELDS = {
  timing: z.array(TimingSchema).nullish(),
  adapter_response: z.object({ rows_affected: z.number().nullish() }).nullish(),
  message: Text,
  failures: z.number().nullish(),
}

export const RunResultSchema = RunResultCoreSchema.extend(RUN_RESULT_FIELDS)
export type RunResult = z.infer<typeof RunResultSchema>

export const CatalogSchema = z.object({
  metadata: ArtifactMetadataSchema,
  nodes: Items,
  sources: Items.nullish(),
})

export const CatalogTableSchema = z.object({
  columns: z.record(
    z.string(),
    z.object({ name: z.string(), type: Text, index: z.number().nullish(), comment: Text }),
  ),
})
export type CatalogTable = z.infer<typeof CatalogTableSchema>

export const FreshnessSchema = z.object({
  metadata: ArtifactMetadataSchema,
  results: z.array(z.unknown()),
})

const PeriodSchema = z.object({ count: z.number().nullish(), period: Text }).nullish()

export const FreshnessResultSchema = z.object({
  unique_id: z.string().min(1),
  status: z.string(),
  max_loaded_at: Text,
  snapshotted_at: Text,
  max_loaded_at_time_ago_in_s: z.number().nullish(),
  criteria: z
    .object({ warn_after: PeriodSchema, error_after: PeriodSchema, filter: Text })
    .nullish(),
  error: z.union([z.string(), z.number()]).nullish(),
})

/** The dbt_schema_version URL names the artifact and its version. */
export const SCHEMA_VERSION_RE = /\/dbt\/([a-z-]+)\/v(\d+)\.json$/
