import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../../collectors/dbt/index.ts'
import { REPO } from './helpers.ts'

// Written by the real dbt-oracle (`dbt parse`, fixtures/record/build-oracle.sh) for a profile
// without `database`: its models and tests carry `"database": "None"` (the string), its source
// `null`, as in the public rosreen/oracle-dbt manifest (fixtures/dbt/README.md "oracle").
const TARGET = join(REPO, 'fixtures/dbt/oracle/target')
const PROJECT = join(REPO, 'fixtures/dbt/projects/oracle')
const NS = 'oracle://oracle.internal:1521'

describe('a dbt-oracle manifest without a database', () => {
  it('names datasets and jobs without the "None" database, like its sources', async () => {
    const batch = await readDbtTarget(TARGET, { projectDir: PROJECT, namespace: NS, env: {} })
    const datasets = batch.datasets.map((d) => d.name).toSorted()
    expect(datasets).toEqual(['ERP.orders', 'SHOP.orders_by_status', 'SHOP.stg_orders'])
    const jobs = batch.jobs.map((j) => j.name)
    expect(jobs).toContain('SHOP.oracle_shop.stg_orders')
    expect(jobs.filter((j) => j.startsWith('None.'))).toEqual([])
  })

  it('links a model to the source it reads and the model that reads it', async () => {
    const batch = await readDbtTarget(TARGET, { projectDir: PROJECT, namespace: NS, env: {} })
    const edges = batch.edges
      .filter((e) => e.job.name === 'SHOP.oracle_shop.stg_orders')
      .map((e) => `${e.direction} ${e.dataset.name}`)
      .toSorted()
    expect(edges).toEqual(['input ERP.orders', 'output SHOP.stg_orders'])
    const reader = batch.edges.find(
      (e) => e.job.name === 'SHOP.oracle_shop.orders_by_status' && e.direction === 'input',
    )
    expect(reader?.dataset.name).toBe('SHOP.stg_orders')
  })
})
