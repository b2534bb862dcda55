import { Command, CommanderError } from 'commander'
import {
  COLLECT_COMMANDS,
  COLLECT_DESCRIPTION,
  COMMANDS,
  registerLazily,
} from './commands/index.ts'
import { redact } from './log.ts'
import { VERSION } from './version.ts'

// The errors that are the user's input, not a bug: their message alone is shown. Each class is
// imported only when an error of that name is seen; whatever threw it has loaded its module, so
// this costs nothing and `instanceof` still tells a real one from a look-alike.
const KNOWN_ERRORS: Record<string, () => Promise<abstract new (...a: never[]) => Error>> = {
  CollectorError: async () => (await import('../collectors/batch.ts')).CollectorError,
  InvalidBatchError: async () => (await import('./ingest.ts')).InvalidBatchError,
  UsageError: async () => (await import('./commands/shared.ts')).UsageError,
  ServeError: async () => (await import('./main.ts')).ServeError,
  StoreBusyError: async () => (await import('../db/errors.ts')).StoreBusyError,
  StoreOpenError: async () => (await import('../db/open-store.ts')).StoreOpenError,
  StoreUnsupportedError: async () => (await import('../db/store.ts')).StoreUnsupportedError,
}

const program = new Command('meshwatch')
  .description('Lineage and quality observer for Airflow and dbt in a data mesh')
  .version(VERSION)
  .showHelpAfterError()
  .exitOverride()
const collect = program.command('collect').description(COLLECT_DESCRIPTION)

// Only the module of the command that runs is loaded (server/commands/index.ts says why).
const [first, second] = commandPath(process.argv.slice(2))
await registerLazily(collect, COLLECT_COMMANDS, first === 'collect' ? second : undefined)
await registerLazily(program, COMMANDS, first)

try {
  await program.parseAsync(process.argv)
} catch (e) {
  process.exitCode = await exitCodeFor(e)
}

/** The command and subcommand argv names: its first words, `help` skipped (`collect help dbt`). */
function commandPath(args: string[]): (string | undefined)[] {
  return args.filter((a) => !a.startsWith('-') && a !== 'help').slice(0, 2)
}

async function exitCodeFor(thrown: unknown): Promise<number> {
  if (thrown instanceof CommanderError) return thrown.exitCode === 0 ? 0 : 2
  // A busy store (another process held the lock past its timeout) is said as such, not as a bug.
  const e =
    thrown instanceof Error && thrown.name === 'SqliteError'
      ? (await import('../db/errors.ts')).storeErrorOf(thrown)
      : thrown
  const name = e instanceof Error ? e.name : ''
  const load = Object.hasOwn(KNOWN_ERRORS, name) ? KNOWN_ERRORS[name] : undefined
  const known = load !== undefined && e instanceof (await load())
  const message = e instanceof Error ? e.message : String(e)
  process.stderr.write(`meshwatch: ${redact(message)}\n`)
  if (!known) process.stderr.write('(unexpected error; set LOG_LEVEL=debug for details)\n')
  if (!known && process.env.LOG_LEVEL === 'debug' && e instanceof Error)
    process.stderr.write(`${e.stack}\n`)
  return known && (name === 'UsageError' || name === 'CollectorError') ? 2 : 1
}
