import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openDemoPage, pageReady, type DemoPage } from './harness.ts'

// The main pages by keyboard alone (#20): Tab and Enter from the mesh home to a domain, one of its
// products and that product's lineage, every stop showing where the focus is.
let demo: DemoPage
let page: Page

interface Focused {
  tag: string
  href: string | null
  testid: string | null
  text: string
  /** the focus ring as drawn: outline style and width, box-shadow */
  outline: string
  outlineWidth: number
  boxShadow: string
}

// Page-side code is passed as a string: the node tsconfig has no DOM lib.
const focused = async (): Promise<Focused | null> =>
  (await page.evaluate(`(() => {
    const el = document.activeElement
    if (!el || el === document.body) return null
    const cs = getComputedStyle(el)
    return {
      tag: el.tagName.toLowerCase(),
      href: el.getAttribute('href'),
      testid: el.getAttribute('data-testid'),
      text: (el.innerText || el.getAttribute('aria-label') || '').trim().slice(0, 80),
      outline: cs.outlineStyle,
      outlineWidth: parseFloat(cs.outlineWidth) || 0,
      boxShadow: cs.boxShadow,
    }
  })()`)) as Focused | null

const visibleFocus = (f: Focused) =>
  (f.outline !== 'none' && f.outlineWidth >= 2) || (f.boxShadow !== 'none' && f.boxShadow !== '')

/**
 * Presses Tab until the focused element matches, checking on the way that every stop shows a focus
 * ring; the stops it passed (for the failure message).
 */
async function tabTo(match: (f: Focused) => boolean, max = 80): Promise<Focused[]> {
  const seen: Focused[] = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab')
    const f = await focused()
    if (!f) continue
    seen.push(f)
    expect(visibleFocus(f), `no visible focus on ${f.tag} “${f.text}”: ${JSON.stringify(f)}`).toBe(
      true,
    )
    if (match(f)) return seen
  }
  throw new Error(
    `not reached in ${max} tabs; stops: ${seen.map((f) => `${f.tag}:${f.href ?? f.testid ?? f.text}`).join(' | ')}`,
  )
}

beforeAll(async () => {
  demo = await openDemoPage()
  page = demo.page
})

afterAll(async () => demo?.close())

describe('the main pages by keyboard', () => {
  it('goes home → a domain → a product → its lineage with Tab and Enter, focus always visible', async () => {
    await page.goto(`${demo.server.url}/`)
    await pageReady(page)

    const home = await tabTo((f) => f.href === '/domains/sales')
    // The header comes first: the brand, the navigation, the search box.
    expect(home.slice(0, 6).map((f) => f.href ?? f.tag)).toEqual([
      '/',
      '/',
      '/products',
      '/lineage',
      '/incidents',
      'input',
    ])
    await page.keyboard.press('Enter')
    await pageReady(page)
    expect(new URL(page.url()).pathname).toBe('/domains/sales')

    // After a page change the focus starts at the page's content, not back at the header.
    const domain = await tabTo((f) => f.href?.startsWith('/products/sales.') ?? false)
    expect(domain.some((f) => f.href === '/products')).toBe(false)
    const product = domain.at(-1)?.href ?? ''
    await page.keyboard.press('Enter')
    await pageReady(page)
    expect(new URL(page.url()).pathname).toBe(product)

    await tabTo((f) => f.testid === 'open-lineage')
    await page.keyboard.press('Enter')
    await pageReady(page)
    await page.waitForSelector('#cy[data-ready="true"]', { timeout: 30_000 })
    expect(new URL(page.url()).pathname).toBe('/lineage')
    expect(new URL(page.url()).searchParams.get('node')).toMatch(/^(dataset|job):\d+$/)

    // The lineage toolbar's controls are reachable and work from the keyboard too.
    await tabTo((f) => f.testid === 'orchestration-toggle')
    await page.keyboard.press('Space')
    await page.waitForFunction(
      `new URL(location.href).searchParams.get('orchestration') === 'true'`,
      undefined,
      { timeout: 10_000 },
    )
  })
})
