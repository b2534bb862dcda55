import type { Command } from 'commander'
import { collectAirflow } from '../../collectors/airflow/collect.ts'
import type { AirflowAuth } from '../../collectors/airflow/client.ts'
import { pollAirflow } from '../airflow-poll.ts'
import { pushBatch } from '../push.ts'
import { CONFIG_OPTION_HELP, evaluationLine, openLocalStore } from './local-store.ts'
import { UsageError } from './shared.ts'
import { credentialsInUrl, splitCredentials } from '../../collectors/airflow/url.ts'

interface AirflowFlags {
  url: string
  user?: string
  password?: string
  airflowToken?: string
  apiVersion?: string
  since?: string
  namespace?: string
  timeoutMs?: string
  retries?: string
  pageSize?: string
  db?: string
  config?: string
  server?: string
  token?: string
}

export function registerCollectAirflow(collect: Command): void {
  collect
    .command('airflow')
    .description(
      'read DAGs, tasks, runs, task instances and assets from Airflow 3 (REST v2) or 2 (REST v1)',
    )
    .requiredOption('--url <url>', 'Airflow base URL, e.g. http://airflow:8080')
    .option('--user <name>', 'username (Airflow 3: POST /auth/token; Airflow 2: HTTP basic)')
    .option(
      '--password <pw>',
      'password (default: $AIRFLOW_PASSWORD; prefer the env var: argv is visible to other users)',
    )
    .option(
      '--airflow-token <token>',
      'a bearer token for Airflow instead of user/password (default: $AIRFLOW_TOKEN)',
    )
    .option('--api-version <v>', 'v2 (Airflow 3) or v1 (Airflow 2); default: detected')
    .option('--since <time>', 'read runs changed since this ISO time instead of the stored cursor')
    .option(
      '--namespace <ns>',
      'job namespace: the OPENLINEAGE_NAMESPACE of the Airflow OpenLineage provider (default: "default")',
    )
    .option('--timeout-ms <ms>', 'per-request timeout', '30000')
    .option('--retries <n>', 'retries of a request on 5xx/timeout', '2')
    .option('--page-size <n>', 'items per page (Airflow caps REST v1 at 100)', '100')
    .option(
      '--db <file>',
      'SQLite store to write and evaluate (default: $MESHWATCH_DB or ./data/meshwatch.db); keeps the cursor',
    )
    .option('--config <file>', `with --db: ${CONFIG_OPTION_HELP}`)
    .option('--server <url>', 'push to a running meshwatch server instead of a local store')
    .option('--token <token>', 'meshwatch API token for --server (default: $MESHWATCH_TOKEN)')
    .action(async (o: AirflowFlags) => {
      if (splitCredentials(o.url).hadCredentials) {
        throw new UsageError(
          `--url ${credentialsInUrl(o.url, '--user and --password (or $AIRFLOW_PASSWORD)')}`,
        )
      }
      const auth = authOf(o)
      const apiVersion = versionOf(o.apiVersion)
      const common = {
        url: o.url,
        auth,
        ...(apiVersion ? { apiVersion } : {}),
        ...(o.namespace ? { namespace: o.namespace } : {}),
        timeoutMs: positive(o.timeoutMs, '--timeout-ms'),
        retries: positive(o.retries, '--retries'),
        pageSize: positive(o.pageSize, '--page-size'),
      }
      if (o.server) {
        // The cursor lives in the store; pushing to a server reads from --since (or everything).
        const { batch, cursor, warnings } = await collectAirflow({
          ...common,
          ...(o.since ? { since: o.since } : {}),
        })
        for (const w of warnings) process.stderr.write(`warning: ${w}\n`)
        const r = await pushBatch(o.server, batch, {
          token: o.token ?? process.env.MESHWATCH_TOKEN,
        })
        process.stdout.write(
          `${batch.scope}: ${r.duplicate ? 'unchanged' : summary(r.counts)}; next --since ${cursor || '(none)'}\n`,
        )
        return
      }
      // The batch, its cursor, and the evaluation of what it touched: one transaction.
      const store = await openLocalStore(o)
      try {
        const r = await pollAirflow(
          store.deps,
          { ...common, intervalSeconds: 0 },
          o.since ? { since: o.since } : {},
        )
        if (!r.ok) throw new UsageError(r.error)
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`)
        process.stdout.write(
          `airflow ${o.url}: ${r.duplicate ? 'unchanged' : summary(r.counts)}; cursor ${r.cursor || '(none)'}\n`,
        )
        process.stdout.write(evaluationLine(store.evaluated()))
      } finally {
        store.close()
      }
    })
}

function authOf(o: AirflowFlags): AirflowAuth {
  const token = o.airflowToken ?? process.env.AIRFLOW_TOKEN
  if (token) return { token }
  const password = o.password ?? process.env.AIRFLOW_PASSWORD
  if (o.user && password !== undefined) return { username: o.user, password }
  throw new UsageError(
    'Airflow credentials: give --user with --password (or $AIRFLOW_PASSWORD), or --airflow-token (or $AIRFLOW_TOKEN)',
  )
}

function positive(v: string | undefined, flag: string): number {
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0)
    throw new UsageError(`${flag}: expected a whole number, got ${v}`)
  return n
}

function versionOf(v: string | undefined): 'v1' | 'v2' | undefined {
  if (v === undefined || v === 'v1' || v === 'v2') return v
  throw new UsageError(`--api-version: expected v1 or v2, got ${v}`)
}

const summary = (c: Record<string, number>) =>
  `${c.jobs ?? 0} jobs, ${c.runs ?? 0} runs, ${c.datasets ?? 0} datasets, ${c.edges ?? 0} edges`
