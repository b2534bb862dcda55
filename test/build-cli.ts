import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** vitest globalSetup: builds the CLI into dist/ once, before the suites that run it. */
export function setup(): void {
  const root = fileURLToPath(new URL('..', import.meta.url))
  execFileSync(process.execPath, ['server/build.mjs'], { cwd: root, stdio: 'inherit' })
}
