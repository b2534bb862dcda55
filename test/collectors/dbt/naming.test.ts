import { describe, expect, it } from 'vitest'
import { CollectorError } from '../../../collectors/batch.ts'
import {
  datasetName,
  datasetNamespace,
  fixSnowflakeAccount,
  nodeJobName,
  renderEnvVars,
  selectProfileOutput,
  type ProfileOutput,
} from '../../../collectors/dbt/index.ts'

// Expected values follow openlineage-dbt 1.54 DbtArtifactProcessor.extract_namespace:
// https://github.com/OpenLineage/OpenLineage/blob/1.54.0/integration/common/openlineage/common/provider/dbt/processor.py
describe('datasetNamespace', () => {
  it.each<{ name: string; profile: ProfileOutput; expected: string }>([
    {
      name: 'postgres: host and port',
      profile: { type: 'postgres', host: 'db', port: '5432' },
      expected: 'postgres://db:5432',
    },
    {
      name: 'redshift: host and port',
      profile: { type: 'redshift', host: 'rs.aws', port: '5439' },
      expected: 'redshift://rs.aws:5439',
    },
    {
      name: 'snowflake: a bare locator gets us-west-1.aws',
      profile: { type: 'snowflake', account: 'xy12345' },
      expected: 'snowflake://xy12345.us-west-1.aws',
    },
    {
      name: 'snowflake: org-account kept as is',
      profile: { type: 'snowflake', account: 'myorg-acct' },
      expected: 'snowflake://myorg-acct',
    },
    { name: 'bigquery: no connection detail', profile: { type: 'bigquery' }, expected: 'bigquery' },
    {
      name: 'duckdb: the path verbatim',
      profile: { type: 'duckdb', path: 'mesh.duckdb' },
      expected: 'duckdb://mesh.duckdb',
    },
    {
      name: 'spark thrift: default port 10001',
      profile: { type: 'spark', host: 'sp', method: 'thrift' },
      expected: 'spark://sp:10001',
    },
    {
      name: 'spark http: default port 443',
      profile: { type: 'spark', host: 'sp', method: 'http' },
      expected: 'spark://sp:443',
    },
    {
      name: 'spark: an explicit port',
      profile: { type: 'spark', host: 'sp', method: 'odbc', port: '15001' },
      expected: 'spark://sp:15001',
    },
    {
      name: 'databricks: host only',
      profile: { type: 'databricks', host: 'x.cloud.databricks.com' },
      expected: 'databricks://x.cloud.databricks.com',
    },
    {
      name: 'trino: host and port',
      profile: { type: 'trino', host: 'tr', port: '8080' },
      expected: 'trino://tr:8080',
    },
    {
      name: 'sqlserver: mssql scheme',
      profile: { type: 'sqlserver', server: 'ms', port: '1433' },
      expected: 'mssql://ms:1433',
    },
    {
      name: 'athena: region endpoint',
      profile: { type: 'athena', region_name: 'eu-west-1' },
      expected: 'awsathena://athena.eu-west-1.amazonaws.com',
    },
    {
      name: 'glue: account from role_arn',
      profile: {
        type: 'glue',
        region: 'us-east-1',
        role_arn: 'arn:aws:iam::123456789012:role/dbt',
      },
      expected: 'arn:aws:glue:us-east-1:123456789012',
    },
    {
      name: 'clickhouse: host and port',
      profile: { type: 'clickhouse', host: 'ch', port: '8123' },
      expected: 'clickhouse://ch:8123',
    },
    {
      name: 'dremio: software_host',
      profile: { type: 'dremio', software_host: 'dr', port: '9047' },
      expected: 'dremio://dr:9047',
    },
    {
      name: 'fabric: server without port',
      profile: { type: 'fabric', server: 'fw' },
      expected: 'fabric-warehouse://fw',
    },
  ])('$name', ({ profile, expected }) => {
    expect(datasetNamespace(profile)).toBe(expected)
  })

  it('refuses an adapter dbt-ol does not support', () => {
    expect(() => datasetNamespace({ type: 'oracle' })).toThrow(CollectorError)
  })

  it('refuses a postgres profile without a port rather than invent one', () => {
    expect(() => datasetNamespace({ type: 'postgres', host: 'db' })).toThrow(/has no 'port'/)
  })

  it.each([
    ['xy12345.us-east-1', 'xy12345.us-east-1.aws'],
    ['xy12345.east-us-2.azure', 'xy12345.east-us-2.azure'],
  ])('fixes the snowflake account %s to %s', (account, expected) => {
    expect(fixSnowflakeAccount(account)).toBe(expected)
  })
})

