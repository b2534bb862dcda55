import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  axeSerious,
  openDemoPage,
  type DemoPage,
  type RunningServer,
} from './harness.ts'

// The product page's column lineage (#19) on the demo mesh, in a real server and Debian's Chromium.
let demo: DemoPage | undefined
let server: RunningServer
let page: Page

beforeAll(async () => {
  demo = await openDemoPage()
  ;({ server, page } = demo)
})

afterAll(async () => {
  await demo?.close()
})

const openProduct = async (id: string) => {
  await page.goto(`${server.url}/products/${encodeURIComponent(id)}`)
  await page.waitForSelector('[data-testid="column-uses"] table', { timeout: 30_000 })
}
const cell = (column: string, testid: string) =>
  page.locator(`[data-testid="column-uses"] tr[data-column="${column}"] [data-testid="${testid}"]`)

describe('the product page shows each column from its raw sources to its uses across domains', () => {
  it("traces finance.revenue's invoiced revenue down to the raw finance tables", async () => {
    await openProduct('finance.revenue')
    const raw = await cell('invoiced_revenue_eur', 'raw-sources').innerText()
    expect(raw).toContain('mesh.finance_raw.raw_invoices.amount_cents')
    expect(raw).toContain('mesh.finance_raw.raw_fx_rates.rate_to_eur')
    // a column computed from sales.orders comes from the sales domain's raw orders
    const gross = await cell('gross_revenue_eur', 'raw-sources').innerText()
    expect(gross).toMatch(/mesh\.sales_raw\.\w+\.\w+/)
  })

  it("lists sales.orders' amount_eur uses by domain, with the exposures reading them", async () => {
    await openProduct('sales.orders')
    const uses = cell('amount_eur', 'uses')
    const domains = await uses
      .locator('li[data-domain]')
      .evaluateAll((lis) => lis.map((li) => li.getAttribute('data-domain')))
    expect(domains).toEqual(['finance', 'marketing', 'sales'])
    const finance = await uses.locator('li[data-domain="finance"]').innerText()
    expect(finance).toContain('mesh.finance.revenue_daily.gross_revenue_eur')
    expect(finance).toContain('Monthly close report')
    expect(await cell('is_paid', 'uses').innerText()).toBe('no downstream use')
  })

  it('is readable in light and dark (no serious axe finding)', async () => {
    await openProduct('sales.orders')
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme })
      expect(await axeSerious(page)).toEqual([])
      await page
        .locator('[data-testid="column-uses"]')
        .screenshot({ path: join(ARTIFACTS, `product-column-uses-${scheme}.png`) })
    }
    await page.emulateMedia({ colorScheme: 'light' })
  })
})
