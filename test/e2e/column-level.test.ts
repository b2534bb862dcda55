import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, openDemoPage, type DemoPage, type RunningServer } from './harness.ts'

// The lineage view's switch of a dataset's neighbourhood to column level (#19), on the demo mesh
// in a real server and Debian's Chromium.
let demo: DemoPage | undefined
let server: RunningServer
let page: Page
let orders = 0

beforeAll(async () => {
  demo = await openDemoPage({ width: 1400, height: 900 })
  ;({ server, page } = demo)
  const q = new URLSearchParams({ namespace: 'duckdb://mesh.duckdb', name: 'mesh.sales.orders' })
  const res = await fetch(`${server.url}/api/datasets?${q}`)
  orders = ((await res.json()) as { id: number }).id
})

afterAll(async () => {
  await demo?.close()
})

const graphReady = () => page.waitForSelector('#cy[data-ready="true"]', { timeout: 30_000 })
const inGraph = async (selector: string): Promise<string[]> =>
  (await page.evaluate(
    `window.meshwatchCy.elements(${JSON.stringify(selector)}).map((e) => e.id())`,
  )) as string[]
const level = () => page.locator('[data-testid="column-level"]')

describe("the lineage view switches a dataset's neighbourhood to column level", () => {
  it("draws sales.orders' columns with the columns they come from and go to, and back", async () => {
    await page.goto(`${server.url}/lineage?node=dataset:${orders}&depth=1`)
    await graphReady()
    expect(await inGraph('node[kind="column"]')).toEqual([])
    const tables = (await inGraph('node[kind="dataset"]')).length
    const button = level()
    expect(await button.innerText()).toBe('Column level')
    expect(await button.getAttribute('aria-pressed')).toBe('false')

    await button.click()
    await page.waitForFunction(`window.meshwatchCy.nodes('[kind="column"]').length > 0`)
    await graphReady()
    expect(await button.innerText()).toBe('Table level')
    expect(await button.getAttribute('aria-pressed')).toBe('true')
    expect(new URL(page.url()).searchParams.get('level')).toBe('column')
    // each column sits in its dataset's box; the focused dataset is the root
    const parent = (id: string) =>
      page.evaluate(`window.meshwatchCy.getElementById(${JSON.stringify(id)}).parent().id()`)
    const amount = `column:${orders}:amount_eur`
    expect(await inGraph(`node[id="${amount}"]`)).toEqual([amount])
    expect(await parent(amount)).toBe(`dataset:${orders}`)
    // amount_eur comes from staging's amount_cents, and finance's revenue reads it
    const into = (await page.evaluate(
      `window.meshwatchCy.getElementById(${JSON.stringify(amount)}).incomers('node').map((n) => n.data('label'))`,
    )) as string[]
    expect(into).toContain('amount_cents')
    const out = (await page.evaluate(
      `window.meshwatchCy.getElementById(${JSON.stringify(amount)}).outgoers('node').map((n) => n.parent().data('detail') + '.' + n.data('label'))`,
    )) as string[]
    expect(out).toContain('mesh.finance.revenue_daily.gross_revenue_eur')
    await page.screenshot({ path: join(ARTIFACTS, 'lineage-column-level.png') })

    await button.click()
    await page.waitForFunction(`window.meshwatchCy.nodes('[kind="column"]').length === 0`)
    await graphReady()
    expect(new URL(page.url()).searchParams.get('level')).toBeNull()
    expect((await inGraph('node[kind="dataset"]')).length).toBe(tables)
  })

  it('draws the column level again from a link (level=column in the URL)', async () => {
    await page.goto(`${server.url}/lineage?node=dataset:${orders}&depth=1&level=column`)
    await graphReady()
    await page.waitForFunction(`window.meshwatchCy.nodes('[kind="column"]').length > 0`)
    expect(await inGraph(`node[id="column:${orders}:amount_eur"]`)).toHaveLength(1)
    expect(await level().getAttribute('aria-pressed')).toBe('true')
  })
})
