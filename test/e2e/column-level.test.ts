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

/** Clicks a Cytoscape node where it is drawn, as a person would. */
async function clickNode(id: string): Promise<void> {
  // Page-side code is passed as a string: the node tsconfig has no DOM lib.
  const pos = (await page.evaluate(`(() => {
    const bb = window.meshwatchCy.getElementById(${JSON.stringify(id)}).renderedBoundingBox()
    const rect = document.getElementById('cy').getBoundingClientRect()
    return { x: rect.left + bb.x1 + bb.w / 2, y: rect.top + bb.y1 + bb.h / 2 }
  })()`)) as { x: number; y: number }
  await page.mouse.click(pos.x, pos.y)
}

interface Look {
  id: string
  faded: boolean
  hl: boolean
  /** the opacity it is drawn with (its own times its boxes') */
  opacity: number
}
/** Each element of the graph matching `selector`: faded or highlighted, and how opaque it is drawn. */
const looks = async (selector: string): Promise<Look[]> =>
  (await page.evaluate(
    `window.meshwatchCy.elements(${JSON.stringify(selector)}).map((e) => ({
      id: e.id(), faded: e.hasClass('faded'), hl: e.hasClass('hl'), opacity: e.effectiveOpacity() }))`,
  )) as Look[]

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

  it("highlights the focused dataset's columns and their column paths, and a clicked column's own", async () => {
    await page.goto(`${server.url}/lineage?node=dataset:${orders}&depth=1&level=column`)
    await graphReady()
    await page.waitForFunction(`window.meshwatchCy.nodes('[kind="column"]').length > 0`)
    await page.screenshot({ path: join(ARTIFACTS, 'lineage-column-focus.png') })
    const amount = `column:${orders}:amount_eur`
    // Every column edge here touches one of sales.orders' columns: focused on the dataset, all of
    // them are highlighted and drawn opaque, the dataset's own columns too; nothing is faded.
    const own = await looks(`node[parent="dataset:${orders}"]`)
    expect(own.map((c) => c.id)).toContain(amount)
    for (const c of own) expect(c).toMatchObject({ faded: false, opacity: 1 })
    const edges = await looks('edge[kind="column"]')
    expect(edges.length).toBeGreaterThan(1)
    for (const e of edges) expect(e).toMatchObject({ faded: false, hl: true })
    expect((await looks('.faded')).map((e) => e.id)).toEqual([])

    // A clicked column: its own path lit (staging's amount_cents into it, finance's gross revenue
    // out of it), a column of sales.orders off that path faded, its edges too.
    await clickNode(amount)
    await page.waitForFunction(
      `window.meshwatchCy.getElementById(${JSON.stringify(amount)}).selected()`,
    )
    await page.screenshot({ path: join(ARTIFACTS, 'lineage-column-clicked.png') })
    const labelled = async (selector: string) =>
      (await page.evaluate(
        `window.meshwatchCy.elements(${JSON.stringify(selector)}).map((n) => n.parent().data('detail') + '.' + n.data('label'))`,
      )) as string[]
    const lit = await labelled('node[kind="column"]:not(.faded)')
    expect(lit).toEqual(
      expect.arrayContaining([
        'mesh.sales.orders.amount_eur',
        'mesh.finance.revenue_daily.gross_revenue_eur',
      ]),
    )
    expect(lit.some((c) => c.endsWith('.amount_cents'))).toBe(true)
    const [mine] = await looks(`node[id="${amount}"]`)
    expect(mine).toMatchObject({ faded: false, opacity: 1 })
    const other = await looks(`node[parent="dataset:${orders}"][id != "${amount}"]`)
    expect(other.length).toBeGreaterThan(0)
    for (const c of other) expect(c.faded).toBe(true)
    // Faded is drawn faint (its box stays opaque: the dataset holds a lit column).
    expect(Math.max(...other.map((c) => c.opacity))).toBeLessThan(0.5)
    const path = await looks(`edge[source="${amount}"], edge[target="${amount}"]`)
    expect(path.length).toBeGreaterThan(1)
    for (const e of path) expect(e).toMatchObject({ faded: false, hl: true })
    const off = await looks(`edge[kind="column"][source != "${amount}"][target != "${amount}"]`)
    expect(off.length).toBeGreaterThan(0)
    for (const e of off) expect(e).toMatchObject({ faded: true, hl: false })

    // A click on the background clears it, as in table mode.
    const rect = (await page.evaluate(
      `(() => { const r = document.getElementById('cy').getBoundingClientRect(); return { x: r.left + 5, y: r.top + 5 } })()`,
    )) as { x: number; y: number }
    await page.mouse.click(rect.x, rect.y)
    expect((await looks('.faded, .hl')).map((e) => e.id)).toEqual([])
  })
})
