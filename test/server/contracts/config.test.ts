import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { ContractError } from '../../../collectors/contracts/read.ts'
import { ConfigError, loadConfigFile } from '../../../server/config-file.ts'
import { readConfiguredContracts } from '../../../server/contracts/config.ts'

// meshwatch.yml `contracts:` — the files and directories `serve` loads at start.

const DEMO = fileURLToPath(new URL('../../../fixtures/contracts/demo', import.meta.url))

function configWith(lines: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-contracts-'))
  const file = join(dir, 'meshwatch.yml')
  writeFileSync(file, ['version: 1', 'contracts:', ...lines, ''].join('\n'))
  return file
}

describe('meshwatch.yml contracts:', () => {
  it('reads every contract of the listed directories, relative to the file', () => {
    const file = configWith([`  - ${DEMO}`])
    const docs = readConfiguredContracts(loadConfigFile(file), file)
    expect(docs.map((d) => d.contract.id).sort()).toEqual([
      'urn:meshwatch-demo:finance:revenue',
      'urn:meshwatch-demo:sales:orders',
    ])
  })

  it('refuses a path that does not exist naming meshwatch.yml, its line and contracts[i]', () => {
    const file = configWith([`  - ${DEMO}`, '  - ./no-such-contracts'])
    const err = (() => {
      try {
        readConfiguredContracts(loadConfigFile(file), file)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).issues).toMatchObject([
      { file, line: 4, column: 5, path: 'contracts[1]' },
    ])
    expect((err as ConfigError).message).toContain('no such file or directory')
  })

  it('refuses an invalid contract naming the contract file, line and field', () => {
    const file = configWith(['  - bad.odcs.yaml'])
    writeFileSync(
      join(file, '..', 'bad.odcs.yaml'),
      'apiVersion: v3.1.0\nkind: DataContract\nid: x\nversion: 1.0.0\nstatus: active\nteam: 3\n',
    )
    expect(() => readConfiguredContracts(loadConfigFile(file), file)).toThrow(ContractError)
    expect(() => readConfiguredContracts(loadConfigFile(file), file)).toThrow(
      /bad\.odcs\.yaml:6:\d+: team/,
    )
  })

  it('refuses a contracts key that is not a list of paths like any other meshwatch.yml error', () => {
    const file = configWith(['  - 3'])
    expect(() => loadConfigFile(file)).toThrow(/meshwatch\.yml:3:5: contracts\[0\]/)
  })
})
