import { Command } from 'commander'
import { describe, expect, it } from 'vitest'
import { COLLECT_COMMANDS, COMMANDS, registerLazily } from '../../server/commands/index.ts'

// `meshwatch --help` lists the commands from server/commands/index.ts without loading their
// modules: each description there must be the one the command's own module registers.
describe('the CLI command list', () => {
  it.each([...COMMANDS, ...COLLECT_COMMANDS])(
    '$name: the listed description is the one its module registers',
    async (entry) => {
      const parent = new Command('parent')
      ;(await entry.load())(parent)
      const registered = parent.commands.map((c) => [c.name(), c.description()])
      expect(registered).toEqual([[entry.name, entry.description]])
    },
  )

  it('registers the wanted command with its options and the others as a name and description', async () => {
    const parent = new Command('parent')
    await registerLazily(parent, COMMANDS, 'export')
    expect(parent.commands.map((c) => c.name())).toEqual(COMMANDS.map((c) => c.name))
    const options = (name: string) =>
      parent.commands.find((c) => c.name() === name)?.options.map((o) => o.long)
    expect(options('export')).toEqual(['--db', '--format', '--out', '--config', '--base-url'])
    expect(options('serve')).toEqual([])
  })
})
