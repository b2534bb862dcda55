import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readDbtTarget } from '../../collectors/dbt/read.ts'
import { closeDb, openDb } from '../../db/client.ts'
import { ingestBatch } from '../../server/ingest.ts'
import { writeSyntheticManifest } from '../bench/gen-manifest.ts'
import {
  ARTIFACTS,
  buildWeb,
  launchChromium,
  startMeshwatch,
  type RunningServer,
} from './harness.ts'
import { sqliteStore } from '../../db/store.ts'

// A domain past the big-domain threshold (1,500 nodes) in a real server and Debian's Chromium.
let tmp: string
let server: RunningServer
let browser: Awaited<ReturnType<typeof launchChromium>>
let page: Page

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  buildWeb()
  tmp = mkdtempSync(join(tmpdir(), 'meshwatch-big-domain-'))
  const target = join(tmp, 'target')
  mkdirSync(target, { recursive: true })
  await writeSyntheticManifest(join(target, 'manifest.json'), {
    models: 2000,
    domains: 3,
    largest: 1800,
    providers: 1,
    columns: 1,
  })
  const dbFile = join(tmp, 'mesh.db')
  const db = openDb(dbFile)
  await ingestBatch(
    { store: sqliteStore(db) },
    await readDbtTarget(target, { namespace: 'duckdb:///e2e/big.duckdb', columnLineage: false }),
  )
  closeDb(db)
  server = await startMeshwatch({ db: dbFile, args: ['--no-demo'] })
  browser = await launchChromium()
  page = await browser.context.newPage()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  if (tmp) rmSync(tmp, { recursive: true, force: true })
})

// Page-side code is passed as strings: the node tsconfig has no DOM lib.
const inPage = async <T>(code: string): Promise<T> => (await page.evaluate(code)) as T

describe('a big opened domain', () => {
  it('draws its datasets, folds its dbt models and puts its inner edges on an image', async () => {
    await page.goto(`${server.url}/lineage?domain=domain_0`)
    await page.waitForSelector('#cy[data-ready="true"]', { timeout: 60_000 })
    const drawn = await inPage<{ datasets: number; models: number; inner: number; image: string }>(
      `(() => {
        const cy = window.meshwatchCy
        const inside = (n) => n.data('kind') !== 'domain' && n.data('detail').includes('domain_0')
        return {
          datasets: cy.nodes('[kind = "dataset"]').filter(inside).length,
          models: cy.nodes('[jobType = "dbt_model"]').length,
          inner: cy.edges().filter((e) => inside(e.source()) && inside(e.target())).length,
          image: String(cy.getElementById('domain:domain_0').style('background-image')),
        }
      })()`,
    )
    await page.screenshot({ path: join(ARTIFACTS, 'lineage-big-domain.png') })
    expect(drawn.datasets).toBeGreaterThan(1500)
    expect(drawn.models).toBe(0)
    expect(drawn.inner).toBe(0)
    expect(drawn.image).toContain('blob:')
  }, 90_000)

  it("adds a clicked dataset's own edges, highlighted, naming the models they stand for", async () => {
    const lit = await inPage<{ edges: number; hl: number; jobs: number }>(`(() => {
      const cy = window.meshwatchCy
      const ds = cy.nodes('[kind = "dataset"]').filter((n) => n.data('detail').includes('domain_0'))
      ds[ds.length - 1].emit('tap')
      const edges = cy.edges(':not(.summary)')
      return {
        edges: edges.length,
        hl: edges.filter('.hl').length,
        jobs: edges.filter((e) => String(e.data('job') ?? '').startsWith('job:')).length,
      }
    })()`)
    expect(lit.hl).toBeGreaterThan(0)
    expect(lit.jobs).toBeGreaterThan(0)
    await page.screenshot({ path: join(ARTIFACTS, 'lineage-big-domain-selected.png') })
  }, 30_000)
})
