import { createHmac } from 'node:crypto'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openPgPool } from '../../db/pg/client.ts'
import { pgStore } from '../../db/pg/store.ts'
import type { Store } from '../../db/store.ts'
import { createDispatcher } from '../../server/alerts/dispatcher.ts'
import { createApp } from '../../server/app.ts'
import { MeshwatchConfigSchema } from '../../server/config-file.ts'
import { badDay, CONFIG } from '../server/alerts/helpers.ts'
import { startSlackApi, type SlackApi } from '../server/incidents/slack-api.ts'
import { dbOf } from '../store-deps.ts'
import { copyStore } from './demo.ts'
import { createDatabase } from './helpers.ts'

// #16: the incidents' Slack buttons on PostgreSQL. The dispatcher posts the demo's living messages
// from a PostgreSQL store to a Slack Web API stand-in on 127.0.0.1; a signed click is then checked
// per object: it acts only on the incident of the message it came from, as the domain whose
// channel that message is in (a consumer's channel may acknowledge its own notification, not mute).

const TOKEN = 'xoxb-test-0000-s3cr3tBotToken'
const SIGNING = 'f00dfeedSigningSecret0123456789'
const CHANNELS = ['#sales-data', '#growth-analytics', '#product-analytics', '#data-platform']
const SIGNED = MeshwatchConfigSchema.parse({
  ...CONFIG,
  incidents: { ...CONFIG.incidents, slack_signing_secret_env: 'SLACK_SIGNING_SECRET' },
})

type Json = Record<string, any>
let pool: pg.Pool
let store: Store
let slack: SlackApi
let app: ReturnType<typeof createApp>
let wall: Date

beforeAll(async () => {
  const demo = await badDay()
  pool = await openPgPool(await createDatabase())
  await copyStore(dbOf(demo.deps), pool)
  store = pgStore(pool)
  slack = await startSlackApi({ token: TOKEN, channels: CHANNELS })
  const at = demo.clock.now()
  wall = new Date()
  const env = { SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: SIGNING }
  await createDispatcher({
    store,
    config: SIGNED,
    env,
    slackApiUrl: slack.url,
    now: () => at,
    sleep: async () => undefined,
  }).runOnce()
  app = createApp({ store, meshwatch: SIGNED, env, now: () => at, wallNow: () => wall })
}, 240_000)
afterAll(async () => {
  await slack?.close()
  await pool?.end()
})

const click = (action: string, id: number, msg: { channel: string; ts: string }) =>
  `payload=${encodeURIComponent(
    JSON.stringify({
      type: 'block_actions',
      user: { id: 'U123', username: 'ana' },
      container: { message_ts: msg.ts, channel_id: msg.channel },
      actions: [{ action_id: action, value: String(id) }],
    }),
  )}`

async function send(body: string) {
  const ts = Math.floor(wall.getTime() / 1000)
  const res = await app.request('/api/incidents/slack/actions', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': `v0=${createHmac('sha256', SIGNING).update(`v0:${ts}:${body}`).digest('hex')}`,
    },
    body,
  })
  return { status: res.status, body: (await res.json()) as Json }
}

const incident = async (product: string) => {
  const list = (await (await app.request(`/api/incidents?product=${product}`)).json()) as Json
  return (await (await app.request(`/api/incidents/${list.incidents[0].id}`)).json()) as Json
}

describe("the incidents' Slack buttons on PostgreSQL", () => {
  it("act only on the message's own incident, as the domain of its channel", async () => {
    const orders = await incident('sales.orders')
    const revenue = await incident('finance.revenue')
    const notice = slack.parents('#growth-analytics').find((m) => m.text.startsWith('sales.orders'))
    expect(notice).toBeDefined()
    // marketing's notice of sales' incident: no mute, and no acting on another incident through it
    expect((await send(click('incident_mute', orders.incident.id, notice!))).status).toBe(403)
    const other = await send(click('incident_ack', revenue.incident.id, notice!))
    expect(other).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } })
    const forged = { channel: notice!.channel, ts: '1.000001' }
    expect((await send(click('incident_ack', orders.incident.id, forged))).status).toBe(404)
    expect((await incident('sales.orders')).timeline).toEqual(orders.timeline)
    expect((await incident('finance.revenue')).timeline).toEqual(revenue.timeline)

    const ack = await send(click('incident_ack', orders.incident.id, notice!))
    expect(ack).toMatchObject({ status: 200, body: { ok: true, changed: true } })
    const after = await incident('sales.orders')
    expect(after.incident.status).toBe('open')
    expect(after.consumers.find((c: Json) => c.domain === 'marketing').acknowledgedBy).toBe(
      'ana (Slack)',
    )
  })
})
