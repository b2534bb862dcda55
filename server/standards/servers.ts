import { basename, extname } from 'node:path'

/*
 * The ODCS server and physicalName of an observed dataset: the inverse of the OpenLineage naming
 * that binds a contract to a dataset (collectors/contracts/naming.ts), so a contract meshwatch
 * writes binds back to the dataset it was written from.
 */

export type OdcsServer = { server: string; type: string } & Record<string, string | number>

export interface ServerAndTable {
  server: OdcsServer
  /** The table below the server's database/schema (qualified further when the name has more parts). */
  physicalName: string
}

const parts = (name: string) => name.split('.')

/** Splits `a.b.c` into its first `n` parts and the rest (the rest keeps at least one part). */
function split(name: string, n: number): { head: string[]; table: string } {
  const p = parts(name)
  const k = Math.min(n, p.length - 1)
  return { head: p.slice(0, k), table: p.slice(k).join('.') }
}

function hostPort(rest: string): { host: string; port?: number } {
  const m = /^([^:/]+)(?::(\d+))?/.exec(rest)
  return m?.[2] ? { host: m[1] ?? rest, port: Number(m[2]) } : { host: m?.[1] ?? rest }
}

/**
 * The ODCS server of a dataset namespace + name (`id` names the server in the contract), or a
 * `custom` server carrying the namespace as its location when no server type maps it.
 */
export function serverOf(namespace: string, name: string, id: string): ServerAndTable {
  const m = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(namespace)
  const scheme = m?.[1]?.toLowerCase()
  const rest = m?.[2] ?? ''
  const db = (type: string, defaultPort: number, n: 1 | 2, keys: [string, string?]) => {
    const { host, port } = hostPort(rest)
    const { head, table } = split(name, n)
    const server: OdcsServer = { server: id, type, host, port: port ?? defaultPort }
    head.forEach((v, i) => {
      const key = keys[i]
      if (key) server[key] = v
    })
    return { server, physicalName: table }
  }
  switch (scheme) {
    case 'postgres':
    case 'postgresql':
      return db('postgres', 5432, 2, ['database', 'schema'])
    case 'redshift':
      return db('redshift', 5439, 2, ['database', 'schema'])
    case 'mysql':
      return db('mysql', 3306, 1, ['database'])
    case 'clickhouse':
      return db('clickhouse', 8123, 1, ['database'])
    case 'mssql':
      return db('sqlserver', 1433, 2, ['database', 'schema'])
    case 'trino':
    case 'presto':
      return db(scheme, 8080, 2, ['catalog', 'schema'])
    case 'duckdb': {
      // dbt-duckdb names the catalog after the file: the first name part is the file's stem.
      const stem = basename(rest, extname(rest))
      const p = parts(name)
      const server: OdcsServer = { server: id, type: 'duckdb', database: rest }
      if (p.length >= 3 && p[0] === stem) {
        server.schema = p[1] ?? ''
        return { server, physicalName: p.slice(2).join('.') }
      }
      return { server, physicalName: name }
    }
    case 'snowflake': {
      const { head, table } = split(name, 2)
      return {
        server: {
          server: id,
          type: 'snowflake',
          account: rest,
          database: head[0] ?? '',
          schema: head[1] ?? '',
        },
        physicalName: table,
      }
    }
    case 'kafka':
      return { server: { server: id, type: 'kafka', host: rest }, physicalName: name }
    case 's3':
      // the contract binder joins location path and table with '.', so keep the whole name here
      return { server: { server: id, type: 's3', location: `s3://${rest}` }, physicalName: name }
    default:
      if (namespace === 'bigquery') {
        const { head, table } = split(name, 2)
        if (head.length === 2)
          return {
            server: {
              server: id,
              type: 'bigquery',
              project: head[0] ?? '',
              dataset: head[1] ?? '',
            },
            physicalName: table,
          }
      }
      return { server: { server: id, type: 'custom', location: namespace }, physicalName: name }
  }
}
