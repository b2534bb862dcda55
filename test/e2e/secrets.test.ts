import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildWeb, launchChromium, ROOT, startMeshwatch, type RunningServer } from './harness.ts'

// #18: no token, signing secret, routing key, webhook URL or SMTP password reaches the page, the
// API answers it reads, or the server's log — with every channel kind configured and failing (each
// points at a closed port or an unreachable host, so each delivery records an error).
const S = {
  SLACK_BOT_TOKEN: 'xoxb-SENTINEL1-bot-token',
  SLACK_SIGNING_SECRET: 'SENTINEL2-signing-secret',
  SLACK_WEBHOOK_SALES: 'https://hooks.slack.com/services/T0/B0/SENTINEL3webhook',
  TEAMS_URL: 'http://127.0.0.1:9/workflows/SENTINEL4-teams-sig',
  PD_ROUTING_KEY: 'SENTINEL5pagerdutyroutingkey0123',
  HOOK_URL: 'http://hookuser:SENTINEL6-hook-pass@127.0.0.1:9/hook',
  HOOK_SECRET: 'SENTINEL7-hook-secret',
  SMTP_URL: 'smtp://meshwatch:SENTINEL8-smtp-pass@127.0.0.1:9',
}
const SENTINEL = /SENTINEL\d/g

let dir: string
let server: RunningServer
let browser: Awaited<ReturnType<typeof launchChromium>>
let page: Page
const seen: { url: string; body: string }[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'meshwatch-secrets-'))
  const demo = readFileSync(join(ROOT, 'fixtures/meshwatch.yml'), 'utf8')
  // sales (whose sales.orders the bad day breaches) gets one route of every kind
  const extra = [
    `{ type: teams, url_env: TEAMS_URL }`,
    `{ type: pagerduty, routing_key_env: PD_ROUTING_KEY }`,
    `{ type: webhook, url_env: HOOK_URL, secret_env: HOOK_SECRET }`,
    `{ type: email, smtp_url_env: SMTP_URL, from: meshwatch@example.com, to: [oncall@example.com] }`,
  ]
  const sales = "        - { type: slack, token_env: SLACK_BOT_TOKEN, channel: '#sales-data' }\n"
  const cfg = demo
    .replace(
      'incidents:\n  routes:\n',
      'incidents:\n  slack_signing_secret_env: SLACK_SIGNING_SECRET\n  routes:\n',
    )
    .replace(sales, sales + extra.map((r) => `        - ${r}\n`).join(''))
  expect(
    cfg.match(/_env: (TEAMS_URL|PD_ROUTING_KEY|HOOK_URL|SMTP_URL|SLACK_SIGNING_SECRET)/g),
  ).toHaveLength(5)
  writeFileSync(join(dir, 'meshwatch.yml'), cfg)
  buildWeb()
  server = await startMeshwatch({ args: ['--config', join(dir, 'meshwatch.yml')], env: S })
  browser = await launchChromium()
  page = await browser.context.newPage()
  page.on('response', async (r) => {
    if (!r.url().startsWith(server.url)) return
    seen.push({ url: r.url(), body: await r.text().catch(() => '') })
  })
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await server?.stop()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

type Delivery = { channel: string; attempts: number; lastError: string | null }

describe('channel secrets', () => {
  it('stay out of the page, its API answers and the log while every channel fails', async () => {
    const list = (await (
      await fetch(`${server.url}/api/incidents?product=sales.orders`)
    ).json()) as {
      incidents: { id: number }[]
    }
    const id = list.incidents[0]!.id
    // wait (by count of attempts, not by time) until every configured channel has tried and failed
    const channels = ['slack', 'teams', 'pagerduty', 'webhook', 'email']
    let tried: string[] = []
    for (let i = 0; i < 120 && tried.length < channels.length; i++) {
      const d = (await (await fetch(`${server.url}/api/incidents/${id}`)).json()) as {
        deliveries: Record<string, Delivery[]>
      }
      tried = channels.filter((c) =>
        (d.deliveries[c] ?? []).some((x) => x.attempts > 0 && x.lastError),
      )
      if (tried.length < channels.length) await new Promise((r) => setTimeout(r, 500))
    }
    expect(tried).toEqual(channels)

    for (const path of [
      '/',
      '/incidents',
      `/incidents/${id}`,
      '/products/sales.orders',
      '/domains/sales',
    ]) {
      await page.goto(`${server.url}${path}`)
      await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })
      expect((await page.content()).match(SENTINEL), `the page ${path} shows a secret`).toBeNull()
    }
    // the detail page shows each channel's failure, by variable name where it names one
    await page.goto(`${server.url}/incidents/${id}`)
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 })
    expect(seen.length).toBeGreaterThan(5)
    for (const r of seen) expect(r.body.match(SENTINEL), `${r.url} answers a secret`).toBeNull()
    // the API's own description of routes and deliveries, read directly too
    for (const path of [`/api/incidents/${id}`, '/api/incidents', '/api/incidents/stats']) {
      const body = await (await fetch(`${server.url}${path}`)).text()
      expect(body.match(SENTINEL), path).toBeNull()
    }
    expect(server.log().match(SENTINEL), 'the server log names a secret').toBeNull()
  }, 240_000)
})
