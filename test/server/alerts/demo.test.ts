import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { openDb } from '../../../db/client.ts'
import { sqliteStore } from '../../../db/store.ts'
import { listAlerts } from '../../../db/queries/alerts.ts'
import { SlackMessageSchema } from '../../../server/alerts/block-kit.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { BAD_DAY, badDay, productsIn, SECRETS, testDispatcher } from './helpers.ts'
import { startReceiver, type Receiver } from './receiver.ts'
import { dbOf } from '../../store-deps.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

describe("the demo mesh's bad day", () => {
  it('writes one opened alert per breached product, routed by domain and severity', async () => {
    const { deps } = await badDay()
    const rows = listAlerts(dbOf(deps))
    const expected = Object.entries(BAD_DAY).flatMap(([domain, ids]) =>
      ids.map((id) => `${domain} ${id} opened breach pending`),
    )
    expect(
      rows.map((r) => `${r.domain} ${r.productId} ${r.kind} ${r.severity} ${r.status}`).sort(),
    ).toEqual(expected.sort())
    const attribution = rows.find((r) => r.productId === 'marketing.customer_attribution')?.payload
    expect(attribution).toMatchObject({
      status: 'breach',
      previous: 'ok',
      dimensions: [
        expect.objectContaining({
          dimension: 'tests',
          status: 'breach',
          reason: expect.stringMatching(/accepted_values_orders_status/),
        }),
      ],
      rootCause: { culprit: { name: 'mesh.sales.orders', domain: 'sales' } },
    })
  })

  it('delivers three messages: a sales digest, a finance digest and the marketing alert, each to its webhook', async () => {
    receiver = await startReceiver()
    const { deps, clock } = await badDay()
    const r = await testDispatcher(dbOf(deps), clock, receiver).runOnce()
    expect(r.delivered).toHaveLength(5)
    const byPath = Object.fromEntries(receiver.accepted.map((a) => [a.path, a.body]))
    expect(Object.keys(byPath).sort()).toEqual(
      [
        SECRETS.SLACK_WEBHOOK_FINANCE,
        SECRETS.SLACK_WEBHOOK_MARKETING,
        SECRETS.SLACK_WEBHOOK_SALES,
      ].sort(),
    )
    expect(receiver.accepted).toHaveLength(3)
    for (const a of receiver.accepted)
      expect(SlackMessageSchema.safeParse(a.body).success).toBe(true)

    const sales = SlackMessageSchema.parse(byPath[SECRETS.SLACK_WEBHOOK_SALES])
    expect(productsIn(sales)).toEqual(BAD_DAY.sales)
    expect(sales.channel).toBe('#sales-oncall') // the breach route of sales
    expect(JSON.stringify(sales.blocks[0])).toContain('sales: 2 data product alerts')
    expect(JSON.stringify(sales)).toContain('@sales-oncall')
    expect(productsIn(byPath[SECRETS.SLACK_WEBHOOK_FINANCE])).toEqual(BAD_DAY.finance)

    const marketing = SlackMessageSchema.parse(byPath[SECRETS.SLACK_WEBHOOK_MARKETING])
    expect(marketing.channel).toBe('#growth-analytics')
    const text = JSON.stringify(marketing)
    expect(text).toContain('http://127.0.0.1:4000/products/marketing.customer_attribution|')
    expect(text).toContain('SLA breach: ')
    // The failing dimension with its reason, and the chain blaming sales with its owner and on-call mention.
    expect(text).toMatch(/\*tests\* · breach · \d+\/100\\n.*accepted_values_orders_status/)
    expect(text).toContain(
      '`mesh.sales.orders`* (sales) → `mesh.marketing.marketing.customer_attribution` (marketing)',
    )
    expect(text).toContain(
      '*Blamed:* `mesh.sales.orders` — *sales* domain, owner sales-data@meshwatch.example @sales-oncall',
    )
    expect(marketing.text).toMatch(
      /^:red_circle: marketing.customer_attribution: SLA breach \(score \d+\/100\) — tests: /,
    )
    expect(JSON.stringify(sales.blocks[1])).toContain('@sales-oncall *2* in breach')
  })

  it('writes nothing more when the same status is evaluated again, also after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'alerts-'))
    const { deps, clock } = await badDay(`${dir}/m.db`)
    clock.advance(10 * 60_000)
    await evaluateProducts(deps)
    expect(listAlerts(dbOf(deps))).toHaveLength(5)
    dbOf(deps).$client.close()
    const db = openDb(`${dir}/m.db`)
    const reopened = { ...deps, store: sqliteStore(db) }
    clock.advance(10 * 60_000)
    await evaluateProducts(reopened)
    expect(listAlerts(db)).toHaveLength(5)
    // Four hours after the last alert (alerts.reminder_minutes default 240): one reminder per breached product.
    clock.advance(4 * 3_600_000)
    await evaluateProducts(reopened)
    await evaluateProducts(reopened)
    const reminders = listAlerts(db).filter((a) => a.kind === 'reminder')
    expect(reminders.map((a) => a.productId).sort()).toEqual(Object.values(BAD_DAY).flat().sort())
    expect(reminders[0]?.payload).toMatchObject({
      reminder: 1,
      durationMs: 4 * 3_600_000 + 20 * 60_000,
    })
  })
})
