import { describe, expect, it } from 'vitest'
import { cosmosNode, dbtInvocations, linkDbt } from '../../../collectors/airflow/cosmos.ts'

describe('cosmosNode', () => {
  it.each([
    { name: 'model run', taskId: 'orders_run', expected: { node: 'orders', command: 'run' } },
    { name: 'seed', taskId: 'raw_orders_seed', expected: { node: 'raw_orders', command: 'seed' } },
    {
      name: 'snapshot',
      taskId: 'orders_snap_snapshot',
      expected: { node: 'orders_snap', command: 'snapshot' },
    },
    {
      name: 'source',
      taskId: 'shop_orders_source',
      expected: { node: 'shop_orders', command: 'source' },
    },
    { name: 'test', taskId: 'orders_test', expected: { node: 'orders', command: 'test' } },
    {
      name: 'build mode',
      taskId: 'orders_model_build',
      expected: { node: 'orders', command: 'build' },
    },
    {
      name: 'build mode seed',
      taskId: 'raw_orders_seed_build',
      expected: { node: 'raw_orders', command: 'build' },
    },
    { name: 'task group run', taskId: 'orders.run', expected: { node: 'orders', command: 'run' } },
    {
      name: 'task group test',
      taskId: 'orders.test',
      expected: { node: 'orders', command: 'test' },
    },
    {
      name: 'DbtTaskGroup prefix',
      taskId: 'dbt_sales.stg_orders_run',
      expected: { node: 'stg_orders', command: 'run' },
    },
    {
      name: 'prefix and group',
      taskId: 'dbt_sales.orders.run',
      expected: { node: 'orders', command: 'run' },
    },
    {
      name: 'double underscore model',
      taskId: 'stg_sales__orders_run',
      expected: { node: 'stg_sales__orders', command: 'run' },
    },
    { name: 'not Cosmos', taskId: 'extract_orders', expected: undefined },
    { name: 'bare command', taskId: 'run', expected: undefined },
  ])('$name: $taskId', ({ taskId, expected }) => {
    expect(cosmosNode(taskId)).toEqual(expected)
  })
})

describe('dbtInvocations', () => {
  it.each([
    {
      name: 'select',
      cmd: 'dbt run --select orders',
      expected: [{ command: 'run', nodes: ['orders'] }],
    },
    {
      name: 'short flag, graph operators',
      cmd: 'dbt build -s +orders customers+ 2+x',
      expected: [{ command: 'build', nodes: ['orders', 'customers', 'x'] }],
    },
    {
      name: 'models=, comma',
      cmd: 'dbt run --models=a,b --full-refresh',
      expected: [{ command: 'run', nodes: ['a', 'b'] }],
    },
    {
      name: 'methods are not models',
      cmd: 'dbt run --select tag:daily path:models/x orders',
      expected: [{ command: 'run', nodes: ['orders'] }],
    },
    {
      name: 'absolute binary and chained',
      cmd: 'cd /p && /v/bin/dbt seed --select raw --profiles-dir /p && /v/bin/dbt test -s orders',
      expected: [
        { command: 'seed', nodes: ['raw'] },
        { command: 'test', nodes: ['orders'] },
      ],
    },
    { name: 'no dbt', cmd: 'python load.py --select orders', expected: [] },
  ])('$name', ({ cmd, expected }) => {
    expect(dbtInvocations(cmd)).toEqual(expected)
  })
})

describe('linkDbt', () => {
  const base = {
    operator: 'BashOperator',
    rendered: undefined,
    outletTables: [],
    known: undefined,
    explicit: undefined,
  }
  it.each([
    {
      name: 'Cosmos name with known models',
      input: { ...base, taskId: 'g.orders_run', known: new Set(['orders']) },
      models: ['orders'],
    },
    {
      name: 'known models are matched case-insensitively',
      input: { ...base, taskId: 'ORDERS_run', known: new Set(['orders']) },
      models: ['orders'],
    },
    {
      name: 'Cosmos name of an unknown model',
      input: { ...base, taskId: 'extract_run', known: new Set(['orders']) },
      models: [],
    },
    {
      name: 'Cosmos name alone on a non-dbt operator is not enough',
      input: { ...base, taskId: 'orders_run' },
      models: [],
    },
    {
      name: 'Cosmos name on a Cosmos operator',
      input: { ...base, taskId: 'orders_run', operator: 'DbtRunLocalOperator' },
      models: ['orders'],
    },
    {
      name: 'rendered bash --select',
      input: {
        ...base,
        taskId: 'transform',
        rendered: { bash_command: 'dbt run --select orders customers' },
      },
      models: ['customers', 'orders'],
    },
    {
      name: 'rendered Cosmos select list',
      input: { ...base, taskId: 'transform', rendered: { select: ['+orders'] } },
      models: ['orders'],
    },
    {
      name: 'asset outlet naming a known model',
      input: { ...base, taskId: 'publish', outletTables: ['orders'], known: new Set(['orders']) },
      models: ['orders'],
    },
    {
      name: 'explicit config',
      input: { ...base, taskId: 'anything', explicit: ['finance_ledger'] },
      models: ['finance_ledger'],
    },
  ])('$name', ({ input, models }) => {
    expect(linkDbt(input).models).toEqual(models)
  })

  it('reports a Cosmos source task as a dbt source, not a model', () => {
    const link = linkDbt({ ...base, taskId: 'shop_source', known: new Set(['shop']) })
    expect(link).toEqual({ models: [], sources: ['shop'], commands: ['source'] })
  })
})
