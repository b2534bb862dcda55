import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import type { Batch } from '../../collectors/batch.ts'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { closeDb, openDb, type Db } from '../../db/client.ts'
import { createApp } from '../../server/app.ts'
import { loadConfigFile } from '../../server/config-file.ts'
import { SILENT, type Deps, type StoredWrite } from '../../server/deps.ts'
import { DEMO_JOB_NAMESPACE, demoTargets, FIXTURES } from '../../server/demo.ts'
import { createEvaluator } from '../../server/evaluate.ts'
import { ingestBatches } from '../../server/ingest.ts'
import { startServer } from '../../server/main.ts'
import { pushBatch } from '../../server/push.ts'
import { runEvent } from '../collectors/openlineage/helpers.ts'
import { sqliteStore } from '../../db/store.ts'

const CONFIG = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))

/** The demo's recorded dbt builds of one day, read as `collect dbt` reads them. */
async function demoBatches(day: 'good' | 'bad'): Promise<Batch[]> {
  const out: Batch[] = []
  for (const t of demoTargets(day))
    out.push(
      await readDbtTarget(t.target, {
        projectDir: t.projectDir,
        profilesDir: t.projectDir,
        jobNamespace: DEMO_JOB_NAMESPACE,
        env: {},
      }),
    )
  return out
}

const count = (db: Db, table: string): number =>
  (db.$client.prepare(`select count(*) n from ${table}`).get() as { n: number }).n

const idOf = (db: Db, name: string): number | undefined =>
  db.$client.prepare('select id from datasets where name = ?').pluck().get(name) as
    number | undefined

const post = (app: ReturnType<typeof createApp>, path: string, body: unknown) =>
  app.request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('what happens after a write is given when the app is built', () => {
  it('runs the afterWrite of Deps after each stored batch and event, not for a redelivery', async () => {
    const db = openDb(':memory:')
    const seen: StoredWrite[] = []
    const app = createApp({ store: sqliteStore(db), afterWrite: (w) => void seen.push(w) })
    const [sales] = await demoBatches('good')
    expect((await post(app, '/api/batches', sales)).ok).toBe(true)
    expect(seen).toHaveLength(1)
    const orders = idOf(db, 'mesh.sales.orders')
    expect(orders).toBeDefined()
    expect(seen[0]?.datasetIds).toContain(orders)
    expect((await post(app, '/api/batches', sales)).ok).toBe(true)
    expect(seen).toHaveLength(1)

    expect((await post(app, '/api/v1/lineage', runEvent())).ok).toBe(true)
    expect(seen).toHaveLength(2)
    const raw = idOf(db, 'mesh.sales.raw_orders')
    expect(raw).toBeDefined()
    expect(seen[1]?.datasetIds).toContain(raw)
    expect((await post(app, '/api/v1/lineage', runEvent())).ok).toBe(true)
    expect(seen).toHaveLength(2)
  })

  it('ingestBatches stores batches and what afterWrite writes in one transaction, or none of it', async () => {
    const db = openDb(':memory:')
    const batches = await demoBatches('good')
    const seen: StoredWrite[] = []
    const failing: Deps = {
      store: sqliteStore(db),
      afterWrite: (w) => {
        seen.push(w)
        throw new Error('the hook failed')
      },
    }
    await expect(ingestBatches(failing, batches)).rejects.toThrow('the hook failed')
    // once, for all the batches together
    expect(seen).toHaveLength(1)
    expect(count(db, 'batches')).toBe(0)
    expect(count(db, 'datasets')).toBe(0)

    const evaluator = createEvaluator({
      store: sqliteStore(db),
      meshwatch: CONFIG,
      now: () => new Date(),
    })
    const results = await ingestBatches(
      { store: sqliteStore(db), meshwatch: CONFIG, afterWrite: evaluator.afterWrite },
      batches,
    )
    expect(results.map((r) => r.duplicate)).toEqual(batches.map(() => false))
    expect(count(db, 'batches')).toBe(batches.length)
    // every product of the four projects was scored by the hook
    expect(count(db, 'evaluations')).toBe(count(db, 'products'))
    closeDb(db)
  })
})

describe('a busy store', () => {
  it('is answered 503 with Retry-After, nothing written (StoreBusyError from db/)', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'busy-')), 'm.db')
    const holder = openDb(file)
    const db = openDb(file)
    db.$client.pragma('busy_timeout = 0')
    const app = createApp({ store: sqliteStore(db) })
    const [sales] = await demoBatches('good')
    holder.$client.exec('begin immediate')
    const res = await post(app, '/api/batches', sales)
    holder.$client.exec('rollback')
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toBe('1')
    expect(await res.json()).toEqual({
      error: { code: 'busy', message: 'the store is busy; retry shortly' },
    })
    expect(count(db, 'batches')).toBe(0)
    expect((await post(app, '/api/batches', sales)).ok).toBe(true)
    closeDb(holder)
    closeDb(db)
  })
})

describe('serve', () => {
  let stop: (() => Promise<void>) | undefined
  afterEach(async () => {
    await stop?.()
    stop = undefined
  })

  it('scores the products a pushed batch touched, through the afterWrite main.ts gives the app', async () => {
    const dbFile = join(mkdtempSync(join(tmpdir(), 'serve-')), 'm.db')
    const { server, db, url } = await startServer({
      dbFile,
      port: 0,
      host: '127.0.0.1',
      demo: false,
      log: SILENT,
      meshwatch: CONFIG,
    })
    stop = () => new Promise((resolve) => server.close(() => resolve()))
    expect(count(db, 'evaluations')).toBe(0)
    const [sales] = await demoBatches('good')
    if (!sales) throw new Error('no demo batch')
    await pushBatch(url, sales)
    const scored = db.$client
      .prepare('select distinct product_id id from evaluations order by 1')
      .pluck()
      .all()
    expect(scored.length).toBeGreaterThan(0)
    expect(scored).toContain('sales.orders')
    expect(scored.every((id) => String(id).startsWith('sales.'))).toBe(true)
  })
})
