import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { isMap, isSeq, LineCounter, parseDocument } from 'yaml'
import { ContractError, readContracts } from '../../collectors/contracts/read.ts'
import type { ContractDoc } from '../../collectors/contracts/schema.ts'
import { ConfigError, type MeshwatchConfig } from '../config-file.ts'

/**
 * The contracts meshwatch.yml's `contracts:` names (files or directories, relative to the file),
 * read and validated as `collect contracts` reads them. A path that does not exist is a
 * ConfigError naming meshwatch.yml's line and `contracts[i]`; an invalid contract, a
 * ContractError naming the contract's file, line and field. All or nothing.
 */
export function readConfiguredContracts(cfg: MeshwatchConfig, configFile: string): ContractDoc[] {
  const paths = cfg.contracts ?? []
  if (paths.length === 0) return []
  const base = dirname(resolve(configFile))
  const missing = paths.flatMap((p, i) => (existsSync(resolve(base, p)) ? [] : [i]))
  if (missing.length > 0) {
    const at = lineOfItems(configFile)
    throw new ConfigError(
      missing.map((i) => ({
        file: configFile,
        ...(at[i] ?? { line: 0, column: 0 }),
        path: `contracts[${i}]`,
        message: `no such file or directory: ${resolve(base, paths[i] ?? '')}`,
      })),
    )
  }
  return readContracts(paths.map((p) => resolve(base, p)))
}

function lineOfItems(file: string): { line: number; column: number }[] {
  const counter = new LineCounter()
  const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter: counter })
  const seq = isMap(doc.contents) ? doc.contents.get('contracts', true) : undefined
  if (!isSeq(seq)) return []
  return seq.items.map((item) => {
    const offset = (item as { range?: [number, number, number] }).range?.[0] ?? 0
    const pos = counter.linePos(offset)
    return { line: pos.line, column: pos.col }
  })
}

export { ContractError }
