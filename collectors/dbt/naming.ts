import { z } from 'zod'
import { CollectorError } from '../batch.ts'

/*
 * Dataset and job names exactly as openlineage-dbt (dbt-ol) 1.54 builds them, so that a table
 * seen by this collector and by dbt-ol is one node. Source read:
 * https://github.com/OpenLineage/OpenLineage/blob/1.54.0/integration/common/openlineage/common/provider/dbt/processor.py
 * (DbtArtifactProcessor.extract_namespace, extract_dataset_data, _format_dataset_name, parse_execution)
 * and .../openlineage/common/provider/snowflake.py (fix_account_name).
 */

const Port = z.union([z.number(), z.string()]).transform(String)

/** The profiles.yml output fields that name a warehouse, per adapter. */
export const ProfileOutputSchema = z.object({
  type: z.string().min(1),
  host: z.string().nullish(),
  port: Port.nullish(),
  account: z.string().nullish(),
  server: z.string().nullish(),
  path: z.string().nullish(),
  software_host: z.string().nullish(),
  region_name: z.string().nullish(),
  region: z.string().nullish(),
  account_id: z.union([z.string(), z.number()]).transform(String).nullish(),
  role_arn: z.string().nullish(),
  method: z.string().nullish(),
})
export type ProfileOutput = z.infer<typeof ProfileOutputSchema>

export const SUPPORTED_ADAPTERS = [
  'bigquery',
  'snowflake',
  'redshift',
  'spark',
  'postgres',
  'databricks',
  'sqlserver',
  'dremio',
  'athena',
  'duckdb',
  'trino',
  'presto',
  'watsonx_presto',
  'glue',
  'clickhouse',
  'fabric',
] as const

const SPARK_METHODS = ['thrift', 'odbc', 'http']

/** openlineage-integration-common snowflake.fix_account_name: locator → locator.region.cloud. */
export function fixSnowflakeAccount(name: string): string {
  const parts = name.split('.')
  const account = parts[0] ?? name
  if (account.includes('-')) return account
  if (parts.length === 1) return `${account}.us-west-1.aws`
  if (parts.length === 2) return `${account}.${parts[1]}.aws`
  return name
}

/** The OpenLineage dataset namespace dbt-ol derives from a profiles.yml output. */
export function datasetNamespace(profile: ProfileOutput): string {
  const need = (key: keyof ProfileOutput): string => {
    const value = profile[key]
    if (value === undefined || value === null || value === '') {
      throw new CollectorError(`profiles.yml: ${profile.type} output has no '${key}'`)
    }
    return value
  }
  switch (profile.type) {
    case 'snowflake':
      return `snowflake://${fixSnowflakeAccount(need('account'))}`
    case 'bigquery':
      return 'bigquery'
    case 'redshift':
    case 'postgres':
    case 'clickhouse':
    case 'trino':
      return `${profile.type}://${need('host')}:${need('port')}`
    case 'presto':
    case 'watsonx_presto':
      return `presto://${need('host')}:${need('port')}`
    case 'databricks':
      return `databricks://${need('host')}`
    case 'sqlserver':
      return `mssql://${need('server')}:${need('port')}`
    case 'fabric':
      return profile.port
        ? `fabric-warehouse://${need('server')}:${profile.port}`
        : `fabric-warehouse://${need('server')}`
    case 'dremio':
      return `dremio://${need('software_host')}:${need('port')}`
    case 'athena':
      return `awsathena://athena.${need('region_name')}.amazonaws.com`
    case 'glue': {
      // account_id, else the account in role_arn (arn:aws:iam::<account>:role/<name>)
      const account = profile.account_id ?? need('role_arn').split(':')[4] ?? ''
      return `arn:aws:glue:${need('region')}:${account}`
    }
    case 'duckdb':
      // the path as written in profiles.yml, not resolved: dbt-ol uses profile['path'] verbatim
      return `duckdb://${need('path')}`
    case 'spark':
      return sparkNamespace(profile, need('host'))
    default:
      throw new CollectorError(
        `profiles.yml: adapter '${profile.type}' is not supported (supported: ${SUPPORTED_ADAPTERS.join(', ')}); pass a namespace`,
      )
  }
}

function sparkNamespace(profile: ProfileOutput, host: string): string {
  const method = profile.method ?? ''
  if (!SPARK_METHODS.includes(method)) {
    throw new CollectorError(`profiles.yml: spark connection method '${method}' is not supported`)
  }
  let port = ''
  if (profile.port) port = `:${profile.port}`
  else if (method === 'http' || method === 'odbc') port = ':443'
  else port = ':10001'
  return `spark://${host}${port}`
}

/**
 * `database.schema.table`, leaving out missing parts (spark has no database). dbt-oracle writes a
 * profile without `database` as the string "None" (Python's str(None)) on every node but sources;
 * that is a missing database too, so a node and its source of the same table get one name.
 */
export function formatDatasetName(
  database: string | null | undefined,
  schema: string | null | undefined,
  table: string,
): string {
  const db = database === PYTHON_NONE ? undefined : database
  return [db, schema, table].filter((p): p is string => Boolean(p)).join('.')
}

const PYTHON_NONE = 'None'

type NamedNode = {
  resource_type: string
  unique_id: string
  name: string
  alias?: string | null | undefined
  database?: string | null | undefined
  schema?: string | null | undefined
}

/** dbt-ol names sources by `name` and every other node by `alias` (processor.extract_dataset_data). */
export function datasetName(node: NamedNode): string {
  const table = node.resource_type === 'source' ? node.name : (node.alias ?? node.name)
  return formatDatasetName(node.database, node.schema, table)
}

/**
 * The job name dbt-ol gives a node's run in `dbt run`/`dbt snapshot` (processor.parse_execution):
 * model `db.schema.<package>.<model>[.v<n>]`, snapshot `db.schema.<package>.<name>.snapshot`.
 * dbt-ol's artifact mode emits no seed jobs; its structured-log mode named them
 * `db.schema.seed.<package>.<name>` (structured_logs._get_job_name), which we follow.
 * Under `dbt build` dbt-ol appends `.build.run` / `.build.snapshot`; we keep the run form.
 */
export function nodeJobName(node: NamedNode): string {
  const [prefix = ''] = node.unique_id.split('.', 1)
  const rest = node.unique_id.slice(prefix.length + 1)
  if (prefix === 'model') return formatDatasetName(node.database, node.schema, rest)
  if (prefix === 'snapshot')
    return `${formatDatasetName(node.database, node.schema, rest)}.snapshot`
  return formatDatasetName(node.database, node.schema, node.unique_id)
}
