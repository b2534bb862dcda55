import { existsSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { readContracts } from '../../collectors/contracts/read.ts'
import type { Deps } from '../deps.ts'
import { ingestContracts } from './ingest.ts'

/**
 * The demo mesh's ODCS contracts (fixtures/contracts/demo: sales' public orders, finance's
 * revenue product, generated from the recorded manifests), stored like `collect contracts`.
 */
export async function loadDemoContracts(deps: Deps, fixtures: string): Promise<number> {
  const dir = join(fixtures, 'contracts', 'demo')
  if (!existsSync(dir)) return 0
  // named by their place in the package (fixtures/contracts/demo/…), not by this machine's path
  const root = dirname(fixtures)
  const docs = readContracts([dir]).map((d) => ({ ...d, file: relative(root, d.file) }))
  return (await ingestContracts(deps, docs)).length
}
