import type { Command } from 'commander'
import { loadConfig, securityOf } from '../config.ts'
import { createLogger } from '../log.ts'
import { startServer } from '../main.ts'
import { ConfigError } from '../config-file.ts'
import { ContractError, readConfiguredContracts } from '../contracts/config.ts'
import { CONFIG_OPTION_HELP, configFileOf, readMeshwatchConfig } from './local-store.ts'
import { UsageError } from './shared.ts'

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run the API and web view on the embedded store; loads the demo mesh into an empty store',
    )
    .option(
      '--db <file|url>',
      'SQLite file or postgres:// URL (default: $MESHWATCH_DB or ./data/meshwatch.db)',
    )
    .option('--port <port>', 'port (default: $PORT or 4000)')
    .option('--host <host>', 'interface to bind (default: $HOST or 127.0.0.1)')
    .option('--no-demo', 'do not load the demo mesh into an empty store')
    .option('--config <file>', CONFIG_OPTION_HELP)
    .option(
      '--raw-retention-days <days>',
      'prune raw OpenLineage events older than this, keeping their lineage (default: $MESHWATCH_RAW_RETENTION_DAYS, else keep all)',
    )
    .action(
      async (o: {
        db?: string
        port?: string
        host?: string
        demo: boolean
        rawRetentionDays?: string
        config?: string
      }) => {
        const cfg = loadConfig({
          ...process.env,
          ...(o.port ? { PORT: o.port } : {}),
          ...(o.host ? { HOST: o.host } : {}),
          ...(o.rawRetentionDays ? { MESHWATCH_RAW_RETENTION_DAYS: o.rawRetentionDays } : {}),
        })
        if (!cfg.ok) throw new UsageError(`bad configuration: ${cfg.message}`)
        const log = createLogger(cfg.env.LOG_LEVEL)
        // the same file collect, check, gate and alerts read: --config, $MESHWATCH_CONFIG, ./meshwatch.yml
        const configFile = configFileOf(o)
        const meshwatch = configFile ? readMeshwatchConfig(configFile) : undefined
        const contracts = configFile && meshwatch ? configuredContracts(meshwatch, configFile) : []
        const { close } = await startServer({
          dbFile: o.db ?? cfg.env.MESHWATCH_DB,
          dbSource: o.db ? '--db' : 'MESHWATCH_DB',
          port: cfg.env.PORT,
          host: cfg.env.HOST,
          demo: o.demo,
          log,
          ...(cfg.env.MESHWATCH_RAW_RETENTION_DAYS
            ? { rawRetentionDays: cfg.env.MESHWATCH_RAW_RETENTION_DAYS }
            : {}),
          ...securityOf(cfg.env),
          env: process.env,
          ...(meshwatch ? { meshwatch } : {}),
          contracts,
        })
        // Hands this replica's leader jobs to another at once, then exits.
        const stop = () => void close().finally(() => process.exit(0))
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
      },
    )
}

/** meshwatch.yml's `contracts:`, read before the server starts: a bad one is a UsageError (exit 2). */
function configuredContracts(
  meshwatch: Parameters<typeof readConfiguredContracts>[0],
  file: string,
) {
  try {
    return readConfiguredContracts(meshwatch, file)
  } catch (e) {
    if (e instanceof ConfigError || e instanceof ContractError)
      throw new UsageError(`invalid contracts in ${file}:\n${e.message}`, { cause: e })
    throw e
  }
}
