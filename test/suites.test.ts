import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { isCliTest } from './suites.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const TESTS = readdirSync(join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
  .map((f) => `test/${f.split('\\').join('/')}`)
  .filter((f) => f.endsWith('.test.ts') && !/^test\/(peers|e2e|pack|pg)\//.test(f))

// Runs the built CLI, or `meshwatch serve` through test/reliability/child.ts.
const SPAWNS = /dist\/cli\.js|\/child\.ts'/

// `npm test` stays fast by running neither the CLI nor a server as a child process; a file that
// does must be in the CLI suite (test/suites.ts), or it would slow `npm test` down or run the CLI
// before it is built.
describe('test suites', () => {
  it('puts every test file that runs the CLI or a server process in the CLI suite', () => {
    const spawning = TESTS.filter(
      (f) => f !== 'test/suites.test.ts' && SPAWNS.test(readFileSync(join(ROOT, f), 'utf8')),
    )
    expect(spawning).toEqual(
      expect.arrayContaining([
        'test/server/collect-dbt-cli.test.ts',
        'test/security/token-cli.test.ts',
      ]),
    )
    expect(spawning.filter((f) => !isCliTest(f))).toEqual([])
  })

  it('keeps the crash and concurrency tests and every *cli.test.ts in the CLI suite', () => {
    const cli = TESTS.filter(isCliTest)
    expect(cli).toEqual(
      expect.arrayContaining([
        'test/reliability/crash.test.ts',
        'test/reliability/concurrency.test.ts',
        'test/server/gate/cli.test.ts',
      ]),
    )
    expect(TESTS.filter((f) => !isCliTest(f))).toContain('test/security/fuzz-collectors.test.ts')
  })
})
