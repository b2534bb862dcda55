import { describe, expect, it } from 'vitest'
import { assetRef, tableOf } from '../../../collectors/airflow/assets.ts'
import { domainOf } from '../../../collectors/airflow/domain.ts'

describe('assetRef', () => {
  it.each([
    {
      uri: 'postgres://host:5432/db/schema/table',
      expected: { namespace: 'postgres://host:5432', name: 'db.schema.table' },
    },
    {
      uri: 'postgresql://host/db/schema/table',
      expected: { namespace: 'postgres://host:5432', name: 'db.schema.table' },
    },
    {
      uri: 'mysql://host/db/table',
      expected: { namespace: 'mysql://host:3306', name: 'db.table' },
    },
    {
      uri: 'duckdb://mesh.duckdb/mesh/sales/orders',
      expected: { namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' },
    },
    {
      uri: 'bigquery://project/dataset/table',
      expected: { namespace: 'bigquery', name: 'project.dataset.table' },
    },
    {
      uri: 'snowflake://acct/db/schema/table',
      expected: { namespace: 'snowflake://acct', name: 'db.schema.table' },
    },
    {
      uri: 's3://bucket/dir/file.parquet',
      expected: { namespace: 's3://bucket', name: 'dir/file.parquet' },
    },
    {
      uri: 'file:///data/orders.csv',
      expected: { namespace: 'file://', name: '/data/orders.csv' },
    },
    {
      uri: 'x-custom://auth/some/path',
      expected: { namespace: 'x-custom://auth', name: '/some/path' },
    },
    { uri: 'not a uri', expected: undefined },
  ])('$uri', ({ uri, expected }) => {
    expect(assetRef(uri)).toEqual(expected)
  })

  it.each([
    { name: 'db.schema.orders', expected: 'orders' },
    { name: 'dir/Campaign_Performance.parquet', expected: 'campaign_performance' },
  ])('tableOf($name) = $expected', ({ name, expected }) => {
    expect(tableOf({ namespace: 'x', name })).toBe(expected)
  })
})

describe('domainOf', () => {
  it.each([
    {
      name: 'first domain: tag wins',
      dag: { tags: ['ads', 'domain:marketing'], owners: ['growth'] },
      mapping: undefined,
      expected: 'marketing',
    },
    {
      name: 'owner when no domain tag',
      dag: { tags: ['events'], owners: ['product'] },
      mapping: undefined,
      expected: 'product',
    },
    {
      name: "Airflow's default owner names no domain",
      dag: { tags: [], owners: ['airflow'] },
      mapping: undefined,
      expected: undefined,
    },
    {
      name: 'tag mapping',
      dag: { tags: ['ads'], owners: ['x'] },
      mapping: { tags: { ads: 'marketing' } },
      expected: 'marketing',
    },
    {
      name: 'owner mapping',
      dag: { tags: [], owners: ['sales-data'] },
      mapping: { owners: { 'sales-data': 'sales' } },
      expected: 'sales',
    },
    {
      name: 'custom prefix',
      dag: { tags: ['mesh/finance'], owners: [] },
      mapping: { tagPrefix: 'mesh/' },
      expected: 'finance',
    },
    {
      name: 'owner fallback off',
      dag: { tags: [], owners: ['x'] },
      mapping: { useOwner: false },
      expected: undefined,
    },
  ])('$name', ({ dag, mapping, expected }) => {
    expect(domainOf(dag, mapping)).toBe(expected)
  })
})

describe('names that are Object.prototype members', () => {
  it('are plain names, not prototype lookups', () => {
    expect(assetRef('constructor://h/db/t')).toEqual({
      namespace: 'constructor://h',
      name: '/db/t',
    })
    expect(
      domainOf({ tags: ['constructor'], owners: ['toString'] }, { tags: {}, owners: {} }),
    ).toBe('toString')
  })
})
