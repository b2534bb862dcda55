import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { setDemoAnchor } from '../../db/queries/admin.ts'
import { openPgPool } from '../../db/pg/client.ts'
import {
  BAD_DAY_POSTS,
  badDay,
  badDayPosts,
  meshwatch,
  recordingTime,
  SECRETS,
  webhookEnv,
} from '../server/alerts/helpers.ts'
import { startReceiver, type Receiver } from '../server/alerts/receiver.ts'
import { dbOf } from '../store-deps.ts'
import { copyStore } from './demo.ts'
import { createDatabase } from './helpers.ts'

// `meshwatch alerts send --db postgres://…` as cron runs it: the built CLI (dist/cli.js) as a
// child process on the demo's bad-day outbox copied into a new PostgreSQL database, Slack a real
// receiver on 127.0.0.1. (In the pg suite: without its cluster there is no PostgreSQL to send from.)

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

let url: string
let pool: pg.Pool
let receiver: Receiver

beforeAll(async () => {
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: ROOT, stdio: 'ignore' })
  const { deps } = await badDay()
  // scored on the demo clock, as a demo store is: the CLI sends as of the recording
  setDemoAnchor(dbOf(deps), {
    recordedAt: recordingTime(dbOf(deps)).toISOString(),
    loadedAt: new Date().toISOString(),
  })
  url = await createDatabase()
  pool = await openPgPool(url)
  await copyStore(dbOf(deps), pool)
  receiver = await startReceiver()
}, 240_000)
afterAll(async () => {
  await receiver?.close()
  await pool?.end()
})

const send = () =>
  meshwatch(
    ['alerts', 'send', '--db', url, '--config', 'fixtures/meshwatch.yml'],
    webhookEnv(receiver),
  )

const statuses = async () =>
  Object.fromEntries(
    (
      await pool.query<{ status: string; n: number }>(
        'select status, count(*)::int as n from alerts group by 1 order by 1',
      )
    ).rows.map((r) => [r.status, r.n]),
  )

describe('meshwatch alerts send --db postgres://', { timeout: 90_000 }, () => {
  it('delivers what is due once and exits; a second run has nothing to send', async () => {
    expect(await statuses()).toEqual({ pending: 5 })
    const first = await send()
    expect(first.code).toBe(0)
    expect(first.stdout).toContain('$SLACK_WEBHOOK_SALES: #4, #5 delivered\n')
    expect(first.stdout).toMatch(/\n5 alerts delivered, 0 to retry, 0 failed\n$/)
    expect(first.stderr).not.toMatch(/not on PostgreSQL|\n\s+at /)
    expect(badDayPosts(receiver.accepted)).toEqual(BAD_DAY_POSTS)
    expect(await statuses()).toEqual({ delivered: 5 })

    const again = await send()
    expect(again).toMatchObject({ code: 0, stdout: '0 alerts delivered, 0 to retry, 0 failed\n' })
    expect(receiver.accepted).toHaveLength(3)
    const printed = first.stdout + first.stderr + again.stdout + again.stderr
    expect(Object.values(SECRETS).filter((s) => printed.includes(s))).toEqual([])
  })
})
