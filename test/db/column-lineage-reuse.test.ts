import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/index.ts'
import { openDb, type Db } from '../../db/client.ts'
import { listColumnLineageInputs } from '../../db/queries/column-lineage.ts'
import { columnEdges, datasets } from '../../db/schema.ts'
import { eq } from 'drizzle-orm'
import { ingestBatch } from '../../server/ingest.ts'
import { REPO } from '../collectors/dbt/helpers.ts'
import { sqliteStore } from '../../db/store.ts'

const NS = 'duckdb://mesh.duckdb'
const FINANCE = join(REPO, 'fixtures/dbt/good/finance/target')
const tmp = mkdtempSync(join(tmpdir(), 'meshwatch-reuse-'))
afterAll(() => rmSync(tmp, { recursive: true, force: true }))

const collect = async (db: Db, dir: string) => {
  const batch = await readDbtTarget(dir, {
    namespace: NS,
    knownColumnLineage: listColumnLineageInputs(db),
  })
  const r = await ingestBatch({ store: sqliteStore(db) }, batch)
  return { batch, counts: r.counts, duplicate: r.duplicate }
}
const stored = (db: Db) =>
  db
    .select({ name: datasets.name, column: columnEdges.column, fromColumn: columnEdges.fromColumn })
    .from(columnEdges)
    .innerJoin(datasets, eq(datasets.id, columnEdges.datasetId))
    .all()
    .map((e) => `${e.name}.${e.column}<-${e.fromColumn}`)
    .sort()

/** A copy of the finance target/ whose one model's compiled SQL is `edit`ed (`rerun`: by a new dbt invocation). */
function editedTarget(model: string, edit: (sql: string) => string, rerun = false): string {
  const dir = mkdtempSync(join(tmp, 'target-'))
  cpSync(FINANCE, dir, { recursive: true })
  const file = join(dir, 'manifest.json')
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
    metadata: { invocation_id: string; generated_at: string }
    nodes: Record<string, { compiled_code?: string }>
  }
  if (rerun) {
    manifest.metadata.invocation_id = '00000000-0000-4000-8000-000000000001'
    manifest.metadata.generated_at = '2026-11-26T20:32:57.557402Z'
  }
  const node = manifest.nodes[model]
  if (!node?.compiled_code) throw new Error(`${model} has no compiled SQL`)
  node.compiled_code = edit(node.compiled_code)
  writeFileSync(file, JSON.stringify(manifest))
  return dir
}

describe('re-collecting a dbt project whose SQL is unchanged', () => {
  it('is the same delivery as the collect that computed the edges: a no-op', async () => {
    const db = openDb(':memory:')
    await collect(db, FINANCE)
    const before = stored(db)
    const again = await collect(db, FINANCE)
    expect(again.batch.columnEdges).toEqual([])
    expect(again.duplicate).toBe(true)
    expect(stored(db)).toEqual(before)
  })

  it('parses no model of a new dbt invocation again and keeps every stored column edge', async () => {
    const db = openDb(':memory:')
    const first = await collect(db, FINANCE)
    expect(first.batch.columnEdges.length).toBeGreaterThan(0)
    expect(first.batch.columnLineageInputs.every((i) => !i.unchanged)).toBe(true)
    const before = stored(db)

    const again = await collect(
      db,
      editedTarget('model.finance.revenue_daily', (sql) => sql, true),
    )
    expect(again.duplicate).toBe(false)
    expect(again.batch.columnEdges).toEqual([])
    expect(again.batch.columnLineageInputs.length).toBe(first.batch.columnLineageInputs.length)
    expect(again.batch.columnLineageInputs.every((i) => i.unchanged)).toBe(true)
    expect(again.counts.columnLineageKept).toBe(first.batch.columnLineageInputs.length)
    expect(stored(db)).toEqual(before)
  })

  it('parses again the model whose SQL changed, and replaces only its edges', async () => {
    const db = openDb(':memory:')
    await collect(db, FINANCE)
    const before = stored(db)
    const dir = editedTarget('model.finance.revenue_daily', (sql) =>
      sql.replace(/\bas gross_revenue_eur\b/, 'as gross_eur'),
    )
    const { batch } = await collect(db, dir)
    const parsed = batch.columnLineageInputs.filter((i) => !i.unchanged).map((i) => i.dataset.name)
    expect(parsed).toEqual(['mesh.finance.revenue_daily'])
    const after = stored(db)
    expect(after).toContain('mesh.finance.revenue_daily.gross_eur<-amount_eur')
    expect(after).not.toContain('mesh.finance.revenue_daily.gross_revenue_eur<-amount_eur')
    const others = (xs: string[]) => xs.filter((x) => !x.startsWith('mesh.finance.revenue_daily.'))
    expect(others(after)).toEqual(others(before))
  })

  it('parses everything again when the store no longer has the hash it is told is unchanged', async () => {
    const db = openDb(':memory:')
    await collect(db, FINANCE)
    const known = listColumnLineageInputs(db)
    const fresh = openDb(':memory:')
    const batch = await readDbtTarget(FINANCE, { namespace: NS, knownColumnLineage: known })
    const r = await ingestBatch({ store: sqliteStore(fresh) }, batch)
    expect(r.counts.columnLineageKept).toBe(0)
    // nothing recorded as computed, so the next collect into this store parses every model
    expect(listColumnLineageInputs(fresh).size).toBe(0)
  })
})
