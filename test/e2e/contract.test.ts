import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ARTIFACTS,
  buildWeb,
  launchChromium,
  startMeshwatch,
  type RunningServer,
} from './harness.ts'

// The demo (npm start's store) ships sales' orders contract; its product page shows it, with
// the promise the bad day breaks and one meshwatch cannot measure.
let server: RunningServer
let browser: Awaited<ReturnType<typeof launchChromium>>

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true })
  buildWeb()
  server = await startMeshwatch()
  browser = await launchChromium()
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
})

describe('the product page contract section', () => {
  it('shows the contract version, a link to it and every promise with its measurement', async () => {
    const page = await browser.context.newPage()
    await page.goto(`${server.url}/products/sales.orders`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })
    const panel = page.getByTestId('contracts')
    await panel.waitFor({ timeout: 30_000 })
    const text = (await panel.textContent()) ?? ''
    expect(text).toContain('urn:meshwatch-demo:sales:orders')
    expect(text).toContain('version 1.2.0')
    const missing = page.locator('[data-testid="check-schema"]', {
      hasText: 'column orders.payment_method',
    })
    expect(await missing.textContent()).toContain('missing')
    const retention = page.locator('[data-testid="check-sla"]', { hasText: 'retention' })
    expect(await retention.textContent()).toContain('not measurable')
    expect(await page.getByTestId('contract-link').getAttribute('href')).toBe(
      '/api/contracts/urn%3Ameshwatch-demo%3Asales%3Aorders',
    )
    await panel.screenshot({ path: join(ARTIFACTS, 'contract-panel.png') })
  })
})
