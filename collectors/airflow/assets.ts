import type { Ref } from '../batch.ts'

/**
 * Schemes whose URI path is `/<db>/<schema>/<table>` (or `/<db>/<table>`) and whose OpenLineage
 * dataset name joins those parts with dots, under the namespace `scheme://host:port`.
 * https://openlineage.io/docs/spec/naming
 */
const DEFAULT_PORTS: Record<string, number | undefined> = {
  postgres: 5432,
  postgresql: 5432,
  mysql: 3306,
  redshift: 5439,
  trino: 8080,
  mssql: 1433,
  duckdb: undefined,
}
const SCHEME_ALIASES: Record<string, string> = { postgresql: 'postgres', sqlserver: 'mssql' }
/** Object stores: the name is the object key, without the leading slash. */
const OBJECT_STORES = new Set(['s3', 's3a', 's3n', 'gs', 'gcs', 'abfs', 'abfss', 'wasbs', 'azure'])

/**
 * Maps an Airflow asset/dataset URI to an OpenLineage dataset ref: table schemes get
 * `scheme://host:port` + `db.schema.table`, BigQuery `bigquery` + `project.dataset.table`,
 * Snowflake `snowflake://account` + `db.schema.table`; any other scheme `scheme://authority` + path.
 * Returns undefined for a string that is not a URI.
 */
export function assetRef(uri: string): Ref | undefined {
  let u: URL
  try {
    u = new URL(uri)
  } catch {
    return undefined
  }
  const raw = u.protocol.replace(/:$/, '').toLowerCase()
  const scheme = (Object.hasOwn(SCHEME_ALIASES, raw) ? SCHEME_ALIASES[raw] : undefined) ?? raw
  const parts = decodeURIComponent(u.pathname)
    .split('/')
    .filter((p) => p.length > 0)
  if (Object.hasOwn(DEFAULT_PORTS, raw) && parts.length >= 2) {
    const port = u.port || DEFAULT_PORTS[raw]
    const host = port ? `${u.hostname}:${port}` : u.hostname
    return { namespace: `${scheme}://${host}`, name: parts.join('.') }
  }
  if (scheme === 'bigquery' && parts.length >= 2) {
    return { namespace: 'bigquery', name: [u.hostname, ...parts].join('.') }
  }
  if (scheme === 'snowflake' && parts.length >= 3) {
    return { namespace: `snowflake://${u.hostname}`, name: parts.join('.') }
  }
  if (!u.host && !u.pathname) return undefined
  const authority = u.host ? `${u.username ? `${u.username}@` : ''}${u.host}` : ''
  const path = decodeURIComponent(u.pathname) || '/'
  const name = OBJECT_STORES.has(scheme) && u.host ? path.replace(/^\/+/, '') || '/' : path
  return { namespace: `${scheme}://${authority}`, name }
}

/** The table (last name part) that a dataset ref names, lower-cased, for matching dbt models. */
export function tableOf(ref: Ref): string {
  const name = ref.name.replace(/\.(parquet|csv|jsonl?|avro|orc)$/i, '')
  const last =
    name
      .split(/[./]/)
      .filter((p) => p.length > 0)
      .at(-1) ?? name
  return last.toLowerCase()
}
