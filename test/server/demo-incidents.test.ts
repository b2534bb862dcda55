import { afterEach, describe, expect, it } from 'vitest'
import { createApp } from '../../server/app.ts'
import { badDay, captureLog, CONFIG, type testClock } from './alerts/helpers.ts'
import { sqliteStore } from '../../db/store.ts'
import { createDispatcher } from '../../server/alerts/dispatcher.ts'
import type { Db } from '../../db/client.ts'
import { startSlackApi, type SlackApi } from './incidents/slack-api.ts'
import { dbOf } from '../store-deps.ts'

// The demo's meshwatch.yml (fixtures/) routes incidents in Slack app mode by $SLACK_BOT_TOKEN:
// `npm start` without it records every living message as not delivered, saying why; with it the
// messages go out, marketing's included.
const TOKEN = 'xoxb-demo-0000-s3cr3tDemoBotToken'
const CHANNELS = ['#sales-data', '#growth-analytics', '#product-analytics', '#data-platform']

interface Incident {
  id: number
  productId: string
  status: string
}
interface Detail {
  consumers: { domain: string; products: { productId: string }[] }[]
  deliveries: Record<
    string,
    { audience: string; route: string; status: string; pending: number; lastError: string | null }[]
  >
}

let slack: SlackApi | undefined
afterEach(async () => {
  await slack?.close()
  slack = undefined
})

function dispatcher(db: Db, clock: ReturnType<typeof testClock>, env: Record<string, string>) {
  const logged = captureLog()
  const d = createDispatcher({
    store: sqliteStore(db),
    config: CONFIG,
    env,
    now: clock.now,
    sleep: async (ms) => clock.advance(ms),
    random: () => 0.5,
    timeoutMs: 2_000,
    log: logged.log,
    ...(slack ? { slackApiUrl: slack.url } : {}),
  })
  return { d, lines: logged.lines }
}

async function ordersIncident(app: ReturnType<typeof createApp>) {
  const list = (await (
    await app.request('/api/incidents?domain=marketing&status=open')
  ).json()) as {
    incidents: Incident[]
  }
  const orders = list.incidents.find((i) => i.productId === 'sales.orders')
  if (!orders)
    throw new Error(`no open sales.orders incident for marketing: ${JSON.stringify(list)}`)
  return (await (await app.request(`/api/incidents/${orders.id}`)).json()) as Detail
}

describe("the demo's incidents", () => {
  it("opens sales.orders' incident with marketing as a consumer, and without a Slack token records marketing's notification as not delivered, in one log line", async () => {
    const { deps, clock } = await badDay()
    const { d, lines } = dispatcher(dbOf(deps), clock, {})
    const r = await d.runOnce()
    const v = await ordersIncident(createApp(deps))
    expect(
      v.consumers.find((c) => c.domain === 'marketing')?.products.map((p) => p.productId),
    ).toContain('marketing.customer_attribution')
    const marketing = v.deliveries.slack?.find((x) => x.audience === 'marketing')
    expect(marketing).toMatchObject({
      route: 'slack:SLACK_BOT_TOKEN:#growth-analytics',
      status: 'failed',
      pending: 1,
      lastError: expect.stringMatching(/^\$SLACK_BOT_TOKEN is not set/),
    })
    expect(v.deliveries.slack?.map((x) => x.audience).sort()).toEqual([
      'marketing',
      'owner',
      'product',
    ])
    // finance reads orders too, but has no route of its own: the platform's default is the owners'
    expect(v.consumers.map((c) => c.domain).sort()).toEqual(['finance', 'marketing', 'product'])
    expect(r.incidents?.calls).toEqual([])
    const failed = lines.filter((l) => l.includes('incident delivery failed'))
    expect(failed).toHaveLength(1)
    expect(failed[0]).toContain('$SLACK_BOT_TOKEN is not set')
  })

  it('with $SLACK_BOT_TOKEN set, marketing hears in #growth-analytics that the sales.orders it reads is in breach', async () => {
    slack = await startSlackApi({ token: TOKEN, channels: CHANNELS })
    const { deps, clock } = await badDay()
    const { d } = dispatcher(dbOf(deps), clock, { SLACK_BOT_TOKEN: TOKEN })
    await d.runOnce()
    const told = slack.parents('#growth-analytics').map((m) => m.text)
    expect(told).toContainEqual(
      expect.stringMatching(
        /^sales\.orders, which your .*customer_attribution.* is in breach since /,
      ),
    )
    const v = await ordersIncident(createApp(deps))
    expect(v.deliveries.slack?.find((x) => x.audience === 'marketing')).toMatchObject({
      status: 'active',
      pending: 0,
      lastError: null,
    })
  })
})
