import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
// MESHWATCH_SHARED: where shared/ is when the checkout is not beside it (a git worktree)
export const SHARED = process.env['MESHWATCH_SHARED'] ?? join(REPO, '../shared')
export const SHARED_DBT = join(SHARED, 'real/dbt')
export const HAS_SHARED = existsSync(SHARED_DBT)

/** Every .json file under `dir` (relative to SHARED_DBT), sorted; [] when ../shared is absent. */
export function sharedFiles(dir: string): string[] {
  const root = join(SHARED_DBT, dir)
  if (!existsSync(root)) return []
  const walk = (d: string): string[] =>
    readdirSync(d).flatMap((f) => {
      const p = join(d, f)
      return statSync(p).isDirectory() ? walk(p) : p.endsWith('.json') ? [p] : []
    })
  return walk(root)
    .map((p) => relative(SHARED_DBT, p))
    .sort()
}

export const readShared = (file: string): unknown =>
  JSON.parse(readFileSync(join(SHARED_DBT, file), 'utf8'))

/** The schema version number in a shared artifact's path (…/manifest/v12/…). */
export const versionOf = (file: string): number => Number(/\/v(\d+)\//.exec(`/${file}`)?.[1])
