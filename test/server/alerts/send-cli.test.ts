import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { closeDb, openDb } from '../../../db/client.ts'
import { setDemoAnchor } from '../../../db/queries/admin.ts'
import {
  BAD_DAY_POSTS,
  badDay,
  badDayPosts,
  recordingTime,
  SECRETS,
  webhookEnv,
  meshwatch,
} from './helpers.ts'
import { startReceiver, type Receiver } from './receiver.ts'
import { dbOf } from '../../store-deps.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

/** The bad day's outbox in a store file, scored on the demo clock (as a demo store is). */
async function outbox(): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'alerts-send-')), 'm.db')
  const { deps } = await badDay(file)
  setDemoAnchor(dbOf(deps), {
    recordedAt: recordingTime(dbOf(deps)).toISOString(),
    loadedAt: new Date().toISOString(),
  })
  closeDb(dbOf(deps))
  return file
}

const send = (file: string, env: Record<string, string>) =>
  meshwatch(['alerts', 'send', '--db', file, '--config', 'fixtures/meshwatch.yml'], env)

const statuses = (file: string) => {
  const db = openDb(file)
  const rows = db.$client.prepare('select status, count(*) n from alerts group by 1').all()
  closeDb(db)
  return Object.fromEntries((rows as { status: string; n: number }[]).map((r) => [r.status, r.n]))
}

const leaks = (text: string): string[] =>
  Object.values(SECRETS)
    .flatMap((p) => [p, p.split('/').at(-1) ?? ''])
    .filter((s) => text.includes(s))

// The built CLI runs in a child process for each call; Slack is a real local receiver.
describe('meshwatch alerts send', { timeout: 90_000 }, () => {
  it('delivers what is due once and exits; a second run has nothing to send', async () => {
    receiver = await startReceiver()
    const file = await outbox()
    const env = webhookEnv(receiver)
    const first = await send(file, env)
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('$SLACK_WEBHOOK_SALES: #4, #5 delivered\n')
    expect(first.stdout).toMatch(/\n5 alerts delivered, 0 to retry, 0 failed\n$/)
    // one digest per route, every breached product in one of them
    expect(badDayPosts(receiver.accepted)).toEqual(BAD_DAY_POSTS)
    expect(statuses(file)).toEqual({ delivered: 5 })

    const again = await send(file, env)
    expect(again).toMatchObject({ code: 0, stdout: '0 alerts delivered, 0 to retry, 0 failed\n' })
    expect(receiver.accepted).toHaveLength(3)
    expect(leaks(first.stdout + first.stderr + again.stdout + again.stderr)).toEqual([])
  })

  it('exits 0 with what is to retry when Slack is down, 1 naming the reason when it refuses', async () => {
    receiver = await startReceiver()
    const file = await outbox()
    const env = webhookEnv(receiver)
    receiver.setMode('500')
    const down = await send(file, env)
    expect(down.code).toBe(0)
    expect(down.stdout).toMatch(
      /0 alerts delivered, 5 to retry \(next attempt at 2026-[^)]+\), 0 failed\n$/,
    )
    expect(down.stderr).toContain('warning: alert delivery will be retried #1, #2: HTTP 500')
    expect(statuses(file)).toEqual({ pending: 5 })

    // Refused for good: the sales route is gone (404 no_service) once the retries fall due.
    receiver.setMode('ok')
    receiver.setPathMode(SECRETS.SLACK_WEBHOOK_SALES, '404')
    const db = openDb(file)
    db.$client.exec("update alerts set next_attempt_at = '2000-01-01T00:00:00.000Z'")
    closeDb(db)
    const refused = await send(file, env)
    expect(refused.code).toBe(1)
    expect(refused.stdout).toContain('$SLACK_WEBHOOK_SALES: #4, #5 refused by Slack\n')
    expect(refused.stdout).toMatch(/\n3 alerts delivered, 0 to retry, 2 failed\n$/)
    expect(refused.stderr).toContain(
      'warning: alert failed #4, #5: Slack refused the message: HTTP 404: no_service',
    )
    expect(statuses(file)).toEqual({ delivered: 3, failed: 2 })
    expect(leaks(down.stdout + down.stderr + refused.stdout + refused.stderr)).toEqual([])
  })

  it('says what it does in --help', async () => {
    const help = await meshwatch(['alerts', 'send', '--help'])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain('deliver the alerts that are due once, then exit')
    expect(help.stdout).toContain('--db <file>')
    expect(help.stdout).toContain('--config <file>')
  })
})
