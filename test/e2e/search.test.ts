import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ARTIFACTS, axeSerious, openDemoPage, pageReady, type DemoPage } from './harness.ts'

// The header's one search box (#20) on the demo mesh, driven by the keyboard only, in Debian's Chromium.
let demo: DemoPage
let page: Page
let url: string

const BOX = '#site-search'
const LIST = '#site-search-results'
const ready = () => pageReady(page)
const focusedId = () => page.evaluate('document.activeElement && document.activeElement.id')
const activeOption = async () => {
  const id = await page.getAttribute(BOX, 'aria-activedescendant')
  return id ? page.locator(`#${id}`) : null
}
const options = () => page.locator(`${LIST} [role="option"]`)

/** Types `q` into the focused box and waits for the listbox to show this query's results. */
async function typeQuery(q: string): Promise<void> {
  await page.keyboard.type(q)
  await page.waitForFunction(
    `document.querySelector('${BOX}').getAttribute('aria-expanded') === 'true'`,
    undefined,
    { timeout: 10_000 },
  )
}

/** Arrow down until the active option opens a URL starting with `prefix`; its href. */
async function arrowTo(prefix: string): Promise<string> {
  const n = await options().count()
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('ArrowDown')
    const href = await (await activeOption())?.getAttribute('data-href')
    if (href?.startsWith(prefix)) return href
  }
  throw new Error(`no option opening ${prefix}`)
}

beforeAll(async () => {
  demo = await openDemoPage()
  page = demo.page
  url = demo.server.url
})

afterAll(async () => demo?.close())

describe('the header search box', () => {
  it('is in the header of every page', async () => {
    for (const path of ['/', '/products', '/domains/sales', '/lineage', '/incidents']) {
      await page.goto(`${url}${path}`)
      await ready()
      expect(await page.locator(`header ${BOX}[role="combobox"]`).count(), path).toBe(1)
    }
  })

  it('focuses with /, lists results grouped by kind, and moves through them with the arrows', async () => {
    await page.goto(`${url}/`)
    await ready()
    await page.keyboard.press('/')
    expect(await focusedId()).toBe('site-search')
    await typeQuery('orders')
    const kinds = await page
      .locator(`${LIST} [role="group"]`)
      .evaluateAll((gs) => gs.map((g) => g.getAttribute('data-kind')))
    expect(kinds).toEqual(expect.arrayContaining(['product', 'dataset', 'column', 'job']))
    // The groups' labels name them (aria-labelledby), in the API's kind order.
    expect(kinds.indexOf('product')).toBeLessThan(kinds.indexOf('dataset'))
    const label = await page
      .locator(`${LIST} [role="group"][data-kind="dataset"]`)
      .getAttribute('aria-labelledby')
    expect(await page.locator(`#${label}`).innerText()).toMatch(/Datasets/i)

    expect(await activeOption()).toBeNull()
    await page.keyboard.press('ArrowDown')
    const first = await activeOption()
    expect(await first?.getAttribute('aria-selected')).toBe('true')
    expect(await first?.innerText()).toMatch(/orders/)
    await page.keyboard.press('ArrowDown')
    const second = await activeOption()
    expect(await second?.getAttribute('id')).not.toBe(await first?.getAttribute('id'))
    expect(await first?.getAttribute('aria-selected')).toBe('false')
    await page.keyboard.press('ArrowUp')
    expect(await (await activeOption())?.getAttribute('id')).toBe(await first?.getAttribute('id'))
    // The active option is visibly marked, not by colour alone: an outline.
    const outline = await page.evaluate(
      `getComputedStyle(document.getElementById('${await first?.getAttribute('id')}')).outlineStyle`,
    )
    expect(outline).not.toBe('none')
    expect(await focusedId()).toBe('site-search')
    await page.screenshot({ path: join(ARTIFACTS, 'search-light.png') })
  })

  it('has no serious axe violations with the results open, in light and dark', async () => {
    expect(await axeSerious(page)).toEqual([])
    await page.emulateMedia({ colorScheme: 'dark' })
    await page.screenshot({ path: join(ARTIFACTS, 'search-dark.png') })
    expect(await axeSerious(page)).toEqual([])
    await page.emulateMedia({ colorScheme: 'light' })
  })

  it('closes with Esc, keeping the text, and reopens with the arrow', async () => {
    await page.keyboard.press('Escape')
    expect(await page.getAttribute(BOX, 'aria-expanded')).toBe('false')
    expect(await page.locator(LIST).isVisible()).toBe(false)
    expect(await page.inputValue(BOX)).toBe('orders')
    expect(await page.getAttribute(BOX, 'aria-activedescendant')).toBeNull()
    await page.keyboard.press('ArrowDown')
    expect(await page.getAttribute(BOX, 'aria-expanded')).toBe('true')
  })

  it('opens the active product with Enter', async () => {
    const href = await arrowTo('/products/')
    await page.keyboard.press('Enter')
    await ready()
    expect(new URL(page.url()).pathname).toBe(href)
    expect(await page.locator('h1').first().innerText()).toMatch(/orders/)
    expect(await page.getAttribute(BOX, 'aria-expanded')).toBe('false')
  })

  it("opens a column's lineage at column level from any page", async () => {
    await page.keyboard.press('/')
    await typeQuery('amount')
    expect(await page.locator(`${LIST} [role="group"][data-kind="column"]`).count()).toBe(1)
    const href = await arrowTo('/lineage?')
    expect(href).toMatch(/level=column/)
    await page.keyboard.press('Enter')
    await ready()
    const url = new URL(page.url())
    expect(url.pathname).toBe('/lineage')
    expect(url.searchParams.get('level')).toBe('column')
    expect(url.searchParams.get('node')).toMatch(/^dataset:\d+$/)
  })

  it('says so when nothing matches, and / while typing in another field types a slash', async () => {
    await page.goto(`${url}/products`)
    await ready()
    await page.focus('input[aria-label="filter products"]')
    await page.keyboard.type('a/b')
    expect(await page.inputValue('input[aria-label="filter products"]')).toBe('a/b')
    expect(await focusedId()).not.toBe('site-search')
    await page.fill('input[aria-label="filter products"]', '')
    await page.focus(BOX)
    await page.keyboard.type('zzz-no-such-thing')
    await page.waitForSelector('.site-results.empty:not([hidden])')
    expect(await page.locator('.site-results.empty').innerText()).toMatch(/Nothing named/)
    expect(await page.getAttribute(BOX, 'aria-expanded')).toBe('false')
  })
})
