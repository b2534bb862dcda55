import { appendFile, stat, writeFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import type { Command } from 'commander'
import type { Batch } from '../../collectors/batch.ts'
import { readDbtTarget, type DbtOptions } from '../../collectors/dbt/read.ts'
import { ConfigError, EMPTY_CONFIG, loadConfigFile, type MeshwatchConfig } from '../config-file.ts'
import { evaluateGate, type GateInput } from '../gate/evaluate.ts'
import { fetchBaseline } from '../gate/fetch-baseline.ts'
import { renderAnnotations } from '../gate/github.ts'
import { renderJunit } from '../gate/junit.ts'
import { locateInProject } from '../gate/locate.ts'
import { renderMarkdown } from '../gate/markdown.ts'
import { renderText } from '../gate/text.ts'
import { regressionsOf } from '../gate/types.ts'
import { UsageError } from './shared.ts'
import { findContractFiles, readContracts } from '../../collectors/contracts/read.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import { CollectorError } from '../../collectors/batch.ts'

interface GateOptions {
  current: string
  baseline?: string[]
  mesh?: string[]
  server?: string
  token?: string
  config?: string
  profilesDir?: string
  target?: string
  namespace?: string
  projectDir?: string
  junit?: string
  markdown?: string
  contracts?: string[]
  baselineContracts?: string[]
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description(
      'CI gate: compare a dbt build with production; exit 1 on a regression, 2 on bad usage or input',
    )
    .requiredOption(
      '--current <dir>',
      "the pull request's dbt target/ dir (after dbt build; docs generate adds column types)",
    )
    .option(
      '--baseline <dir...>',
      "production target/ dirs: this project's, and other projects' for their consumers",
    )
    .option(
      '--mesh <dir...>',
      "other projects' production target/ dirs (same as more --baseline dirs)",
    )
    .option(
      '--server <url>',
      'take the baseline from a meshwatch server instead (GET /api/gate/baseline)',
    )
    .option('--token <token>', 'API token for --server (default: $MESHWATCH_TOKEN)')
    .option(
      '--config <file>',
      'meshwatch.yml with gate thresholds, waivers, SLAs, policies (default: ./meshwatch.yml if present)',
    )
    .option('--profiles-dir <dir>', 'where profiles.yml is (default: the project dir, then ~/.dbt)')
    .option('--target <name>', 'profile target')
    .option('--namespace <ns>', 'dataset namespace for every dir (default: from each profile)')
    .option(
      '--project-dir <dir>',
      'the dbt project, to point annotations at yml lines (default: parent of --current)',
    )
    .option('--junit <file>', 'write a JUnit XML report')
    .option(
      '--markdown <file>',
      'write a Markdown summary (also written to $GITHUB_STEP_SUMMARY under GitHub Actions)',
    )
    .option(
      '--contracts <path...>',
      "the pull request's ODCS contracts (files or dirs of *.odcs.yaml|yml|json): the build must satisfy them",
    )
    .option(
      '--baseline-contracts <path...>',
      "production's ODCS contracts: a removed column, narrowed type, weakened SLA or deleted contract is a regression (with --server: the server's)",
    )
    .action(async (o: GateOptions) => {
      process.exitCode = await runGate(o, process.env)
    })
}

async function runGate(o: GateOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const started = Date.now()
  const dirs = [...(o.baseline ?? []), ...(o.mesh ?? [])]
  if (dirs.length === 0 && !o.server)
    throw new UsageError(
      'gate: give a baseline: --baseline DIR... (and --mesh DIR...) or --server URL',
    )
  if (o.baseline?.length && o.server)
    throw new UsageError('gate: --baseline and --server are alternatives; give one')
  if (o.baselineContracts && o.server)
    throw new UsageError(
      "gate: --baseline-contracts and --server are alternatives: with --server the baseline contracts are the server's",
    )
  const config = await readConfig(o.config)
  const dbt: DbtOptions = {
    profilesDir: o.profilesDir,
    target: o.target,
    namespace: o.namespace,
    env,
  }
  const current = await readDbtTarget(o.current, dbt)
  const baseline: Batch[] = []
  for (const dir of dirs) baseline.push(await readDbtTarget(dir, dbt))
  let serverContracts: ContractDoc[] | undefined
  if (o.server) {
    const project = current.scope.replace(/^dbt:/, '')
    const fetched = await fetchBaseline(o.server, project, {
      token: o.token ?? env.MESHWATCH_TOKEN,
    })
    baseline.push(...fetched.batches)
    serverContracts = fetched.contracts ?? []
    if (o.contracts && !fetched.contracts)
      process.stderr.write(`warning: ${o.server} sends no contracts: every PR contract is new\n`)
  }
  for (const w of [current, ...baseline].flatMap((b) => b.warnings))
    process.stderr.write(`warning: ${w}\n`)

  const contracts = readGateContracts(o, serverContracts)
  const projectDir = resolve(o.projectDir ?? dirname(resolve(o.current)))
  const report = await locateInProject(
    evaluateGate({
      current,
      baseline,
      baselineLabel: o.server ?? dirs.join(', '),
      config,
      now: new Date(),
      contracts,
    }),
    projectDir,
  )
  process.stdout.write(renderText(report))
  const seconds = (Date.now() - started) / 1000
  if (o.junit) await writeFile(o.junit, renderJunit(report, { durationSeconds: seconds }))
  const markdown = renderMarkdown(report)
  if (o.markdown) await writeFile(o.markdown, markdown)
  if (env.GITHUB_ACTIONS === 'true') {
    if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, `${markdown}\n`)
    const prefix = relative(env.GITHUB_WORKSPACE ?? process.cwd(), projectDir)
    for (const line of renderAnnotations(report, prefix)) process.stdout.write(`${line}\n`)
  }
  return regressionsOf(report).length > 0 ? 1 : 0
}

async function readConfig(file: string | undefined): Promise<MeshwatchConfig> {
  const path =
    file ??
    ((await stat('meshwatch.yml').catch(() => undefined))?.isFile() ? 'meshwatch.yml' : undefined)
  if (!path) return EMPTY_CONFIG
  try {
    return loadConfigFile(path)
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(`bad config: ${e.message}`, { cause: e })
    throw e
  }
}

/**
 * The contracts of --contracts (a dir may be empty: every contract deleted) and production's: those
 * of --baseline-contracts, or with --server the server's, of which the gate compares the project's.
 */
function readGateContracts(
  o: GateOptions,
  fromServer: ContractDoc[] | undefined,
): GateInput['contracts'] {
  if (!o.contracts && !o.baselineContracts) return undefined
  if (o.baselineContracts && !o.contracts)
    throw new UsageError(
      "gate: --baseline-contracts needs --contracts (the pull request's contracts)",
    )

  const read = (paths: string[] | undefined, flag: string): ContractDoc[] => {
    try {
      return findContractFiles(paths ?? []).length === 0 ? [] : readContracts(paths ?? [])
    } catch (e) {
      if (e instanceof CollectorError)
        throw new UsageError(`gate: ${flag}: ${e.message}`, { cause: e })
      throw e
    }
  }
  const current = read(o.contracts, '--contracts')
  if (fromServer) return { baseline: fromServer, current, baselineOfMesh: true }
  return { baseline: read(o.baselineContracts, '--baseline-contracts'), current }
}