describe('datasetName and nodeJobName', () => {
  const node = (uid: string, extra: object = {}) => ({
    unique_id: uid,
    resource_type: uid.split('.')[0] ?? '',
    name: 'orders',
    alias: 'orders_v2',
    database: 'analytics',
    schema: 'sales',
    ...extra,
  })
  it.each([
    {
      name: 'a model is named by alias',
      node: node('model.shop.orders'),
      dataset: 'analytics.sales.orders_v2',
      job: 'analytics.sales.shop.orders',
    },
    {
      name: 'a versioned model keeps the version in its job',
      node: node('model.shop.orders.v2'),
      dataset: 'analytics.sales.orders_v2',
      job: 'analytics.sales.shop.orders.v2',
    },
    {
      name: 'a snapshot job ends in .snapshot',
      node: node('snapshot.shop.orders'),
      dataset: 'analytics.sales.orders_v2',
      job: 'analytics.sales.shop.orders.snapshot',
    },
    {
      name: 'a seed job carries its unique_id',
      node: node('seed.shop.orders'),
      dataset: 'analytics.sales.orders_v2',
      job: 'analytics.sales.seed.shop.orders',
    },
    {
      name: 'a source is named by name, not identifier',
      node: node('source.shop.raw.orders', { alias: null, identifier: 'ORD' }),
      dataset: 'analytics.sales.orders',
      job: 'analytics.sales.source.shop.raw.orders',
    },
    {
      name: 'spark has no database',
      node: node('model.shop.orders', { database: null }),
      dataset: 'sales.orders_v2',
      job: 'sales.shop.orders',
    },
    {
      name: 'dbt-oracle\'s "None" database (a profile without database) is no database',
      node: node('model.shop.orders', { database: 'None' }),
      dataset: 'sales.orders_v2',
      job: 'sales.shop.orders',
    },
  ])('$name', ({ node: n, dataset, job }) => {
    expect(datasetName(n)).toBe(dataset)
    expect(nodeJobName(n)).toBe(job)
  })
})

describe('profiles.yml', () => {
  const PROFILES = `
shop:
  target: "{{ env_var('DBT_TARGET', 'dev') }}"
  outputs:
    dev:
      type: postgres
      host: "{{ env_var('PGHOST', 'localhost') }}"
      port: "{{ env_var('PGPORT', 5432) | as_number }}"
    prod:
      type: postgres
      host: "{{ env_var('PROD_HOST') }}"
      port: 5432
`
  it('renders env_var defaults in the selected target only', () => {
    expect(selectProfileOutput(PROFILES, 'profiles.yml', 'shop', { env: {} })).toEqual({
      type: 'postgres',
      host: 'localhost',
      port: '5432',
    })
  })

  it('takes env_var values from the environment given', () => {
    const out = selectProfileOutput(PROFILES, 'profiles.yml', 'shop', {
      env: { DBT_TARGET: 'prod', PROD_HOST: 'pg.prod' },
    })
    expect(datasetNamespace(out)).toBe('postgres://pg.prod:5432')
  })

  it('refuses a used env_var that has no value and no default', () => {
    expect(() =>
      selectProfileOutput(PROFILES, 'p.yml', 'shop', { target: 'prod', env: {} }),
    ).toThrow("p.yml: env var required but not provided: 'PROD_HOST'")
  })

  it.each([
    { input: "{{ env_var('A') }}", env: { A: 'x' }, expected: 'x' },
    { input: '{{ env_var("A", "d") }}', env: {}, expected: 'd' },
    { input: "pre-{{ env_var('A', 'd') }}-post", env: {}, expected: 'pre-d-post' },
    { input: "{{ env_var('P', '10') | as_number }}", env: {}, expected: 10 },
    { input: "{{ var('x') }}", env: {}, expected: "{{ var('x') }}" },
  ])('renders $input', ({ input, env, expected }) => {
    expect(renderEnvVars(input, env, 'f.yml')).toBe(expected)
  })
})
