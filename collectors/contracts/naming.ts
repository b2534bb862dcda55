import { basename, extname } from 'node:path'
import { fixSnowflakeAccount } from '../dbt/naming.ts'
import type { Odcs, SchemaObject, Server } from './schema.ts'

/*
 * How an ODCS server + schema object names a dataset, by the OpenLineage naming convention the
 * collectors use (https://openlineage.io/docs/spec/naming, and collectors/dbt/naming.ts for the
 * namespaces dbt-ol derives from the same connection). The README's "Data contracts" section
 * has this table for users.
 */

export interface DatasetCandidate {
  /** undefined: the server type gives no namespace; the name is matched in any namespace. */
  namespace?: string
  name: string
  /** The server it came from, for the "unbound" reason. */
  server?: string
}

const join = (...parts: (string | undefined)[]): string =>
  parts.filter((p): p is string => Boolean(p)).join('.')

/** Prefixes a table name with the parts it lacks (a physicalName may already be `schema.table`). */
function qualify(table: string, prefix: (string | undefined)[]): string {
  const have = table.split('.').length
  const need = prefix.filter(Boolean)
  return join(...need.slice(0, Math.max(0, need.length - (have - 1))), table)
}

const port = (s: Server, fallback: number): string => String(s.port ?? fallback)

/** The OpenLineage namespace and dataset name of `table` on server `s`; null for server types without a mapping. */
export function namespaceAndName(s: Server, table: string): DatasetCandidate | null {
  switch (s.type) {
    case 'postgres':
    case 'postgresql':
      return {
        namespace: `postgres://${s.host}:${port(s, 5432)}`,
        name: qualify(table, [s.database, s.schema]),
      }
    case 'redshift':
      return {
        namespace: `redshift://${s.host}:${port(s, 5439)}`,
        name: qualify(table, [s.database, s.schema]),
      }
    case 'mysql':
      return { namespace: `mysql://${s.host}:${port(s, 3306)}`, name: qualify(table, [s.database]) }
    case 'clickhouse':
      return {
        namespace: `clickhouse://${s.host}:${port(s, 8123)}`,
        name: qualify(table, [s.database]),
      }
    case 'sqlserver':
      return {
        namespace: `mssql://${s.host}:${port(s, 1433)}`,
        name: qualify(table, [s.database, s.schema]),
      }
    case 'trino':
    case 'presto':
      return {
        namespace: `${s.type}://${s.host}:${port(s, 8080)}`,
        name: qualify(table, [s.catalog, s.schema]),
      }
    case 'snowflake':
      return s.account
        ? {
            namespace: `snowflake://${fixSnowflakeAccount(s.account)}`,
            name: qualify(table, [s.database, s.schema]),
          }
        : null
    case 'bigquery':
      return { namespace: 'bigquery', name: qualify(table, [s.project, s.dataset]) }
    case 'databricks':
      return s.host
        ? { namespace: `databricks://${s.host}`, name: qualify(table, [s.catalog, s.schema]) }
        : { name: qualify(table, [s.catalog, s.schema]) }
    case 'athena':
      return s.regionName
        ? {
            namespace: `awsathena://athena.${s.regionName}.amazonaws.com`,
            name: qualify(table, [s.catalog ?? 'awsdatacatalog', s.schema]),
          }
        : null
    case 'duckdb': {
      // dbt-duckdb names the catalog after the file; dbt-ol's namespace is the path as written.
      const db = s.database ?? ''
      const catalog = basename(db, extname(db))
      return { namespace: `duckdb://${db}`, name: qualify(table, [catalog, s.schema]) }
    }
    case 'kafka':
      return s.host ? { namespace: `kafka://${s.host}`, name: table } : null
    case 's3': {
      const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(s.location ?? '')
      if (!m) return null
      return { namespace: `s3://${m[1]}`, name: join(m[2]?.replace(/\/+$/, ''), table) || table }
    }
    default:
      return null
  }
}

/** The table a schema object names: its physicalName, else its name. */
export const tableOf = (o: SchemaObject): string => o.physicalName ?? o.name

/**
 * Every dataset a schema object may be, one per server (a contract lists prod, dev… servers),
 * or the bare table name when the contract has no server meshwatch can map.
 */
export function candidatesOf(contract: Odcs, o: SchemaObject): DatasetCandidate[] {
  const table = tableOf(o)
  const out: DatasetCandidate[] = []
  for (const s of contract.servers ?? []) {
    const c = namespaceAndName(s, table)
    if (c) out.push({ ...c, server: s.server })
  }
  if (out.length === 0) out.push({ name: table })
  return out
}
