import { Dialect } from './sdk.ts'

/**
 * The SQL dialect of a dbt adapter (manifest `metadata.adapter_type`), as @polyglot-sql/sdk names
 * it. An adapter not listed is parsed as generic SQL, with a warning.
 */
const DIALECTS: Record<string, string> = {
  athena: 'athena',
  bigquery: 'bigquery',
  clickhouse: 'clickhouse',
  databricks: 'databricks',
  doris: 'doris',
  dremio: 'dremio',
  duckdb: 'duckdb',
  exasol: 'exasol',
  fabric: 'fabric',
  glue: 'spark',
  materialize: 'materialize',
  mysql: 'mysql',
  oracle: 'oracle',
  postgres: 'postgresql',
  presto: 'presto',
  redshift: 'redshift',
  risingwave: 'risingwave',
  singlestore: 'singlestore',
  snowflake: 'snowflake',
  spark: 'spark',
  sqlite: 'sqlite',
  sqlserver: 'tsql',
  starrocks: 'starrocks',
  synapse: 'tsql',
  teradata: 'teradata',
  trino: 'trino',
  watsonx_presto: 'presto',
}

const KNOWN: readonly Dialect[] = Object.values(Dialect)

export function dialectOf(adapter: string | null | undefined): Dialect | undefined {
  const name = adapter ? DIALECTS[adapter.toLowerCase()] : undefined
  return KNOWN.find((d) => d === name)
}
