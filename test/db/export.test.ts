import { describe, expect, it } from 'vitest'
import { emptyBatch } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { iterateDatasets, iterateJobsWithEdges } from '../../db/queries/export.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { hashBatch } from '../../server/ingest.ts'

// The export reads the store a page (5000 rows) at a time; a mesh one row past a page boundary
// must come out whole, each row once, with every job's edges and parent.

const NS = 'duckdb://mesh'
const N = 5001

function seed(): Db {
  const db = openDb(':memory:')
  const b = emptyBatch('dbt', 'dbt:big')
  b.jobs.push({ namespace: 'default', name: 'project', type: 'dbt_project' })
  for (let i = 0; i < N; i++) {
    b.datasets.push({ namespace: NS, name: `t${i}` })
    b.jobs.push({
      namespace: 'default',
      name: `m${i}`,
      type: 'dbt_model',
      parent: { namespace: 'default', name: 'project' },
    })
    b.edges.push({
      job: { namespace: 'default', name: `m${i}` },
      dataset: { namespace: NS, name: `t${i}` },
      direction: 'output',
    })
    if (i > 0) {
      b.edges.push({
        job: { namespace: 'default', name: `m${i}` },
        dataset: { namespace: NS, name: `t${i - 1}` },
        direction: 'input',
      })
    }
  }
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-03-01T00:00:00.000Z' })
  return db
}

describe('export iterators', () => {
  it('yields every dataset and job once across page boundaries, each job with its edges and parent', () => {
    // One store for both iterators: storing 5001 models is the slow part.
    const db = seed()
    const ids = [...iterateDatasets(db)].map((d) => d.id)
    expect(ids).toHaveLength(N)
    expect(new Set(ids).size).toBe(N)
    expect(ids).toEqual([...ids].sort((a, b) => a - b))

    const all = [...iterateJobsWithEdges(db)]
    expect(all).toHaveLength(N + 1)
    expect(new Set(all.map((j) => j.job.id)).size).toBe(N + 1)
    const byName = new Map(all.map((j) => [j.job.name, j]))
    expect(byName.get('project')).toMatchObject({ parentRef: undefined, inputs: [], outputs: [] })
    expect(byName.get('m0')).toMatchObject({ inputs: [], outputs: [{ namespace: NS, name: 't0' }] })
    for (const name of ['m4998', 'm4999', 'm5000']) {
      const i = Number(name.slice(1))
      expect(byName.get(name)).toEqual({
        job: expect.objectContaining({ name }),
        parentRef: { namespace: 'default', name: 'project' },
        inputs: [{ namespace: NS, name: `t${i - 1}` }],
        outputs: [{ namespace: NS, name: `t${i}` }],
      })
    }
  })

  it('yields nothing from an empty store', () => {
    const db = openDb(':memory:')
    expect([...iterateDatasets(db)]).toEqual([])
    expect([...iterateJobsWithEdges(db)]).toEqual([])
  })
})
