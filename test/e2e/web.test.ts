import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  axeSerious,
  buildWeb,
  launchChromium,
  startMeshwatch,
  type RunningServer,
} from './harness.ts'

// The demo mesh (good day, then the bad day) in a real server and Debian's Chromium.
let server: RunningServer
let browser: Awaited<ReturnType<typeof launchChromium>>
let context: BrowserContext
let page: Page
let breached: { id: string; name: string; domain: string }

const shot = async (name: string) => {
  await page.screenshot({
    path: join(ARTIFACTS, `${name}.png`),
    fullPage: name !== 'lineage-overview' && name !== 'lineage-expanded',
  })
}
const ready = async () => page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })
const graphReady = async () => page.waitForSelector('#cy[data-ready="true"]', { timeout: 30_000 })

/** Clicks a Cytoscape node where it is drawn, as a person would. */
async function clickNode(id: string): Promise<void> {
  // Page-side code is passed as a string: the node tsconfig has no DOM lib.
  const pos = (await page.evaluate(`(() => {
    const bb = window.meshwatchCy.getElementById(${JSON.stringify(id)}).renderedBoundingBox()
    const rect = document.getElementById('cy').getBoundingClientRect()
    return { x: rect.left + bb.x1 + bb.w / 2, y: rect.top + bb.y1 + Math.min(bb.h / 2, 12) }
  })()`)) as { x: number; y: number }
  await page.mouse.click(pos.x, pos.y)
}
const graphNodes = async () => Number(await page.getAttribute('#cy', 'data-nodes'))

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  buildWeb()
  server = await startMeshwatch()
  const products = (await (await fetch(`${server.url}/api/products`)).json()) as {
    products: { id: string; name: string; domain: string; evaluation: { status: string } | null }[]
  }
  const bad = products.products.find((p) => p.evaluation?.status === 'breach')
  if (!bad)
    throw new Error(
      `the demo mesh has no breached product: ${JSON.stringify(products.products.map((p) => [p.id, p.evaluation?.status]))}`,
    )
  breached = bad
  browser = await launchChromium()
  context = browser.context
  page = await context.newPage()
  page.on('pageerror', (e) => console.error('page error:', e.message))
})

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('the web view on the demo mesh', () => {
  it('lists every product in the catalog, and filters by status and text', async () => {
    await page.goto(`${server.url}/products`)
    await ready()
    const total = await page.locator('table.catalog tbody tr').count()
    expect(total).toBeGreaterThanOrEqual(4)
    await shot('catalog')
    await page.selectOption('select[name="status"]', 'breach')
    expect(await page.locator(`tr[data-product="${breached.id}"]`).count()).toBe(1)
    expect(new URL(page.url()).search).toBe('?status=breach')
    expect(await page.locator('table.catalog tbody tr').count()).toBeLessThan(total)
    await page.selectOption('select[name="status"]', '')
    await page.fill('input[aria-label="filter products"]', 'zzz-no-such-product')
    expect(await page.locator('table.catalog tbody tr').count()).toBe(0)
    await page.fill('input[aria-label="filter products"]', '')
  })

  it('opens the breached product and shows the SLA breakdown and the root cause with owners', async () => {
    await page.click(`tr[data-product="${breached.id}"] a`)
    await ready()
    expect(new URL(page.url()).pathname).toBe(`/products/${encodeURIComponent(breached.id)}`)
    await page.waitForSelector('[data-testid="root-cause"]')
    const sla = await page.locator('[data-testid="sla"]').innerText()
    expect(sla).toMatch(/breach/)
    const cause = await page.locator('[data-testid="root-cause"]').innerText()
    expect(cause).toMatch(/owner:/)
    expect(await page.locator('[data-testid="schema"]').count()).toBeGreaterThan(0)
    expect(await page.locator('[data-testid="neighbours"]').innerText()).toMatch(/Downstream/)
    await shot('product-breached')
  })

  it('follows the product into its lineage and back out to the domain overview, expanding a domain', async () => {
    await page.click('[data-testid="open-lineage"]')
    await ready()
    await graphReady()
    expect(new URL(page.url()).searchParams.get('node')).toMatch(/^dataset:\d+$/)
    expect(await graphNodes()).toBeGreaterThan(2)
    await shot('lineage-focus')

    await page.click('[data-testid="overview"]')
    await ready()
    await graphReady()
    const collapsed = await graphNodes()
    const domains = (
      (await (await fetch(`${server.url}/api/lineage/overview`)).json()) as { domains: unknown[] }
    ).domains
    expect(collapsed).toBe(domains.length)
    await shot('lineage-overview')

    await clickNode(`domain:${breached.domain}`)
    await page.waitForFunction(`Number(document.getElementById('cy').dataset.nodes) > ${collapsed}`)
    await graphReady()
    expect(new URL(page.url()).searchParams.get('domain')).toBe(breached.domain)
    await shot('lineage-expanded')
  })

  it('shows a clicked dataset in the side panel with its column lineage on demand', async () => {
    const id = (await page.evaluate(
      `window.meshwatchCy.nodes('[?product]')[0]?.id() ?? ''`,
    )) as string
    expect(id).toMatch(/^dataset:/)
    await clickNode(id)
    await page.waitForSelector('[data-testid="column-lineage-button"]')
    await page.click('[data-testid="column-lineage-button"]')
    await page.waitForSelector('[data-testid="column-lineage"]')
  })

  it('serves deep links to a product and to a lineage node on a fresh load', async () => {
    await page.goto(`${server.url}/products/${encodeURIComponent(breached.id)}`)
    await ready()
    expect(await page.locator('h1').first().innerText()).toContain(breached.name)
    await page.goto(`${server.url}/lineage?node=dataset:1&depth=1`)
    await ready()
    await graphReady()
    expect(await graphNodes()).toBeGreaterThan(0)
  })

  it('jumps to a node from the lineage search', async () => {
    await page.goto(`${server.url}/lineage`)
    await graphReady()
    await page.fill('input[aria-label="search lineage"]', 'orders')
    await page.waitForSelector('[data-testid="search-results"] li a')
    await page.click('[data-testid="search-results"] li a')
    await graphReady()
    expect(new URL(page.url()).searchParams.get('node')).toMatch(/^(dataset|job):\d+$/)
    expect(await page.evaluate(`window.meshwatchCy.$(':selected').length`)).toBe(1)
  })

  it('shows the mesh home with a tile per domain, on the demo clock', async () => {
    await page.goto(`${server.url}/`)
    await ready()
    const tiles = await page.locator('[data-testid="domain-tiles"] > li').count()
    const domains = (
      (await (await fetch(`${server.url}/api/domains/overview`)).json()) as { domains: unknown[] }
    ).domains
    expect(tiles).toBe(domains.length)
    expect(await page.locator('[data-testid="mesh-summary"]').innerText()).toMatch(/demo clock/)
    expect(await page.locator(`li[data-domain="${breached.domain}"]`).innerText()).toMatch(/breach/)
    await shot('home')
    await page.setViewportSize({ width: 3840, height: 2160 })
    await shot('home-4k')
    await page.setViewportSize({ width: 1280, height: 800 })
    await shot('home-1280')
  })

  it('opens a domain page from its tile, with its products, what it publishes and who reads it', async () => {
    await page.click(`li[data-domain="${breached.domain}"] h2 a`)
    await ready()
    expect(new URL(page.url()).pathname).toBe(`/domains/${breached.domain}`)
    expect(await page.locator('[data-testid="contacts"]').innerText()).toMatch(/owner/)
    expect(
      await page
        .locator(`[data-testid="domain-products"] tr[data-product="${breached.id}"]`)
        .count(),
    ).toBe(1)
    expect(await page.locator('[data-testid="published"]').count()).toBe(1)
    await shot('domain')
  })

  it("opens a run's timeline from the product's recent runs, with the steps and the last runs", async () => {
    await page.goto(`${server.url}/products/${encodeURIComponent(breached.id)}`)
    await ready()
    const runs = page.locator('[data-testid="runs"] tbody tr')
    expect(await runs.count()).toBeGreaterThan(0)
    // every run row names its job, its DAG or dbt invocation, and a duration
    expect(await runs.first().locator('td').count()).toBe(5)
    await runs.first().locator('a').click()
    await ready()
    expect(new URL(page.url()).pathname).toMatch(/^\/runs\//)
    await page.waitForSelector('[data-testid="gantt"]')
    expect(await page.locator('[data-testid="run-history"]').count()).toBe(1)
    await shot('run-timeline')
  })

  it('marks the first failed step of the failed DAG run, reachable from /runs?job=', async () => {
    const overview = (await (
      await fetch(`${server.url}/api/lineage/search?q=finance_ledger`)
    ).json()) as {
      results?: { id: string; name: string }[]
    }
    const dag = (overview.results ?? []).find((r) => r.name === 'finance_ledger')
    const jobId = dag ? Number(dag.id.slice(4)) : 0
    const runs = (await (await fetch(`${server.url}/api/jobs/${jobId}/runs?limit=50`)).json()) as {
      runs: { runId: string; state: string }[]
    }
    const failed = runs.runs.find((r) => r.state === 'FAIL')
    expect(failed).toBeDefined()
    await page.goto(`${server.url}/runs/${encodeURIComponent(failed?.runId ?? '')}`)
    await ready()
    expect(await page.locator('[data-testid="first-problem"]').innerText()).toMatch(/load_ledger/)
    expect(await page.locator('tr.first-problem').count()).toBe(1)
    await shot('run-timeline-failed')
  })

  it('has no serious accessibility violations (axe-core) on the pages of #20, light and dark', async () => {
    const runs = (await (
      await fetch(`${server.url}/api/runs?product=${encodeURIComponent(breached.id)}`)
    ).json()) as {
      runs: { runId: string; parentRunId: string | null }[]
    }
    const run = runs.runs[0]
    const pages = [
      '/',
      '/products',
      `/products/${encodeURIComponent(breached.id)}`,
      `/domains/${breached.domain}`,
      ...(run ? [`/runs/${encodeURIComponent(run.parentRunId ?? run.runId)}`] : []),
    ]
    const found: string[] = []
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      for (const path of pages) {
        await page.goto(`${server.url}${path}`)
        await ready()
        for (const v of await axeSerious(page))
          found.push(`${scheme} ${path}: ${v.id} (${v.impact}, ${v.nodes} nodes) ${v.help}`)
      }
    }
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.goto(`${server.url}/`)
    await ready()
    await shot('home-dark')
    await page.emulateMedia({ colorScheme: 'light' })
    expect(found).toEqual([])
  })
})
