import type { Command } from 'commander'
import { createDispatcher, type DispatchResult } from '../alerts/dispatcher.ts'
import { demoClock } from '../demo-clock.ts'
import type { Logger } from '../deps.ts'
import { redact } from '../log.ts'
import { CONFIG_OPTION_HELP, meshwatchConfigOf } from './local-store.ts'
import { openCommandStore } from './shared.ts'

/** Alerts claimed per pass; a full pass means more may be due. */
const PASS = 200

const OUTCOMES: Record<string, string> = {
  delivered: 'delivered',
  retry: 'not delivered, will be retried',
  rejected: 'refused by Slack',
}

const ids = (list: readonly unknown[]) => list.map((id) => `#${String(id)}`).join(', ')

/** The dispatcher's warnings (a failure, a retry) as lines on stderr, secrets redacted. */
const WARNINGS: Logger = {
  info() {},
  warn: (msg, f) => warnLine(msg, f),
  error: (msg, f) => warnLine(msg, f),
}

function warnLine(msg: string, f: Record<string, unknown> = {}) {
  const which = Array.isArray(f.alerts) ? ` ${ids(f.alerts)}` : ''
  const reason = f.reason ?? f.error
  const why = typeof reason === 'string' ? `: ${reason}` : ''
  process.stderr.write(redact(`warning: ${msg}${which}${why}\n`))
}

export function registerAlertsSend(alerts: Command): void {
  alerts
    .command('send')
    .description(
      'deliver the alerts that are due once, then exit (for cron, without serve); exit 1 if one failed for good',
    )
    .option(
      '--db <file>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .option('--config <file>', CONFIG_OPTION_HELP)
    .action(async (o: { db?: string; config?: string }) => {
      const config = meshwatchConfigOf(o)
      const store = await openCommandStore(o)
      try {
        const anchor = await store.admin.getDemoAnchor()
        const now = anchor ? demoClock(anchor) : undefined
        const dispatcher = createDispatcher({
          store,
          config,
          env: process.env,
          publicUrl: process.env.MESHWATCH_PUBLIC_URL,
          log: WARNINGS,
          batchSize: PASS,
          ...(now ? { now } : {}),
        })
        const total: DispatchResult = { delivered: [], retried: [], failed: [], posts: [] }
        for (;;) {
          const r = await dispatcher.runOnce()
          for (const p of r.posts)
            process.stdout.write(
              `$${p.webhookEnv}: ${ids(p.ids)} ${OUTCOMES[p.outcome] ?? p.outcome}\n`,
            )
          total.delivered.push(...r.delivered)
          total.retried.push(...r.retried)
          total.failed.push(...r.failed)
          const claimed = r.delivered.length + r.retried.length + r.failed.length
          // Less than a full pass: nothing more is due. Only retries: what is due now stays so.
          if (claimed < PASS || r.delivered.length + r.failed.length === 0) break
        }
        const next = total.retried.length > 0 ? await store.alerts.nextDueAt() : undefined
        process.stdout.write(
          `${total.delivered.length} alerts delivered, ${total.retried.length} to retry${next ? ` (next attempt at ${next})` : ''}, ${total.failed.length} failed\n`,
        )
        // A retry is not a failure yet: the next run tries again (and gives up after 24 h).
        if (total.failed.length > 0) process.exitCode = 1
      } finally {
        await store.close()
      }
    })
}
