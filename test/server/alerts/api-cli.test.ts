import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { closeDb } from '../../../db/client.ts'
import { createApp } from '../../../server/app.ts'
import { badDay, captureLog, SECRETS, testDispatcher, webhookEnv, meshwatch } from './helpers.ts'
import { startReceiver, type Receiver } from './receiver.ts'
import { dbOf } from '../../store-deps.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

const leaks = (text: string, r: Receiver): string[] =>
  [
    r.url + '/services',
    ...Object.values(SECRETS),
    ...Object.values(SECRETS).map((p) => p.split('/').at(-1) ?? ''),
  ].filter((s) => text.includes(s))

// The built CLI runs in a child process for each call.
describe('alerts API and CLI', { timeout: 90_000 }, () => {
  it('never shows a webhook URL: not in /api/alerts, not in `alerts list`, not in the logs', async () => {
    receiver = await startReceiver()
    const file = join(mkdtempSync(join(tmpdir(), 'alerts-')), 'm.db')
    const { deps, clock } = await badDay(file)
    const { lines, log } = captureLog()
    const d = testDispatcher(dbOf(deps), clock, receiver, { log, spacingMs: 0 })
    // Every kind of outcome: refused (404), then rate limited, a server error, a timeout, refused connections, delivered.
    receiver.setMode('404')
    await d.runOnce()
    dbOf(deps).$client.exec("update alerts set status = 'pending'")
    for (const mode of ['429', '500', 'hang'] as const) {
      receiver.setMode(mode, { retryAfter: '1' })
      clock.advance(3_600_000)
      await d.runOnce()
    }
    await receiver.close()
    clock.advance(3_600_000)
    await d.runOnce()
    await receiver.reopen()
    receiver.setMode('ok')
    clock.advance(3_600_000)
    await d.runOnce()
    // Webhooks are posted to in parallel, so a post may meet a pooled keep-alive socket the closed
    // receiver just destroyed (UND_ERR_SOCKET) rather than a refused new connection.
    expect(lines.join('')).toMatch(
      /no_service[\s\S]*rate limited[\s\S]*HTTP 500[\s\S]*timed out[\s\S]*(ECONNREFUSED|UND_ERR_SOCKET)[\s\S]*alerts delivered/,
    )
    expect(leaks(lines.join(''), receiver)).toEqual([])

    const app = createApp(deps)
    const res = await app.request('/api/alerts')
    expect(res.status).toBe(200)
    const body = (await res.json()) as {
      counts: Record<string, number>
      alerts: { route: unknown; productId: string }[]
    }
    expect(body.counts).toEqual({ delivered: 5 })
    expect(body.alerts.find((a) => a.productId === 'sales.orders')?.route).toEqual({
      webhookEnv: 'SLACK_WEBHOOK_SALES',
      channel: '#sales-oncall',
    })
    expect(leaks(JSON.stringify(body), receiver)).toEqual([])
    closeDb(dbOf(deps))

    const list = await meshwatch(
      ['alerts', 'list', '--db', file, '--config', 'fixtures/meshwatch.yml'],
      webhookEnv(receiver),
    )
    expect(list.code).toBe(0)
    expect(list.stdout).toContain(
      '#3 delivered opened    breach marketing.customer_attribution (marketing) → $SLACK_WEBHOOK_MARKETING #growth-analytics; delivered ',
    )
    expect(list.stdout).toContain('5 alerts\n')
    expect(leaks(list.stdout + list.stderr, receiver)).toEqual([])
  })

  it('lists failed alerts with their reason, in the API and the CLI, and retry queues them again', async () => {
    receiver = await startReceiver()
    const file = join(mkdtempSync(join(tmpdir(), 'alerts-')), 'm.db')
    const { deps, clock } = await badDay(file)
    receiver.setMode('404')
    await testDispatcher(dbOf(deps), clock, receiver).runOnce()
    const body = (await (
      await createApp(deps).request('/api/alerts?status=failed&domain=sales')
    ).json()) as { alerts: { lastError: string }[] }
    expect(body.alerts.map((a) => a.lastError)).toEqual(
      Array(2).fill('Slack refused the message: HTTP 404: no_service'),
    )
    expect((await createApp(deps).request('/api/alerts?status=lost')).status).toBe(400)
    closeDb(dbOf(deps))

    const failed = await meshwatch(['alerts', 'list', '--db', file, '--status', 'failed'])
    expect(failed.stdout.trim().split('\n')).toHaveLength(6)
    expect(failed.stdout).toContain('Slack refused the message: HTTP 404: no_service')
    expect((await meshwatch(['alerts', 'list', '--db', file, '--status', 'lost'])).code).toBe(2)
    expect((await meshwatch(['alerts', 'retry', '--db', file])).stdout).toBe(
      '5 alerts queued again\n',
    )
    expect(
      (await meshwatch(['alerts', 'list', '--db', file, '--status', 'pending'])).stdout,
    ).toContain('5 alerts\n')
  })

  it('`alerts test` posts a valid test message to the route; exit 2 names an unset variable without a value', async () => {
    receiver = await startReceiver()
    const env = webhookEnv(receiver)
    const ok = await meshwatch(
      ['alerts', 'test', '--domain', 'sales', '--config', 'fixtures/meshwatch.yml'],
      env,
    )
    expect(ok).toMatchObject({
      code: 0,
      stdout: 'sent a test message to $SLACK_WEBHOOK_SALES (#sales-oncall)\n',
    })
    expect(receiver.accepted.map((a) => a.path)).toEqual([SECRETS.SLACK_WEBHOOK_SALES])
    expect(JSON.stringify(receiver.accepted[0]?.body)).toContain('meshwatch test message')

    // product has no webhook of its own: the top-level default route.
    const product = await meshwatch(
      [
        'alerts',
        'test',
        '--domain',
        'product',
        '--severity',
        'warn',
        '--config',
        'fixtures/meshwatch.yml',
      ],
      env,
    )
    expect(product.stdout).toBe(
      'sent a test message to $SLACK_WEBHOOK_PLATFORM (#product-analytics)\n',
    )

    const unset = await meshwatch(
      ['alerts', 'test', '--domain', 'finance', '--config', 'fixtures/meshwatch.yml'],
      { SLACK_WEBHOOK_SALES: env.SLACK_WEBHOOK_SALES ?? '' },
    )
    expect(unset.code).toBe(2)
    expect(unset.stderr).toContain('SLACK_WEBHOOK_FINANCE is not set')
    const none = await meshwatch([
      'alerts',
      'test',
      '--domain',
      'sales',
      '--config',
      'package.json',
    ])
    expect(none.code).toBe(2)

    receiver.setMode('404')
    const refused = await meshwatch(
      ['alerts', 'test', '--domain', 'marketing', '--config', 'fixtures/meshwatch.yml'],
      env,
    )
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('not delivered: HTTP 404: no_service')
    expect(
      leaks(ok.stdout + ok.stderr + unset.stderr + refused.stderr + product.stdout, receiver),
    ).toEqual([])
  })
})
