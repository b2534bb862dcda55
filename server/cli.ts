import { Command, CommanderError } from 'commander'
import { CollectorError } from '../collectors/batch.ts'
import { registerAlerts } from './commands/alerts.ts'
import { registerCheck } from './commands/check.ts'
import { registerCollectAirflow } from './commands/collect-airflow.ts'
import { registerCollectDbt } from './commands/collect-dbt.ts'
import { registerCollectJunit } from './commands/collect-junit.ts'
import { registerCollectOpenLineage } from './commands/collect-openlineage.ts'
import { registerReplay } from './commands/replay.ts'
import { registerExport } from './commands/export.ts'
import { registerGate } from './commands/gate.ts'
import { registerServe } from './commands/serve.ts'
import { registerToken } from './commands/token.ts'
import { UsageError } from './commands/shared.ts'
import { InvalidBatchError } from './ingest.ts'
import { ServeError } from './main.ts'
import { redact } from './log.ts'
import { VERSION } from './version.ts'

const program = new Command('meshwatch')
  .description('Lineage and quality observer for Airflow and dbt in a data mesh')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
const collect = program
  .command('collect')
  .description('read one source (dbt, openlineage, airflow, junit) into the store or a server')

registerServe(program)
registerCollectDbt(collect)
registerCollectAirflow(collect)
registerCollectJunit(collect)
registerCollectOpenLineage(collect)
registerReplay(program)
registerExport(program)
registerToken(program)
registerCheck(program)
registerGate(program)
registerAlerts(program)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  process.exitCode = exitCodeFor(e)
}

function exitCodeFor(e: unknown): number {
  if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2
  const known =
    e instanceof CollectorError || e instanceof InvalidBatchError || e instanceof UsageError || e instanceof ServeError
  const message = e instanceof Error ? e.message : String(e)
  process.stderr.write(`meshwatch: ${redact(message)}\n`)
  if (!known) process.stderr.write('(unexpected error; set LOG_LEVEL=debug for details)\n')
  if (!known && process.env.LOG_LEVEL === 'debug' && e instanceof Error) process.stderr.write(`${e.stack}\n`)
  return e instanceof UsageError || e instanceof CollectorError ? 2 : 1
}
