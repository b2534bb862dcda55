import type { Command } from 'commander'
import { SlackMessageSchema } from '../alerts/block-kit.ts'
import { postToWebhook } from '../alerts/deliver.ts'
import { DEFAULT_PUBLIC_URL } from '../alerts/dispatcher.ts'
import { ALERT_STATUSES } from '../alerts/facts.ts'
import { buildTestMessage } from '../alerts/message.ts'
import { resolveSlackRoute } from '../config-file.ts'
import { describeAlert } from '../routes/alerts.ts'
import { registerAlertsSend } from './alerts-send.ts'
import { meshwatchConfigOf } from './local-store.ts'
import { openCommandStore, UsageError } from './shared.ts'
import { own } from '../../collectors/own.ts'

export function registerAlerts(program: Command): void {
  const alerts = program
    .command('alerts')
    .description(
      'Slack alerts: list the outbox, deliver what is due, send a test message, retry failed ones',
    )

  registerAlertsSend(alerts)

  alerts
    .command('list')
    .description(
      'alerts in the outbox, newest first, with their route (by env var name) and last error',
    )
    .option(
      '--db <file>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .option(
      '--config <file>',
      'meshwatch.yml, to show routes (default: $MESHWATCH_CONFIG, then ./meshwatch.yml)',
    )
    .option('--status <status>', `only ${ALERT_STATUSES.join('|')}`)
    .option('--domain <domain>', 'only this domain')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(
      async (o: {
        db?: string
        config?: string
        status?: string
        domain?: string
        limit: string
        json?: boolean
      }) => {
        const status = ALERT_STATUSES.find((s) => s === o.status)
        if (o.status !== undefined && status === undefined) {
          throw new UsageError(`--status must be one of ${ALERT_STATUSES.join(', ')}`)
        }
        const limit = Number(o.limit)
        if (!Number.isInteger(limit) || limit < 1)
          throw new UsageError('--limit must be a positive integer')
        const cfg = meshwatchConfigOf(o)
        const store = await openCommandStore(o)
        try {
          const rows = (await store.alerts.listAlerts({ status, domain: o.domain, limit })).map(
            (r) => describeAlert(cfg, r),
          )
          if (o.json) {
            process.stdout.write(`${JSON.stringify({ alerts: rows }, null, 2)}\n`)
            return
          }
          for (const a of rows) {
            const route = a.route
              ? `$${a.route.webhookEnv}${a.route.channel ? ` ${a.route.channel}` : ''}`
              : 'no route'
            const when = a.deliveredAt
              ? `delivered ${a.deliveredAt}`
              : a.status === 'pending'
                ? `next ${a.nextAttemptAt}`
                : `created ${a.createdAt}`
            const error = a.lastError && a.status !== 'delivered' ? `  ${a.lastError}` : ''
            process.stdout.write(
              `#${a.id} ${a.status.padEnd(9)} ${a.kind.padEnd(9)} ${a.severity.padEnd(6)} ${a.productId ?? '-'} (${a.domain}) → ${route}; ${when}, ${a.attempts} attempts${error}\n`,
            )
          }
          process.stdout.write(`${rows.length} alerts\n`)
        } finally {
          await store.close()
        }
      },
    )

  alerts
    .command('test')
    .description(
      "send a test message to a domain's Slack route (exit 2 if it has none or its webhook env var is unset)",
    )
    .requiredOption('--domain <domain>', 'the domain whose route to test')
    .option('--severity <severity>', 'which route: warn|breach', 'breach')
    .option('--config <file>', 'meshwatch.yml (default: $MESHWATCH_CONFIG, then ./meshwatch.yml)')
    .action(async (o: { domain: string; severity: string; config?: string }) => {
      if (o.severity !== 'warn' && o.severity !== 'breach')
        throw new UsageError('--severity must be warn or breach')
      const cfg = meshwatchConfigOf(o)
      const route = resolveSlackRoute(cfg, o.domain, o.severity)
      if (!route)
        throw new UsageError(
          `no Slack route for domain ${o.domain}: give it (or the top-level slack) a webhook_env in meshwatch.yml`,
        )
      const url = own(process.env, route.webhookEnv)
      if (!url)
        throw new UsageError(
          `${route.webhookEnv} is not set: export the Slack incoming webhook URL of domain ${o.domain} in it`,
        )
      const now = new Date()
      const message = SlackMessageSchema.parse(
        buildTestMessage({
          domain: o.domain,
          severity: o.severity,
          webhookEnv: route.webhookEnv,
          channel: route.channel,
          mention: route.mention,
          publicUrl: process.env.MESHWATCH_PUBLIC_URL ?? DEFAULT_PUBLIC_URL,
          now,
        }),
      )
      const outcome = await postToWebhook(
        (u, i) => fetch(u, i),
        { url, label: route.webhookEnv },
        message,
        { timeoutMs: 10_000, now },
      )
      const where = `$${route.webhookEnv}${route.channel ? ` (${route.channel})` : ''}`
      if (outcome.kind === 'delivered') {
        process.stdout.write(`sent a test message to ${where}\n`)
        return
      }
      process.stderr.write(
        `meshwatch: the test message to ${where} was not delivered: ${outcome.reason}\n`,
      )
      process.exitCode = 1
    })

  alerts
    .command('retry')
    .description('queue failed alerts again (all, or the given ids), e.g. after fixing a webhook')
    .argument('[ids...]', 'alert ids (default: every failed alert)')
    .option(
      '--db <file>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .action(async (ids: string[], o: { db?: string }) => {
      const nums = ids.map(Number)
      if (nums.some((n) => !Number.isInteger(n) || n < 1))
        throw new UsageError('alert ids are positive integers')
      const store = await openCommandStore(o)
      try {
        const n = await store.alerts.requeueFailed(nums.length > 0 ? nums : undefined)
        process.stdout.write(`${n} alerts queued again\n`)
      } finally {
        await store.close()
      }
    })
}
