import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Dialect } from '@polyglot-sql/sdk'
import { describe, expect, it } from 'vitest'
import { dialectOf } from '../../../collectors/dbt/column-lineage/dialect.ts'
import { parseDbtArtifacts } from '../../../collectors/dbt/index.ts'
import { REPO } from './helpers.ts'

// The manifest's adapter type (metadata.adapter_type) picks the SQL dialect compiled SQL is
// parsed in (#19); an adapter with none is parsed as generic SQL with a warning (column-lineage.ts).
describe('the SQL dialect of a dbt adapter', () => {
  it.each([
    { adapter: 'snowflake', dialect: Dialect.Snowflake },
    { adapter: 'bigquery', dialect: Dialect.BigQuery },
    { adapter: 'postgres', dialect: Dialect.PostgreSQL },
    { adapter: 'redshift', dialect: Dialect.Redshift },
    { adapter: 'duckdb', dialect: Dialect.DuckDB },
    { adapter: 'databricks', dialect: Dialect.Databricks },
    { adapter: 'spark', dialect: Dialect.Spark },
    { adapter: 'glue', dialect: Dialect.Spark },
    { adapter: 'trino', dialect: Dialect.Trino },
    { adapter: 'athena', dialect: Dialect.Athena },
    { adapter: 'sqlserver', dialect: Dialect.TSQL },
    { adapter: 'synapse', dialect: Dialect.TSQL },
    { adapter: 'fabric', dialect: Dialect.Fabric },
    { adapter: 'clickhouse', dialect: Dialect.ClickHouse },
    { adapter: 'Snowflake', dialect: Dialect.Snowflake },
  ])('$adapter → $dialect', ({ adapter, dialect }) => {
    expect(dialectOf(adapter)).toBe(dialect)
  })

  it.each([null, undefined, '', 'my_inhouse_adapter'])('%s → none (generic SQL)', (adapter) => {
    expect(dialectOf(adapter)).toBeUndefined()
  })
})

describe('a manifest of an adapter with no known dialect', () => {
  it('is parsed as generic SQL, with one warning naming the adapter', () => {
    // the real shapes manifest (DuckDB), its adapter type renamed
    const file = join(REPO, 'fixtures/dbt/shapes/target/manifest.json')
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { metadata: Record<string, unknown> }
    manifest.metadata['adapter_type'] = 'my_inhouse_adapter'
    const catalog: unknown = JSON.parse(readFileSync(file.replace('manifest', 'catalog'), 'utf8'))
    const b = parseDbtArtifacts({ manifest, catalog }, { namespace: 'x://y' })
    expect(b.warnings.filter((w) => w.includes('no known SQL dialect'))).toEqual([
      'column lineage: adapter my_inhouse_adapter has no known SQL dialect; parsed as generic SQL',
    ])
    expect(b.columnEdges.length).toBeGreaterThan(10)
  })
})
