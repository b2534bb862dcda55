import { fileURLToPath } from 'node:url'
import type { Batch } from '../../../collectors/batch.ts'
import { readDbtTarget } from '../../../collectors/dbt/read.ts'
import { loadConfigFile } from '../../../server/config-file.ts'

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
export const NS = 'duckdb://mesh.duckdb'
export const DOMAINS = ['sales', 'finance', 'marketing', 'product'] as const
export const VARIANTS = ['unchanged', 'additive', 'breaking'] as const

export const goodDir = (p: string): string => `${ROOT}fixtures/dbt/good/${p}/target`
export const variantDir = (v: string): string => `${ROOT}fixtures/gate/${v}/sales/target`

const cache = new Map<string, Promise<Batch>>()
/** A recorded target dir as a batch (read once per test file; callers must not mutate it). */
export const readTarget = (dir: string): Promise<Batch> => {
  const hit = cache.get(dir) ?? readDbtTarget(dir, { namespace: NS })
  cache.set(dir, hit)
  return hit
}

export const goodMesh = (): Promise<Batch[]> =>
  Promise.all(DOMAINS.map((d) => readTarget(goodDir(d))))
export const demoConfig = () => loadConfigFile(`${ROOT}fixtures/meshwatch.yml`)
/** A deep copy to change a real batch for one test. */
export const clone = <T>(v: T): T => structuredClone(v)
