import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch, type ColumnEdge } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { disagreements, type ColumnEdgeRow } from '../../db/queries/column-lineage.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { columnEdges } from '../../db/schema.ts'
import { hashBatch } from '../../server/ingest.ts'

const NS = 'duckdb://mesh'
const ref = (name: string) => ({ namespace: NS, name })
const JOB = { namespace: 'default', name: 'm' }

function store(db: Db, b: Batch) {
  storeBatch(db, b, { contentHash: hashBatch(b), now: '2026-03-01T00:00:00.000Z' })
}

function dbtBatch(edges: Partial<ColumnEdge>[]): Batch {
  const b = emptyBatch('dbt', 'dbt:p')
  b.replaceEdges = true
  b.jobs.push({ ...JOB, type: 'dbt_model' })
  b.edges.push({ job: JOB, dataset: ref('out'), direction: 'output' })
  for (const e of edges) {
    b.columnEdges.push({
      dataset: ref('out'),
      column: 'a',
      from: ref('in'),
      fromColumn: 'x',
      transformation: 'DIRECT/IDENTITY',
      source: 'dbt_compiled',
      ...e,
    })
  }
  return b
}

describe('column edges by source', () => {
  it('stores the same edge from dbt-ol and from meshwatch side by side', () => {
    const db = openDb(':memory:')
    const ol = emptyBatch('openlineage', 'openlineage')
    ol.columnEdges.push({ dataset: ref('out'), column: 'a', from: ref('in'), fromColumn: 'x' })
    store(db, ol)
    store(db, dbtBatch([{}]))
    const rows = db.select().from(columnEdges).all()
    expect(rows.map((r) => r.source).sort()).toEqual(['dbt_compiled', 'openlineage'])
  })

  it("a re-collect replaces meshwatch's edges of the model, not dbt-ol's", () => {
    const db = openDb(':memory:')
    const ol = emptyBatch('openlineage', 'openlineage')
    ol.columnEdges.push({ dataset: ref('out'), column: 'a', from: ref('in'), fromColumn: 'x' })
    store(db, ol)
    store(db, dbtBatch([{}, { column: 'b', fromColumn: 'y' }]))
    store(db, dbtBatch([{ column: 'b', fromColumn: 'z' }]))
    const out = findDataset(db, ref('out'))
    const rows = db.select().from(columnEdges).all()
    expect(rows.every((r) => r.datasetId === out)).toBe(true)
    expect(rows.map((r) => `${r.column}<-${r.fromColumn} ${r.source}`).sort()).toEqual([
      'a<-x openlineage',
      'b<-z dbt_compiled',
    ])
  })

  it("an Airflow snapshot of a task writing the model's table keeps meshwatch's edges", () => {
    const db = openDb(':memory:')
    store(db, dbtBatch([{}]))
    const airflow = emptyBatch('airflow', 'airflow:http://airflow')
    airflow.replaceEdges = true
    const task = { namespace: 'airflow', name: 'dag.dbt_run' }
    airflow.jobs.push({ ...task, type: 'airflow_task' })
    airflow.edges.push({ job: task, dataset: ref('out'), direction: 'output' })
    store(db, airflow)
    expect(
      db
        .select()
        .from(columnEdges)
        .all()
        .map((r) => r.source),
    ).toEqual(['dbt_compiled'])
  })
})

const row = (r: Partial<ColumnEdgeRow>): ColumnEdgeRow => ({
  datasetId: 1,
  column: 'a',
  fromDatasetId: 2,
  fromColumn: 'x',
  transformation: 'DIRECT/IDENTITY',
  source: 'dbt_compiled',
  ...r,
})

describe('disagreements between dbt-ol and meshwatch', () => {
  it.each([
    {
      name: 'same inputs',
      rows: [row({}), row({ source: 'openlineage', transformation: null })],
      n: 0,
    },
    { name: 'only one source', rows: [row({}), row({ fromColumn: 'y' })], n: 0 },
    {
      name: 'another input column',
      rows: [row({}), row({ source: 'openlineage', fromColumn: 'y' })],
      n: 1,
    },
    {
      name: 'an indirect edge of ours is no disagreement',
      rows: [
        row({}),
        row({ fromColumn: 'k', transformation: 'INDIRECT/JOIN' }),
        row({ source: 'openlineage' }),
      ],
      n: 0,
    },
    {
      name: 'one count per column',
      rows: [
        row({}),
        row({ source: 'openlineage', fromColumn: 'y' }),
        row({ source: 'openlineage', fromColumn: 'z' }),
        row({ column: 'b', source: 'openlineage' }),
        row({ column: 'b', fromDatasetId: 3 }),
      ],
      n: 2,
    },
  ])('$name: $n', ({ rows, n }) => {
    expect(disagreements(rows)).toHaveLength(n)
  })
})
