import { join } from 'node:path'
import { Command } from 'commander'
import { vi } from 'vitest'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { registerCollectDbt } from '../../../server/commands/collect-dbt.ts'
import { DEMO_JOB_NAMESPACE, demoTargets, FIXTURES } from '../../../server/demo.ts'

export const CONFIG_FILE = join(FIXTURES, 'meshwatch.yml')

/** Runs `meshwatch collect <args…>` in this process with one collect command registered; its stdout. */
export async function runCollect(
  register: (collect: Command) => void,
  args: string[],
): Promise<string> {
  const program = new Command('meshwatch').exitOverride()
  register(program.command('collect'))
  const out: string[] = []
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((s) => out.push(String(s)) > 0)
  try {
    await program.parseAsync(['collect', ...args], { from: 'user' })
  } finally {
    write.mockRestore()
  }
  return out.join('')
}

/** `meshwatch collect dbt <target> --db <file> …` of one demo project, in this process; its stdout. */
export const collectDbt = (target: string, projectDir: string, dbFile: string): Promise<string> =>
  runCollect(registerCollectDbt, [
    'dbt',
    target,
    '--project-dir',
    projectDir,
    '--profiles-dir',
    projectDir,
    '--job-namespace',
    DEMO_JOB_NAMESPACE,
    '--db',
    dbFile,
    '--config',
    CONFIG_FILE,
  ])

/** The newest producedAt of the demo's builds: the time the demo clock starts from. */
export async function recordedAt(): Promise<string> {
  let t = ''
  for (const day of ['good', 'bad'] as const)
    for (const d of demoTargets(day)) {
      const b = await readDbtTarget(d.target, {
        projectDir: d.projectDir,
        profilesDir: d.projectDir,
        env: {},
      })
      if (b.producedAt && b.producedAt > t) t = b.producedAt
    }
  return t
}
