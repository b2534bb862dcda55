import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { emptyBatch, type Batch, type ColumnEdge } from '../../collectors/batch.ts'
import { openDb, type Db } from '../../db/client.ts'
import { findDataset } from '../../db/queries/catalog.ts'
import { addColumnLineage } from '../../collectors/dbt/column-lineage/index.ts'
import { mapDbtArtifacts } from '../../collectors/dbt/map.ts'
import {
  datasetColumnTree,
  disagreements,
  type ColumnEdgeRow,
} from '../../db/queries/column-lineage.ts'
import { datasetColumnLineage } from '../../db/queries/runs.ts'
import { storeBatch } from '../../db/queries/store-batch.ts'
import { columnEdges, datasets } from '../../db/schema.ts'
import { REPO } from '../collectors/dbt/helpers.ts'
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

/*
 * A model's join, filter and group-by columns are stored once (column `*`): the readers answer as
 * they did when each was stored once per output column. The demo mesh collected both ways into
 * two stores; every dataset's column lineage (GET /api/datasets/:id/column-lineage) is the same.
 */
describe('dataset-wide column edges read back per output column', () => {
  const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'))
  const collectDemo = (perColumn: boolean) => {
    const db = openDb(':memory:')
    for (const p of ['sales', 'finance', 'marketing', 'product']) {
      const dir = join(REPO, 'fixtures/dbt/good', p, 'target')
      const batch = mapDbtArtifacts(
        {
          manifest: readJson(join(dir, 'manifest.json')),
          catalog: readJson(join(dir, 'catalog.json')),
        },
        { namespace: 'duckdb://mesh.duckdb' },
        (b, graph, adapter) => addColumnLineage(b, graph, adapter, { perColumn }),
      )
      store(db, batch)
    }
    return db
  }
  const answers = (db: Db) =>
    db
      .select({ id: datasets.id, name: datasets.name, columns: datasets.columns })
      .from(datasets)
      .orderBy(datasets.name)
      .all()
      .map((d) => ({
        name: d.name,
        // edges of the same column and input column are in no set order (SQLite's, then the expanded ones)
        ...Object.fromEntries(
          Object.entries(datasetColumnLineage(db, d.id)).map(([k, v]) => [
            k,
            v.map((e) => JSON.stringify(e)).sort(),
          ]),
        ),
        ...datasetColumnTree(
          db,
          d.id,
          (d.columns ?? []).map((c) => c.name),
        ),
      }))

  it('every dataset of the demo mesh: the same edges, hops, uses and exposures', () => {
    const wide = collectDemo(false)
    const perColumn = collectDemo(true)
    const count = (db: Db) => db.select().from(columnEdges).all().length
    expect(count(wide)).toBeLessThan(count(perColumn))
    expect(
      wide
        .select()
        .from(columnEdges)
        .all()
        .some((r) => r.column === '*'),
    ).toBe(true)
    const a = answers(wide)
    expect(a.some((d) => d.columns.some((c) => c.downstream.some((h) => !h.direct)))).toBe(true)
    expect(a).toEqual(answers(perColumn))
  })
})
