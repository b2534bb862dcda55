import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { join } from 'node:path'
import type { Db } from '../../../db/client.ts'
import { openDb } from '../../../db/client.ts'
import { createDispatcher, type DispatcherOptions } from '../../../server/alerts/dispatcher.ts'
import { loadConfigFile } from '../../../server/config-file.ts'
import type { Deps } from '../../../server/deps.ts'
import { FIXTURES, loadDemo } from '../../../server/demo.ts'
import { evaluateProducts } from '../../../server/evaluate.ts'
import { createLogger } from '../../../server/log.ts'
import { imageOf, openImage, type StoreImage } from '../../store-image.ts'
import type { Receiver } from './receiver.ts'
import { sqliteStore } from '../../../db/store.ts'
import { dbOf } from '../../store-deps.ts'

export const CONFIG = loadConfigFile(join(FIXTURES, 'meshwatch.yml'))

/** What the demo's bad day breaches (test/server/quality.test.ts), by domain. */
export const BAD_DAY: Record<string, string[]> = {
  sales: ['sales.exposure.sales_kpi_dashboard', 'sales.orders'],
  finance: ['finance.exposure.monthly_close_report', 'finance.revenue'],
  marketing: ['marketing.customer_attribution'],
}

/** The recording time of what is loaded: the newest run end + 5 min (never the wall clock). */
export function recordingTime(db: Db): Date {
  const row = db.$client
    .prepare('select max(coalesce(ended_at, started_at)) as t from runs')
    .get() as { t: string }
  return new Date(Date.parse(row.t) + 5 * 60_000)
}

/** A clock the test moves. */
export function testClock(start = new Date(0)) {
  let t = start.getTime()
  return {
    now: () => new Date(t),
    set: (d: Date) => void (t = d.getTime()),
    advance: (ms: number) => void (t += ms),
    get ms() {
      return t
    },
  }
}

/**
 * The demo mesh evaluated on its good day, then on its bad day, each at its recording time:
 * the outbox then holds the bad day's alerts.
 */
export async function badDay(dbFile = ':memory:') {
  const clock = testClock()
  const deps: Deps = { store: sqliteStore(openDb(dbFile)), meshwatch: CONFIG, now: clock.now }
  await loadDemo(deps, { days: ['good'] })
  clock.set(recordingTime(dbOf(deps)))
  await evaluateProducts(deps)
  await loadDemo(deps, { days: ['bad'] })
  clock.set(recordingTime(dbOf(deps)))
  await evaluateProducts(deps)
  return { deps, clock }
}

/** Secret webhook paths per variable: what must never be printed, logged or returned. */
export const SECRETS = {
  SLACK_WEBHOOK_SALES: '/services/T0SALES/B0SALES/s3cr3tSalesToken',
  SLACK_WEBHOOK_FINANCE: '/services/T0FIN/B0FIN/s3cr3tFinanceToken',
  SLACK_WEBHOOK_MARKETING: '/services/T0MKT/B0MKT/s3cr3tMarketingToken',
  SLACK_WEBHOOK_PLATFORM: '/services/T0PLT/B0PLT/s3cr3tPlatformToken',
} as const

export const webhookEnv = (r: Receiver): Record<string, string> =>
  Object.fromEntries(Object.entries(SECRETS).map(([k, path]) => [k, `${r.url}${path}`]))

/** Log lines as the real logger writes them (JSON, redacted), captured. */
export function captureLog() {
  const lines: string[] = []
  return { lines, log: createLogger('info', (s) => lines.push(s) > 0) }
}

/** A dispatcher on the test clock whose sleeps advance that clock instead of waiting. */
export function testDispatcher(
  db: Db,
  clock: ReturnType<typeof testClock>,
  receiver: Receiver,
  opts: Partial<DispatcherOptions> = {},
) {
  return createDispatcher({
    store: sqliteStore(db),
    config: CONFIG,
    env: webhookEnv(receiver),
    now: clock.now,
    sleep: async (ms) => {
      clock.advance(ms)
      await new Promise((r) => setImmediate(r))
    },
    random: () => 0.5,
    timeoutMs: 10_000,
    ...opts,
  })
}

/** Product ids a message mentions (links to /products/<id>). */
export function productsIn(body: unknown): string[] {
  const ids = [...JSON.stringify(body).matchAll(/\/products\/([A-Za-z0-9_.%-]+)\|/g)].map((m) =>
    decodeURIComponent(m[1] ?? ''),
  )
  return [...new Set(ids)].sort()
}

/** Runs the built CLI (dist/cli.js) without the caller's Slack webhooks or config; never throws. */
export async function meshwatch(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !k.startsWith('SLACK_WEBHOOK_') && k !== 'MESHWATCH_CONFIG',
    ),
  )
  try {
    const r = await exec('node', [`${CLI_ROOT}dist/cli.js`, ...args], {
      cwd: CLI_ROOT,
      env: { ...clean, ...env },
    })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string }
    return { code: err.code, stdout: err.stdout, stderr: err.stderr }
  }
}

const CLI_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const exec = promisify(execFile)

let badDayImage: Promise<{ image: StoreImage; at: Date }> | undefined

/**
 * A fresh copy of the bad-day store (built once per worker, then copied), on a clock at its
 * recording time: for tests that each need their own store but not their own demo load. In
 * memory, or `onDisk` in a file of its own (for a test that opens a second connection to it).
 */
export async function badDayCopy(opts: { onDisk?: boolean } = {}) {
  badDayImage ??= badDay().then(({ deps, clock }) => ({
    image: imageOf(dbOf(deps)),
    at: clock.now(),
  }))
  const { image, at } = await badDayImage
  const clock = testClock(at)
  const db = opts.onDisk ? openOnDisk(image) : openImage(image)
  const deps: Deps = { store: sqliteStore(db), meshwatch: CONFIG, now: clock.now }
  return { deps, clock }
}

function openOnDisk(image: StoreImage): Db {
  const file = join(mkdtempSync(join(tmpdir(), 'meshwatch-badday-')), 'store.db')
  writeFileSync(file, image.bytes)
  return openDb(file)
}
